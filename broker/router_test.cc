// Route() precedence and errors, and ParseRoutePattern().
#include "broker/router.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "broker/descriptor_registry.h"
#include "broker/ids.h"
#include "broker/routing_table.h"
#include "broker/testdata/test_services.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

// Counts heap allocations in this test binary, to check that routing a call makes none.
namespace {
std::atomic<int64_t> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) std::abort();  // Tests only; Weft never throws.
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace weft::broker {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::IsNull;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
namespace testdata = ::weft::broker::testdata;

constexpr char kCalc[] = "weft.broker.testdata.Calc";
constexpr char kCalcV2[] = "weft.broker.testdata.CalcV2";
constexpr char kOtherCalc[] = "weft.broker.testdata.OtherCalc";
constexpr ConnectionRef kConn{2, 40};

const google::protobuf::MethodDescriptor* MethodOf(const google::protobuf::ServiceDescriptor* s,
                                                   const char* name) {
  return s->FindMethodByName(name);
}

// Calc in process (servant 0), CalcV2 on a connection, OtherCalc in process (servant 1).
class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    EXPECT_THAT(builder_.AddService(*testdata::Calc::descriptor(), InProcessServant{0}), IsOk());
    EXPECT_THAT(builder_.AddService(*testdata::CalcV2::descriptor(), RemoteService{kConn}), IsOk());
    EXPECT_THAT(builder_.AddService(*testdata::OtherCalc::descriptor(), InProcessServant{1}),
                IsOk());
  }

  void Put(const char* service, const char* method, RouteTarget::Kind kind, const char* name) {
    EXPECT_THAT(builder_.PutRoute({service, method}, RouteTarget{kind, name}), IsOk());
  }

  absl::StatusOr<Destination> RouteCall(const char* service, const char* method) {
    table_ = builder_.Build();
    return Route(*table_, service, method);
  }

  RoutingTable::Builder builder_;
  std::shared_ptr<const RoutingTable> table_;
};

TEST_F(RouterTest, RoutesToRegistrations) {
  absl::StatusOr<Destination> local = RouteCall(kCalc, "Add");
  ASSERT_THAT(local, IsOk());
  EXPECT_EQ(std::get<InProcessServant>(local->target).index, 0u);
  EXPECT_EQ(local->service, testdata::Calc::descriptor());
  EXPECT_EQ(local->method, MethodOf(testdata::Calc::descriptor(), "Add"));

  absl::StatusOr<Destination> remote = RouteCall(kCalcV2, "Echo");
  ASSERT_THAT(remote, IsOk());
  EXPECT_EQ(std::get<RemoteService>(remote->target).connection, kConn);
  EXPECT_EQ(remote->method, MethodOf(testdata::CalcV2::descriptor(), "Echo"));
}

TEST_F(RouterTest, ReportsUnknownServicesAndMethods) {
  EXPECT_THAT(RouteCall("demo.Nope", "Add"),
              StatusIs(absl::StatusCode::kNotFound, "no service 'demo.Nope'"));
  EXPECT_THAT(RouteCall(kCalc, "Divide"),
              StatusIs(absl::StatusCode::kNotFound,
                       "service 'weft.broker.testdata.Calc' has no method 'Divide'"));
}

TEST_F(RouterTest, ServiceRouteWinsOverTheRegistration) {
  Put(kCalc, "", RouteTarget::Kind::kService, kCalcV2);
  absl::StatusOr<Destination> destination = RouteCall(kCalc, "Add");
  ASSERT_THAT(destination, IsOk());
  EXPECT_EQ(std::get<RemoteService>(destination->target).connection, kConn);
  EXPECT_EQ(destination->service, testdata::CalcV2::descriptor());
  EXPECT_EQ(destination->method, MethodOf(testdata::CalcV2::descriptor(), "Add"));
}

TEST_F(RouterTest, MethodRouteWinsOverTheServiceRoute) {
  Put(kCalc, "", RouteTarget::Kind::kService, kCalcV2);
  Put(kCalc, "Echo", RouteTarget::Kind::kTopic, "echoes");
  builder_.Subscribe("echoes", kConn);
  absl::StatusOr<Destination> echo = RouteCall(kCalc, "Echo");
  ASSERT_THAT(echo, IsOk());
  const TopicFanout& fanout = std::get<TopicFanout>(echo->target);
  EXPECT_EQ(fanout.topic, "echoes");
  EXPECT_THAT(fanout.subscribers, ElementsAre(kConn));
  EXPECT_EQ(echo->service, testdata::Calc::descriptor());
  EXPECT_EQ(echo->method, MethodOf(testdata::Calc::descriptor(), "Echo"));

  absl::StatusOr<Destination> add = RouteCall(kCalc, "Add");
  ASSERT_THAT(add, IsOk());
  EXPECT_EQ(add->service, testdata::CalcV2::descriptor());
}

TEST_F(RouterTest, RoutesAnAliasThatIsNotRegistered) {
  Put("demo.Alias", "", RouteTarget::Kind::kService, kCalc);
  absl::StatusOr<Destination> destination = RouteCall("demo.Alias", "Add");
  ASSERT_THAT(destination, IsOk());
  EXPECT_EQ(destination->service, testdata::Calc::descriptor());
  EXPECT_THAT(RouteCall("demo.Alias", "Nope"),
              StatusIs(absl::StatusCode::kNotFound,
                       "service 'weft.broker.testdata.Calc' has no method 'Nope'"));
}

TEST_F(RouterTest, RouteToAnUnregisteredServiceIsNotFound) {
  Put(kCalc, "Add", RouteTarget::Kind::kService, "demo.Later");
  EXPECT_THAT(RouteCall(kCalc, "Add"),
              StatusIs(absl::StatusCode::kNotFound, "no service 'demo.Later'"));
}

TEST_F(RouterTest, RouteBetweenMethodsOfDifferentTypesFails) {
  Put(kCalc, "Add", RouteTarget::Kind::kService, kOtherCalc);
  EXPECT_THAT(RouteCall(kCalc, "Add"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(RouterTest, TopicRoutes) {
  Put("demo.Events", "", RouteTarget::Kind::kTopic, "events");
  absl::StatusOr<Destination> unregistered = RouteCall("demo.Events", "Emit");
  ASSERT_THAT(unregistered, IsOk());
  EXPECT_THAT(std::get<TopicFanout>(unregistered->target).subscribers, IsEmpty());
  EXPECT_THAT(unregistered->service, IsNull());
  EXPECT_THAT(unregistered->method, IsNull());

  Put(kCalc, "", RouteTarget::Kind::kTopic, "calls");
  EXPECT_THAT(RouteCall(kCalc, "Add"), IsOk());
  EXPECT_THAT(RouteCall(kCalc, "Divide"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RouterTest, RoutingACallAllocatesNothing) {
  Put(kCalc, "Echo", RouteTarget::Kind::kTopic, "echoes");
  Put("demo.AliasWithALongName", "", RouteTarget::Kind::kService, kCalc);
  builder_.Subscribe("echoes", kConn);
  table_ = builder_.Build();
  const std::pair<const char*, const char*> calls[] = {
      {kCalc, "Add"}, {kCalc, "Echo"}, {"demo.AliasWithALongName", "Add"}, {kCalcV2, "Echo"}};
  const int64_t probe = allocations.load();
  std::make_unique<int>(1).reset();
  ASSERT_GT(allocations.load(), probe) << "the operator new counter is not in use";
  bool all_ok = true;
  const int64_t before = allocations.load();
  for (const auto& [service, method] : calls) all_ok &= Route(*table_, service, method).ok();
  const int64_t after = allocations.load();
  EXPECT_TRUE(all_ok);
  EXPECT_EQ(after - before, 0);
}

TEST(ParseRoutePatternTest, ResolvesServicesAndMethods) {
  DescriptorRegistry registry;
  absl::StatusOr<RoutePattern> service = ParseRoutePattern(kCalc, registry);
  ASSERT_THAT(service, IsOk());
  EXPECT_EQ(service->service, kCalc);
  EXPECT_EQ(service->method, "");

  absl::StatusOr<RoutePattern> dotted =
      ParseRoutePattern("weft.broker.testdata.Calc.Add", registry);
  ASSERT_THAT(dotted, IsOk());
  EXPECT_EQ(dotted->service, kCalc);
  EXPECT_EQ(dotted->method, "Add");

  absl::StatusOr<RoutePattern> slashed = ParseRoutePattern("demo.Later/Run", registry);
  ASSERT_THAT(slashed, IsOk());
  EXPECT_EQ(slashed->service, "demo.Later");
  EXPECT_EQ(slashed->method, "Run");

  absl::StatusOr<RoutePattern> unknown = ParseRoutePattern("demo.Later.Run", registry);
  ASSERT_THAT(unknown, IsOk());
  EXPECT_EQ(unknown->service, "demo.Later.Run");
  EXPECT_EQ(unknown->method, "");
}

TEST(ParseRoutePatternTest, RejectsMalformedPatterns) {
  DescriptorRegistry registry;
  for (const char* bad : {"", "/Run", "demo.Later/", "demo.Later/Run/Again"}) {
    EXPECT_THAT(ParseRoutePattern(bad, registry), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

}  // namespace
}  // namespace weft::broker
