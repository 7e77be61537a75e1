#include "clients/cpp/descriptor_set.h"

#include <string>
#include <vector>

#include "demo/counter.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor_database.h"
#include "gtest/gtest.h"

namespace weft::clients::internal {
namespace {

using ::testing::ElementsAre;

TEST(DescriptorSetTest, IncludesImportsOnceDependenciesFirst) {
  const google::protobuf::ServiceDescriptor* services[] = {demo::Counter::descriptor(),
                                                           demo::CounterObject::descriptor(),
                                                           demo::CounterWatcher::descriptor()};
  google::protobuf::FileDescriptorSet set = BuildDescriptorSet(services);
  std::vector<std::string> names;
  for (const auto& file : set.file()) names.push_back(file.name());
  EXPECT_THAT(names, ElementsAre("weft/v1/object_ref.proto", "demo/counter.proto"));

  // The set is self-contained: a fresh pool builds every file from it.
  google::protobuf::SimpleDescriptorDatabase database;
  for (const auto& file : set.file()) ASSERT_TRUE(database.Add(file));
  google::protobuf::DescriptorPool pool(&database);
  const google::protobuf::ServiceDescriptor* watcher = pool.FindServiceByName("demo.CounterObject");
  ASSERT_NE(watcher, nullptr);
  EXPECT_NE(watcher->FindMethodByName("Watch"), nullptr);
}

}  // namespace
}  // namespace weft::clients::internal
