#include "clients/cpp/object_ref_walker.h"

#include <vector>

#include "demo/counter.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "weft/v1/wire.pb.h"

namespace weft::clients::internal {
namespace {

using ::testing::ElementsAre;

std::vector<uint64_t> Ids(ObjectRefWalker& walker, const google::protobuf::Message& message) {
  std::vector<uint64_t> ids;
  walker.ForEach(message, [&](const weft::v1::ObjectRef& ref) { ids.push_back(ref.object_id()); });
  return ids;
}

TEST(ObjectRefWalkerTest, FindsNestedReferences) {
  ObjectRefWalker walker;
  demo::CreateResponse created;
  created.mutable_counter()->set_object_id(4);
  EXPECT_THAT(Ids(walker, created), ElementsAre(4u));
  demo::WatchRequest watch;
  EXPECT_TRUE(Ids(walker, watch).empty());  // Unset field: not visited.
}

TEST(ObjectRefWalkerTest, SkipsTypesWithoutReferences) {
  ObjectRefWalker walker;
  EXPECT_FALSE(walker.MayContain(*demo::CounterValue::descriptor()));
  EXPECT_TRUE(walker.MayContain(*demo::WatchRequest::descriptor()));
  EXPECT_TRUE(walker.MayContain(*weft::v1::ObjectRef::descriptor()));
  // Frame -> Register -> FileDescriptorSet: deep, recursive-free, no ObjectRef.
  EXPECT_FALSE(walker.MayContain(*weft::v1::Frame::descriptor()));
}

}  // namespace
}  // namespace weft::clients::internal
