#include "broker/control/control_convert.h"

#include "absl/time/time.h"
#include "broker/control/config_reload.h"
#include "demo/calculator.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::broker::control {
namespace {

using ::testing::HasSubstr;
using ::weft::testing::StatusIs;

TEST(RouteFromRequestTest, FillsDurableDefaultsAndRoundTripsThroughTheListing) {
  config::v1::Route route;
  route.set_target("billing.Invoices");
  route.mutable_durable()->set_queue("invoices");
  route.mutable_durable()->set_idempotency_metadata("idempotency-key");
  absl::StatusOr<std::pair<config::v1::Route, RouteSpec>> parsed = RouteFromRequest(route);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const RouteSpec& spec = parsed->second;
  EXPECT_EQ(spec.kind, RouteTarget::Kind::kQueue);
  EXPECT_EQ(spec.queue, "invoices");
  EXPECT_EQ(spec.durable.max_attempts, 10);
  EXPECT_EQ(spec.durable.initial_backoff, absl::Seconds(1));
  EXPECT_EQ(parsed->first.durable().max_attempts(), 10);
  // The listing shows the route as applied, the same message the request resolved to.
  EXPECT_EQ(RouteToConfig(spec).SerializeAsString(), parsed->first.SerializeAsString());
}

TEST(RouteFromRequestTest, ServiceAndTopicRoutes) {
  config::v1::Route route;
  route.set_target("demo.Calculator.Add");
  route.set_topic("audit");
  absl::StatusOr<std::pair<config::v1::Route, RouteSpec>> parsed = RouteFromRequest(route);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->second.kind, RouteTarget::Kind::kTopic);
  EXPECT_EQ(RouteToConfig(parsed->second).topic(), "audit");
  route.set_service("demo.Other");
  parsed = RouteFromRequest(route);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->second.kind, RouteTarget::Kind::kService);
  EXPECT_EQ(RouteToConfig(parsed->second).service(), "demo.Other");
}

TEST(RouteFromRequestTest, NamesTheBadFieldWithoutTheConfigPrefix) {
  config::v1::Route route;
  route.set_service("demo.Other");
  EXPECT_THAT(RouteFromRequest(route).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("route: target")));
  route.set_target("demo.X");
  route.mutable_durable()->set_max_attempts(0);
  EXPECT_THAT(RouteFromRequest(route).status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                                         HasSubstr("route: durable.max_attempts")));
}

// Routes of other kinds (a webhook, served by its gateway) belong in the config file. Found by
// reflection so that the test follows the schema's destinations as they are added.
TEST(RouteFromRequestTest, RefusesRoutesTheRoutingTableCannotHold) {
  const google::protobuf::OneofDescriptor* destination =
      config::v1::Route::descriptor()->FindOneofByName("destination");
  ASSERT_NE(destination, nullptr);
  int others = 0;
  for (int i = 0; i < destination->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = destination->field(i);
    if (field->name() == "service" || field->name() == "topic") continue;
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    config::v1::Route route;
    route.set_target("demo.Hook");
    route.GetReflection()->MutableMessage(&route, field);  // Present, with its defaults.
    EXPECT_FALSE(IsTableRoute(route)) << field->name();
    EXPECT_THAT(RouteFromRequest(route).status(), StatusIs(absl::StatusCode::kInvalidArgument))
        << field->name();
    ++others;
  }
  if (others == 0) GTEST_SKIP() << "the schema has only service and topic destinations";
}

TEST(QueueToProtoTest, AgeOfTheOldestLiveMessage) {
  const absl::Time now = absl::FromUnixSeconds(1000);
  QueueStatus queue;
  queue.name = "q";
  queue.live = 2;
  queue.oldest_live = now - absl::Seconds(3);
  EXPECT_EQ(QueueToProto(queue, now).oldest_live_age_ms(), 3000);
  queue.oldest_live.reset();
  EXPECT_EQ(QueueToProto(queue, now).oldest_live_age_ms(), 0);
}

TEST(DescribeServiceTest, MethodsMessagesAndASelfContainedDescriptorSet) {
  const google::protobuf::ServiceDescriptor& service = *demo::Calculator::descriptor();
  weft::control::v1::DescribeServiceResponse described = DescribeService(service);
  EXPECT_EQ(described.name(), "demo.Calculator");
  ASSERT_EQ(described.methods_size(), 2);
  EXPECT_EQ(described.methods(1).name(), "Divide");
  EXPECT_EQ(described.methods(1).request_type(), "demo.DivideRequest");
  ASSERT_EQ(described.messages_size(), 4);
  EXPECT_EQ(described.messages(0).name(), "demo.AddRequest");
  google::protobuf::DescriptorPool pool;
  for (const google::protobuf::FileDescriptorProto& file : described.descriptor_set().file()) {
    ASSERT_NE(pool.BuildFile(file), nullptr) << file.name();
  }
  EXPECT_NE(pool.FindServiceByName("demo.Calculator"), nullptr);
  EXPECT_EQ(SummarizeService(service).methods_size(), 2);
}

}  // namespace
}  // namespace weft::broker::control
