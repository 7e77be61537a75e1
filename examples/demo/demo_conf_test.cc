// examples/demo.conf, the config `./weft run` starts weftd with, stays loadable and hosts the
// demo services.
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/config.h"
#include "examples/demo/demo_services.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "weft/config/v1/config.pb.h"

namespace weft::examples {
namespace {

using ::testing::UnorderedElementsAreArray;
using ::weft::config::v1::BrokerConfig;
using ::weft::testing::IsOk;

constexpr char kDemoConf[] = "examples/demo.conf";

TEST(DemoConfTest, LoadsAndValidates) {
  absl::StatusOr<BrokerConfig> config = broker::LoadConfigFile(kDemoConf);
  ASSERT_THAT(config, IsOk());
  EXPECT_THAT(broker::ValidateConfig(*config), IsOk());
}

TEST(DemoConfTest, HostsExactlyTheDemoServices) {
  absl::StatusOr<BrokerConfig> config = broker::LoadConfigFile(kDemoConf);
  ASSERT_THAT(config, IsOk());
  std::vector<std::string> hosted;
  for (const auto& service : config->services()) {
    EXPECT_TRUE(service.enabled()) << service.name();
    hosted.push_back(service.name());
  }
  std::vector<std::string> compiled_in;
  for (auto& [name, factory] : DemoServiceFactories()) compiled_in.push_back(name);
  EXPECT_THAT(hosted, UnorderedElementsAreArray(compiled_in));
}

TEST(DemoConfTest, ListensOnTheDefaultPorts) {
  absl::StatusOr<BrokerConfig> config = broker::LoadConfigFile(kDemoConf);
  ASSERT_THAT(config, IsOk());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      config->listeners(), broker::DefaultConfig().listeners()))
      << config->listeners().DebugString();
}

}  // namespace
}  // namespace weft::examples
