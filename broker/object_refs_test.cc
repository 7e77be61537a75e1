// ForEachObjectRef: references found in singular, repeated, map, oneof and nested fields, in
// recursive types, in dynamic messages, and rewritten in place.
#include "broker/object_refs.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/descriptor_registry.h"
#include "broker/testdata/test_services.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "weft/v1/object_ref.pb.h"

namespace weft::broker {
namespace {

using ::google::protobuf::Message;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::weft::v1::ObjectRef;
namespace testdata = ::weft::broker::testdata;

ObjectRef Ref(uint64_t id) {
  ObjectRef ref;
  ref.set_node("n1");
  ref.set_object_id(id);
  ref.set_interface("weft.broker.testdata.Calc");
  return ref;
}

std::vector<uint64_t> IdsIn(const Message& message, const DescriptorRegistry& registry) {
  std::vector<uint64_t> ids;
  ForEachObjectRef(message, registry,
                   [&](const ObjectRef& ref) { ids.push_back(ref.object_id()); });
  return ids;
}

void AddToIds(Message& message, const DescriptorRegistry& registry, uint64_t delta) {
  ForEachObjectRef(message, registry,
                   [&](ObjectRef& ref) { ref.set_object_id(ref.object_id() + delta); });
}

testdata::Nested EveryKindOfField() {
  testdata::Nested nested;
  *nested.mutable_holder()->mutable_ref() = Ref(1);
  *nested.add_holders()->mutable_ref() = Ref(2);
  *nested.add_holders()->mutable_ref() = Ref(3);
  (*nested.mutable_by_name())["a"] = Ref(4);
  *(*nested.mutable_by_id())[7].mutable_ref() = Ref(5);
  *nested.add_refs() = Ref(6);
  *nested.mutable_chosen() = Ref(8);
  nested.mutable_unrelated()->set_text("no refs here");
  return nested;
}

TEST(ObjectRefsTest, VisitsNothingInATypeWithoutReferences) {
  DescriptorRegistry registry;
  testdata::Plain plain;
  plain.set_text("x");
  plain.add_children()->set_number(3);
  EXPECT_THAT(IdsIn(plain, registry), IsEmpty());
}

TEST(ObjectRefsTest, VisitsAMessageThatIsItselfAReference) {
  DescriptorRegistry registry;
  EXPECT_THAT(IdsIn(Ref(9), registry), ElementsAre(9));
}

TEST(ObjectRefsTest, SkipsAbsentSingularFields) {
  DescriptorRegistry registry;
  testdata::Holder holder;
  holder.set_label("empty");
  EXPECT_THAT(IdsIn(holder, registry), IsEmpty());
}

TEST(ObjectRefsTest, VisitsSingularRepeatedMapAndOneofFields) {
  DescriptorRegistry registry;
  EXPECT_THAT(IdsIn(EveryKindOfField(), registry), UnorderedElementsAre(1, 2, 3, 4, 5, 6, 8));
}

TEST(ObjectRefsTest, RewritesEveryReferenceInPlace) {
  DescriptorRegistry registry;
  testdata::Nested nested = EveryKindOfField();
  AddToIds(nested, registry, 100);
  EXPECT_EQ(nested.holder().ref().object_id(), 101u);
  EXPECT_EQ(nested.holders(0).ref().object_id(), 102u);
  EXPECT_EQ(nested.holders(1).ref().object_id(), 103u);
  EXPECT_EQ(nested.by_name().at("a").object_id(), 104u);
  EXPECT_EQ(nested.by_id().at(7).ref().object_id(), 105u);
  EXPECT_EQ(nested.refs(0).object_id(), 106u);
  EXPECT_EQ(nested.chosen().object_id(), 108u);
  EXPECT_EQ(nested.holder().ref().node(), "n1");
}

TEST(ObjectRefsTest, WalksRecursiveTypes) {
  DescriptorRegistry registry;
  testdata::Tree tree;
  *tree.mutable_leaf() = Ref(1);
  testdata::Tree* child = tree.add_children();
  *child->add_children()->mutable_leaf() = Ref(3);
  *child->mutable_leaf() = Ref(2);
  EXPECT_THAT(IdsIn(tree, registry), ElementsAre(3, 2, 1));  // Declaration order: children, leaf.

  testdata::Ping ping;
  *ping.mutable_pong()->mutable_ping()->mutable_pong()->mutable_ref() = Ref(4);
  EXPECT_THAT(IdsIn(ping, registry), ElementsAre(4));
}

TEST(ObjectRefsTest, RewritesReferencesInARegisteredDynamicType) {
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
                                                              name: "ext/watch.proto"
                                                              package: "ext.v1"
                                                              dependency: "weft/v1/object_ref.proto"
                                                              syntax: "proto3"
                                                              message_type {
                                                                name: "WatchRequest"
                                                                field {
                                                                  name: "watchers"
                                                                  number: 1
                                                                  label: LABEL_REPEATED
                                                                  type: TYPE_MESSAGE
                                                                  type_name: ".weft.v1.ObjectRef"
                                                                }
                                                              }
                                                            )pb",
                                                            &file));
  google::protobuf::FileDescriptorSet set;
  *set.add_file() = file;
  DescriptorRegistry registry;
  ASSERT_TRUE(registry.AddFileDescriptorSet(set.SerializeAsString()).ok());

  std::string bytes;
  for (uint64_t id : {5, 6}) {
    const std::string ref = Ref(id).SerializeAsString();
    bytes += '\x0a';  // Field 1, length-delimited.
    bytes += static_cast<char>(ref.size());
    bytes += ref;
  }
  const google::protobuf::Descriptor* type =
      registry.pool().FindMessageTypeByName("ext.v1.WatchRequest");
  std::unique_ptr<Message> request(registry.Prototype(type)->New());
  ASSERT_TRUE(request->ParseFromString(bytes));
  AddToIds(*request, registry, 10);
  EXPECT_THAT(IdsIn(*request, registry), ElementsAre(15, 16));
}

// A message from a factory that does not delegate to generated classes holds its ObjectRefs as
// DynamicMessages; they are still visited and rewritten.
TEST(ObjectRefsTest, RewritesReferencesThatAreNotGeneratedObjects) {
  DescriptorRegistry registry;
  google::protobuf::DynamicMessageFactory plain_factory;
  std::unique_ptr<Message> holder(
      plain_factory.GetPrototype(testdata::Holder::descriptor())->New());
  ASSERT_TRUE(holder->ParseFromString([] {
    testdata::Holder generated;
    *generated.mutable_ref() = Ref(7);
    return generated.SerializeAsString();
  }()));
  AddToIds(*holder, registry, 1);
  testdata::Holder result;
  ASSERT_TRUE(result.ParseFromString(holder->SerializeAsString()));
  EXPECT_EQ(result.ref().object_id(), 8u);
  EXPECT_EQ(result.ref().interface(), "weft.broker.testdata.Calc");
}

}  // namespace
}  // namespace weft::broker
