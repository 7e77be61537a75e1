#include "examples/demo/demo_services.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/service.h"
#include "gtest/gtest.h"

namespace weft::examples {
namespace {

using ::testing::ElementsAre;

TEST(DemoServicesTest, ListsCalculatorCounterAndTypes) {
  std::vector<std::string> names;
  for (auto& [name, factory] : DemoServiceFactories()) names.push_back(name);
  EXPECT_THAT(names, ElementsAre("demo.Calculator", "demo.Counter", "demo.Types"));
}

TEST(DemoServicesTest, EachFactoryMakesNewServantsOfItsService) {
  for (auto& [name, factory] : DemoServiceFactories()) {
    std::unique_ptr<google::protobuf::Service> first = factory();
    std::unique_ptr<google::protobuf::Service> second = factory();
    ASSERT_NE(first, nullptr) << name;
    ASSERT_NE(second, nullptr) << name;
    EXPECT_NE(first.get(), second.get()) << name;
    EXPECT_EQ(first->GetDescriptor()->full_name(), name);
  }
}

}  // namespace
}  // namespace weft::examples
