#include "broker/control/config_reload.h"

#include "absl/status/statusor.h"
#include "broker/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::broker::control {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

config::v1::BrokerConfig Parse(absl::string_view text) {
  absl::StatusOr<config::v1::BrokerConfig> config = ParseConfigText(text, "test.conf");
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : config::v1::BrokerConfig();
}

TEST(PlanReloadTest, DeletesDroppedRoutesAndPutsNewAndChangedOnes) {
  const config::v1::BrokerConfig running = Parse(R"(
    node: "n"
    routes { target: "a.A" service: "a.V1" }
    routes { target: "b.B" topic: "t" }
    routes { target: "c.C" service: "c.V1" }
  )");
  const config::v1::BrokerConfig next = Parse(R"(
    node: "n"
    routes { target: "a.A" service: "a.V2" }
    routes { target: "c.C" service: "c.V1" }
    routes { target: "d.D" durable { queue: "d" } }
  )");
  ReloadPlan plan = PlanReload(running, next);
  EXPECT_THAT(plan.deletes, ElementsAre("b.B"));
  ASSERT_EQ(plan.puts.size(), 2u);
  EXPECT_EQ(plan.puts[0].service(), "a.V2");
  EXPECT_EQ(plan.puts[1].target(), "d.D");
  EXPECT_EQ(plan.puts[1].durable().max_attempts(), 10);  // Resolved by the loader.
  EXPECT_THAT(plan.restart_needed, IsEmpty());
}

TEST(PlanReloadTest, ListsSectionsThatNeedARestartButNotLoops) {
  const config::v1::BrokerConfig running = Parse("node: \"n\"\nloops: 2\n");
  const config::v1::BrokerConfig next = Parse(R"(
    node: "n"
    loops: 4
    listeners { wire { endpoint: "tcp:7799:interface=127.0.0.1" } }
    services { name: "demo.Calculator" }
  )");
  ReloadPlan plan = PlanReload(running, next);
  EXPECT_THAT(plan.restart_needed, ElementsAre("listeners", "services"));
  EXPECT_THAT(plan.deletes, IsEmpty());
  EXPECT_THAT(plan.puts, IsEmpty());
}

}  // namespace
}  // namespace weft::broker::control
