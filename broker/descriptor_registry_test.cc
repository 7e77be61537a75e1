// DescriptorRegistry: registering FileDescriptorSets (compiled-in files, external files, bad
// input, conflicts, atomicity), lookups, prototypes and the ObjectRef-containment cache.
#include "broker/descriptor_registry.h"

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "broker/testdata/test_services.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "weft/v1/object_ref.pb.h"

namespace weft::broker {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FileDescriptor;
using ::google::protobuf::FileDescriptorProto;
using ::google::protobuf::FileDescriptorSet;
using ::google::protobuf::ServiceDescriptor;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsNull;
using ::testing::NotNull;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
namespace testdata = ::weft::broker::testdata;

// An external service's file, as a client written in another language would send it.
constexpr char kGreeterFile[] = R"pb(
  name: "ext/greeter.proto"
  package: "ext.v1"
  dependency: "weft/v1/object_ref.proto"
  syntax: "proto3"
  message_type {
    name: "GreetRequest"
    field { name: "name" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
    field {
      name: "callback"
      number: 2
      label: LABEL_OPTIONAL
      type: TYPE_MESSAGE
      type_name: ".weft.v1.ObjectRef"
    }
  }
  message_type {
    name: "GreetReply"
    field { name: "text" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
  }
  service {
    name: "Greeter"
    method { name: "Greet" input_type: ".ext.v1.GreetRequest" output_type: ".ext.v1.GreetReply" }
  }
)pb";

FileDescriptorProto ParseFile(const char* text) {
  FileDescriptorProto file;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &file)) << text;
  return file;
}

// A compiled-in file as protoc's --descriptor_set_out writes it (json_name filled in).
FileDescriptorProto CopyOf(const FileDescriptor* file) {
  FileDescriptorProto proto;
  file->CopyTo(&proto);
  file->CopyJsonNameTo(&proto);
  return proto;
}

std::string Serialize(std::initializer_list<FileDescriptorProto> files) {
  FileDescriptorSet set;
  for (const FileDescriptorProto& file : files) *set.add_file() = file;
  return set.SerializeAsString();
}

TEST(DescriptorRegistryTest, FindsCompiledInServicesWithoutRegistration) {
  DescriptorRegistry registry;
  EXPECT_EQ(registry.FindService("weft.broker.testdata.Calc"), testdata::Calc::descriptor());
  EXPECT_EQ(registry.FindMethod("weft.broker.testdata.Calc", "Add"),
            testdata::Calc::descriptor()->FindMethodByName("Add"));
  EXPECT_THAT(registry.FindService("weft.broker.testdata.Nope"), IsNull());
  EXPECT_THAT(registry.FindMethod("weft.broker.testdata.Calc", "Nope"), IsNull());
  EXPECT_THAT(registry.FindMethod("weft.broker.testdata.Nope", "Add"), IsNull());
}

TEST(DescriptorRegistryTest, SkipsIdenticalCompiledInFilesAndReturnsTheirServices) {
  DescriptorRegistry registry;
  absl::StatusOr<std::vector<const ServiceDescriptor*>> services =
      registry.AddFileDescriptorSet(Serialize({
          CopyOf(weft::v1::ObjectRef::descriptor()->file()),
          CopyOf(testdata::Calc::descriptor()->file()),
      }));
  ASSERT_THAT(services, IsOk());
  // Every service of the test file, in file order (ObjectRef's file defines none).
  const google::protobuf::FileDescriptor* file = testdata::Calc::descriptor()->file();
  std::vector<const ServiceDescriptor*> expected;
  for (int i = 0; i < file->service_count(); ++i) expected.push_back(file->service(i));
  ASSERT_GE(expected.size(), 4u);
  EXPECT_EQ(*services, expected);
}

TEST(DescriptorRegistryTest, RegistersExternalServiceOverCompiledInObjectRef) {
  DescriptorRegistry registry;
  absl::StatusOr<std::vector<const ServiceDescriptor*>> services =
      registry.AddFileDescriptorSet(Serialize({ParseFile(kGreeterFile)}));
  ASSERT_THAT(services, IsOk());
  const ServiceDescriptor* greeter = registry.FindService("ext.v1.Greeter");
  ASSERT_THAT(greeter, NotNull());
  EXPECT_THAT(*services, ElementsAre(greeter));
  const Descriptor* request = registry.FindMethod("ext.v1.Greeter", "Greet")->input_type();
  EXPECT_EQ(request->FindFieldByName("callback")->message_type(),
            weft::v1::ObjectRef::descriptor());
  EXPECT_TRUE(registry.ContainsObjectRef(request));
  EXPECT_FALSE(registry.ContainsObjectRef(greeter->method(0)->output_type()));
}

TEST(DescriptorRegistryTest, RegisteringTheSameSetTwiceIsIdempotent) {
  DescriptorRegistry registry;
  const std::string set = Serialize({ParseFile(kGreeterFile)});
  absl::StatusOr<std::vector<const ServiceDescriptor*>> first = registry.AddFileDescriptorSet(set);
  absl::StatusOr<std::vector<const ServiceDescriptor*>> again = registry.AddFileDescriptorSet(set);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*first, *again);
}

TEST(DescriptorRegistryTest, PrototypeIsGeneratedWhenCompiledInAndDynamicOtherwise) {
  DescriptorRegistry registry;
  EXPECT_EQ(registry.Prototype(testdata::Plain::descriptor()),
            &testdata::Plain::default_instance());
  ASSERT_THAT(registry.AddFileDescriptorSet(Serialize({ParseFile(kGreeterFile)})), IsOk());
  const Descriptor* request = registry.FindMethod("ext.v1.Greeter", "Greet")->input_type();
  const google::protobuf::Message* prototype = registry.Prototype(request);
  ASSERT_THAT(prototype, NotNull());
  EXPECT_EQ(prototype->GetDescriptor(), request);

  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  google::protobuf::Message* callback =
      message->GetReflection()->MutableMessage(message.get(), request->FindFieldByName("callback"));
  EXPECT_THAT(dynamic_cast<weft::v1::ObjectRef*>(callback), NotNull());
}

TEST(DescriptorRegistryTest, AcceptsFilesInAnyOrder) {
  FileDescriptorProto types = ParseFile(R"pb(
    name: "ext/types.proto"
    package: "ext.v2"
    syntax: "proto3"
    message_type { name: "Empty" }
  )pb");
  FileDescriptorProto service = ParseFile(R"pb(
    name: "ext/service.proto"
    package: "ext.v2"
    dependency: "ext/types.proto"
    syntax: "proto3"
    service {
      name: "Idle"
      method { name: "Wait" input_type: ".ext.v2.Empty" output_type: ".ext.v2.Empty" }
    }
  )pb");
  DescriptorRegistry registry;
  absl::StatusOr<std::vector<const ServiceDescriptor*>> services =
      registry.AddFileDescriptorSet(Serialize({service, types}));
  ASSERT_THAT(services, IsOk());
  EXPECT_THAT(*services, ElementsAre(registry.FindService("ext.v2.Idle")));
}

TEST(DescriptorRegistryTest, RejectsMalformedBytes) {
  DescriptorRegistry registry;
  EXPECT_THAT(registry.AddFileDescriptorSet("\xff\xff\xff garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed")));
}

TEST(DescriptorRegistryTest, RejectsUnresolvableImportNamingTheFile) {
  FileDescriptorProto file = ParseFile(kGreeterFile);
  file.add_dependency("ext/missing.proto");
  DescriptorRegistry registry;
  EXPECT_THAT(registry.AddFileDescriptorSet(Serialize({file})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ext/greeter.proto"), HasSubstr("ext/missing.proto"))));
}

TEST(DescriptorRegistryTest, RejectsATypeErrorWithProtobufsMessage) {
  FileDescriptorProto file = ParseFile(kGreeterFile);
  file.mutable_message_type(0)->mutable_field(1)->set_type_name(".ext.v1.Nowhere");
  DescriptorRegistry registry;
  EXPECT_THAT(registry.AddFileDescriptorSet(Serialize({file})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ext/greeter.proto"), HasSubstr("ext.v1.Nowhere"))));
}

TEST(DescriptorRegistryTest, RejectsDifferentContentsUnderARegisteredName) {
  DescriptorRegistry registry;
  ASSERT_THAT(registry.AddFileDescriptorSet(Serialize({ParseFile(kGreeterFile)})), IsOk());
  FileDescriptorProto changed = ParseFile(kGreeterFile);
  changed.mutable_message_type(1)->mutable_field(0)->set_name("greeting");
  EXPECT_THAT(registry.AddFileDescriptorSet(Serialize({changed})),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("ext/greeter.proto")));
}

TEST(DescriptorRegistryTest, RejectsDifferentContentsUnderACompiledInName) {
  FileDescriptorProto object_ref = CopyOf(weft::v1::ObjectRef::descriptor()->file());
  object_ref.mutable_message_type(0)->mutable_field(0)->set_name("host");
  DescriptorRegistry registry;
  EXPECT_THAT(registry.AddFileDescriptorSet(Serialize({object_ref})),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("weft/v1/object_ref.proto")));
}

TEST(DescriptorRegistryTest, RejectsANewFileRedefiningACompiledInType) {
  FileDescriptorProto impostor = ParseFile(R"pb(
    name: "evil/object_ref.proto"
    package: "weft.v1"
    syntax: "proto3"
    message_type { name: "ObjectRef" }
  )pb");
  DescriptorRegistry registry;
  EXPECT_THAT(registry.AddFileDescriptorSet(Serialize({impostor})),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("'weft.v1.ObjectRef'")));
}

TEST(DescriptorRegistryTest, FailedSetLeavesTheRegistryUnchanged) {
  FileDescriptorProto broken = ParseFile(R"pb(
    name: "ext/broken.proto"
    dependency: "ext/missing.proto"
  )pb");
  DescriptorRegistry registry;
  EXPECT_THAT(registry.AddFileDescriptorSet(Serialize({ParseFile(kGreeterFile), broken})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(registry.FindService("ext.v1.Greeter"), IsNull());
  EXPECT_THAT(registry.pool().FindFileByName("ext/greeter.proto"), IsNull());
  EXPECT_THAT(registry.AddFileDescriptorSet(Serialize({ParseFile(kGreeterFile)})), IsOk());
}

TEST(DescriptorRegistryTest, RejectsAnImportCycle) {
  FileDescriptorProto a = ParseFile(R"pb(name: "ext/a.proto" dependency: "ext/b.proto")pb");
  FileDescriptorProto b = ParseFile(R"pb(name: "ext/b.proto" dependency: "ext/a.proto")pb");
  DescriptorRegistry registry;
  EXPECT_THAT(registry.AddFileDescriptorSet(Serialize({a, b})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("import cycle")));
}

TEST(DescriptorRegistryTest, RejectsOneNameTwiceWithDifferentContents) {
  FileDescriptorProto changed = ParseFile(kGreeterFile);
  changed.set_package("ext.v9");
  DescriptorRegistry registry;
  EXPECT_THAT(registry.AddFileDescriptorSet(Serialize({ParseFile(kGreeterFile), changed})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("appears twice")));
  EXPECT_THAT(
      registry.AddFileDescriptorSet(Serialize({ParseFile(kGreeterFile), ParseFile(kGreeterFile)})),
      IsOk());
}

TEST(DescriptorRegistryTest, RejectsANamelessFile) {
  DescriptorRegistry registry;
  EXPECT_THAT(registry.AddFileDescriptorSet(Serialize({FileDescriptorProto()})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no name")));
}

TEST(DescriptorRegistryTest, ContainsObjectRefFollowsFieldsMapsAndRecursion) {
  DescriptorRegistry registry;
  EXPECT_TRUE(registry.ContainsObjectRef(weft::v1::ObjectRef::descriptor()));
  EXPECT_TRUE(registry.ContainsObjectRef(testdata::Holder::descriptor()));
  EXPECT_TRUE(registry.ContainsObjectRef(testdata::Nested::descriptor()));
  EXPECT_TRUE(registry.ContainsObjectRef(testdata::Tree::descriptor()));
  EXPECT_FALSE(registry.ContainsObjectRef(testdata::Plain::descriptor()));
  EXPECT_FALSE(registry.ContainsObjectRef(testdata::AddRequest::descriptor()));
  const Descriptor* by_name_entry =
      testdata::Nested::descriptor()->FindFieldByName("by_name")->message_type();
  EXPECT_TRUE(registry.ContainsObjectRef(by_name_entry));
}

// The cache must give the same answers whichever member of a cycle is asked first.
TEST(DescriptorRegistryTest, ContainsObjectRefIsOrderIndependentInMutualRecursion) {
  DescriptorRegistry ping_first;
  EXPECT_TRUE(ping_first.ContainsObjectRef(testdata::Ping::descriptor()));
  EXPECT_TRUE(ping_first.ContainsObjectRef(testdata::Pong::descriptor()));
  EXPECT_TRUE(ping_first.ContainsObjectRef(testdata::Ping::descriptor()));

  DescriptorRegistry pong_first;
  EXPECT_TRUE(pong_first.ContainsObjectRef(testdata::Pong::descriptor()));
  EXPECT_TRUE(pong_first.ContainsObjectRef(testdata::Ping::descriptor()));

  DescriptorRegistry plain;
  EXPECT_FALSE(plain.ContainsObjectRef(testdata::Left::descriptor()));
  EXPECT_FALSE(plain.ContainsObjectRef(testdata::Right::descriptor()));
  EXPECT_FALSE(plain.ContainsObjectRef(testdata::Left::descriptor()));
  // A type that reaches a cached-false type and an ObjectRef.
  EXPECT_FALSE(plain.ContainsObjectRef(testdata::Plain::descriptor()));
  EXPECT_TRUE(plain.ContainsObjectRef(testdata::Nested::descriptor()));
}

}  // namespace
}  // namespace weft::broker
