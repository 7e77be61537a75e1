// RoutingTable and its Builder: registrations, routes, subscriptions, connection removal and
// snapshot immutability.
#include "broker/routing_table.h"

#include <memory>
#include <variant>

#include "absl/status/status.h"
#include "broker/ids.h"
#include "broker/testdata/test_services.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::broker {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::IsNull;
using ::testing::NotNull;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
namespace testdata = ::weft::broker::testdata;

constexpr char kCalc[] = "weft.broker.testdata.Calc";
constexpr ConnectionRef kConnA{0, 11};
constexpr ConnectionRef kConnB{1, 12};

RouteTarget ToService(const char* name) { return {RouteTarget::Kind::kService, name}; }
RouteTarget ToTopic(const char* name) { return {RouteTarget::Kind::kTopic, name}; }

TEST(RoutingTableTest, EmptyTableKnowsNothing) {
  std::shared_ptr<const RoutingTable> table = RoutingTable::Builder().Build();
  EXPECT_THAT(table->Find(kCalc), IsNull());
  EXPECT_THAT(table->Subscribers("news"), IsEmpty());
  EXPECT_EQ(table->service_count(), 0u);
  EXPECT_EQ(table->route_count(), 0u);
  EXPECT_EQ(table->topic_count(), 0u);
}

TEST(RoutingTableTest, FindsARegisteredService) {
  RoutingTable::Builder builder;
  ASSERT_THAT(builder.AddService(*testdata::Calc::descriptor(), InProcessServant{3}), IsOk());
  std::shared_ptr<const RoutingTable> table = builder.Build();
  const RoutingTable::Entry* entry = table->Find(kCalc);
  ASSERT_THAT(entry, NotNull());
  ASSERT_TRUE(entry->registration.has_value());
  EXPECT_EQ(entry->registration->descriptor, testdata::Calc::descriptor());
  EXPECT_EQ(entry->registration->destination, ServiceDestination(InProcessServant{3}));
  EXPECT_THAT(entry->RouteFor("Add"), IsNull());
  EXPECT_EQ(table->service_count(), 1u);
}

TEST(RoutingTableTest, RejectsASecondRegistrationOfOneName) {
  RoutingTable::Builder builder;
  ASSERT_THAT(builder.AddService(*testdata::Calc::descriptor(), InProcessServant{0}), IsOk());
  EXPECT_THAT(builder.AddService(*testdata::Calc::descriptor(), RemoteService{kConnA}),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST(RoutingTableTest, SnapshotsDoNotSeeLaterChanges) {
  RoutingTable::Builder builder;
  ASSERT_THAT(builder.AddService(*testdata::Calc::descriptor(), InProcessServant{0}), IsOk());
  std::shared_ptr<const RoutingTable> first = builder.Build();
  ASSERT_THAT(builder.AddService(*testdata::Factory::descriptor(), InProcessServant{1}), IsOk());
  builder.Subscribe("news", kConnA);
  std::shared_ptr<const RoutingTable> second = builder.Build();

  RoutingTable::Builder from_second(*second);
  EXPECT_TRUE(from_second.RemoveService(kCalc));
  std::shared_ptr<const RoutingTable> third = from_second.Build();

  EXPECT_EQ(first->service_count(), 1u);
  EXPECT_THAT(first->Subscribers("news"), IsEmpty());
  EXPECT_EQ(second->service_count(), 2u);
  EXPECT_THAT(second->Subscribers("news"), ElementsAre(kConnA));
  EXPECT_EQ(third->service_count(), 1u);
  EXPECT_THAT(third->Find(kCalc), IsNull());
  EXPECT_THAT(second->Find(kCalc), NotNull());
}

TEST(RoutingTableTest, MethodRoutesComeBeforeServiceRoutes) {
  RoutingTable::Builder builder;
  ASSERT_THAT(builder.PutRoute({kCalc, ""}, ToService("weft.broker.testdata.CalcV2")), IsOk());
  ASSERT_THAT(builder.PutRoute({kCalc, "Echo"}, ToTopic("echoes")), IsOk());
  std::shared_ptr<const RoutingTable> table = builder.Build();
  const RoutingTable::Entry* entry = table->Find(kCalc);
  ASSERT_THAT(entry, NotNull());
  EXPECT_FALSE(entry->registration.has_value());
  EXPECT_EQ(*entry->RouteFor("Echo"), ToTopic("echoes"));
  EXPECT_EQ(*entry->RouteFor("Add"), ToService("weft.broker.testdata.CalcV2"));
  EXPECT_EQ(table->route_count(), 2u);
  EXPECT_EQ(table->service_count(), 0u);
}

TEST(RoutingTableTest, PutReplacesAndDeleteRemovesRoutes) {
  RoutingTable::Builder builder;
  ASSERT_THAT(builder.PutRoute({kCalc, "Add"}, ToTopic("one")), IsOk());
  ASSERT_THAT(builder.PutRoute({kCalc, "Add"}, ToTopic("two")), IsOk());
  EXPECT_EQ(*builder.Build()->Find(kCalc)->RouteFor("Add"), ToTopic("two"));
  EXPECT_FALSE(builder.DeleteRoute({kCalc, ""}));
  EXPECT_TRUE(builder.DeleteRoute({kCalc, "Add"}));
  EXPECT_FALSE(builder.DeleteRoute({kCalc, "Add"}));
  EXPECT_THAT(builder.Build()->Find(kCalc), IsNull());  // Empty entries are not kept.
}

TEST(RoutingTableTest, RejectsRoutesWithEmptyNames) {
  RoutingTable::Builder builder;
  EXPECT_THAT(builder.PutRoute({"", "Add"}, ToTopic("t")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(builder.PutRoute({kCalc, ""}, ToService("")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RoutingTableTest, RemovingAServiceKeepsItsRoutes) {
  RoutingTable::Builder builder;
  ASSERT_THAT(builder.AddService(*testdata::Calc::descriptor(), InProcessServant{0}), IsOk());
  ASSERT_THAT(builder.PutRoute({kCalc, "Add"}, ToTopic("sums")), IsOk());
  EXPECT_TRUE(builder.RemoveService(kCalc));
  EXPECT_FALSE(builder.RemoveService(kCalc));
  std::shared_ptr<const RoutingTable> table = builder.Build();
  const RoutingTable::Entry* entry = table->Find(kCalc);
  ASSERT_THAT(entry, NotNull());
  EXPECT_FALSE(entry->registration.has_value());
  EXPECT_EQ(*entry->RouteFor("Add"), ToTopic("sums"));
}

TEST(RoutingTableTest, SubscriptionsAreOrderedAndUnique) {
  RoutingTable::Builder builder;
  builder.Subscribe("news", kConnB);
  builder.Subscribe("news", kConnA);
  builder.Subscribe("news", kConnB);
  EXPECT_THAT(builder.Build()->Subscribers("news"), ElementsAre(kConnB, kConnA));
  EXPECT_TRUE(builder.Unsubscribe("news", kConnB));
  EXPECT_FALSE(builder.Unsubscribe("news", kConnB));
  EXPECT_FALSE(builder.Unsubscribe("sports", kConnB));
  EXPECT_TRUE(builder.Unsubscribe("news", kConnA));
  EXPECT_EQ(builder.Build()->topic_count(), 0u);
}

TEST(RoutingTableTest, RemovingAConnectionDropsItsServicesAndSubscriptions) {
  RoutingTable::Builder builder;
  ASSERT_THAT(builder.AddService(*testdata::Calc::descriptor(), RemoteService{kConnA}), IsOk());
  ASSERT_THAT(builder.AddService(*testdata::Factory::descriptor(), RemoteService{kConnB}), IsOk());
  ASSERT_THAT(builder.AddService(*testdata::CalcV2::descriptor(), InProcessServant{0}), IsOk());
  ASSERT_THAT(builder.PutRoute({kCalc, ""}, ToTopic("calls")), IsOk());
  builder.Subscribe("news", kConnA);
  builder.Subscribe("news", kConnB);
  builder.Subscribe("solo", kConnA);

  builder.RemoveConnection(kConnA);
  std::shared_ptr<const RoutingTable> table = builder.Build();
  EXPECT_EQ(table->service_count(), 2u);
  ASSERT_THAT(table->Find(kCalc), NotNull());
  EXPECT_FALSE(table->Find(kCalc)->registration.has_value());
  EXPECT_EQ(table->route_count(), 1u);
  EXPECT_THAT(table->Subscribers("news"), ElementsAre(kConnB));
  EXPECT_EQ(table->topic_count(), 1u);
}

}  // namespace
}  // namespace weft::broker
