#include "examples/demo/calculator_servant.h"

#include <cstdint>
#include <limits>
#include <memory>

#include "absl/status/status.h"
#include "broker/call_context.h"
#include "demo/calculator.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::examples {
namespace {

using ::weft::broker::CallContext;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// A done closure that counts its runs.
class CountingClosure final : public google::protobuf::Closure {
 public:
  void Run() override { ++runs_; }
  int runs() const { return runs_; }

 private:
  int runs_ = 0;
};

class CalculatorServantTest : public ::testing::Test {
 protected:
  // Calls Add and checks `done` ran exactly once; the outcome is in context_.
  demo::AddResponse Add(int64_t a, int64_t b) {
    demo::AddRequest request;
    request.set_a(a);
    request.set_b(b);
    demo::AddResponse response;
    CountingClosure done;
    servant_.Add(&context_, &request, &response, &done);
    EXPECT_EQ(done.runs(), 1);
    return response;
  }

  demo::DivideResponse Divide(int64_t dividend, int64_t divisor) {
    demo::DivideRequest request;
    request.set_dividend(dividend);
    request.set_divisor(divisor);
    demo::DivideResponse response;
    CountingClosure done;
    servant_.Divide(&context_, &request, &response, &done);
    EXPECT_EQ(done.runs(), 1);
    return response;
  }

  CalculatorServant servant_;
  CallContext context_;
};

TEST_F(CalculatorServantTest, AddsTwoNumbers) {
  EXPECT_EQ(Add(2, 3).sum(), 5);
  EXPECT_THAT(context_.status(), IsOk());
}

TEST_F(CalculatorServantTest, AddsNegativeNumbersAndExtremesThatFit) {
  EXPECT_EQ(Add(-7, 3).sum(), -4);
  EXPECT_EQ(Add(kMax, 0).sum(), kMax);
  EXPECT_EQ(Add(kMin, kMax).sum(), -1);
  EXPECT_THAT(context_.status(), IsOk());
}

TEST_F(CalculatorServantTest, AddOverflowIsOutOfRange) {
  Add(kMax, 1);
  EXPECT_THAT(context_.status(), StatusIs(absl::StatusCode::kOutOfRange, "integer overflow"));
}

TEST_F(CalculatorServantTest, AddUnderflowIsOutOfRange) {
  Add(kMin, -1);
  EXPECT_THAT(context_.status(), StatusIs(absl::StatusCode::kOutOfRange, "integer overflow"));
}

TEST_F(CalculatorServantTest, DividesTruncatingTowardZero) {
  demo::DivideResponse response = Divide(7, 2);
  EXPECT_EQ(response.quotient(), 3);
  EXPECT_EQ(response.remainder(), 1);
  response = Divide(-7, 2);
  EXPECT_EQ(response.quotient(), -3);
  EXPECT_EQ(response.remainder(), -1);
  response = Divide(7, -2);
  EXPECT_EQ(response.quotient(), -3);
  EXPECT_EQ(response.remainder(), 1);
  EXPECT_THAT(context_.status(), IsOk());
}

TEST_F(CalculatorServantTest, DividesExtremesThatFit) {
  demo::DivideResponse response = Divide(kMin, 1);
  EXPECT_EQ(response.quotient(), kMin);
  EXPECT_EQ(response.remainder(), 0);
  response = Divide(kMax, -1);
  EXPECT_EQ(response.quotient(), -kMax);
  response = Divide(kMin, kMin);
  EXPECT_EQ(response.quotient(), 1);
  EXPECT_THAT(context_.status(), IsOk());
}

TEST_F(CalculatorServantTest, DivisionByZeroIsInvalidArgument) {
  Divide(1, 0);
  EXPECT_THAT(context_.status(), StatusIs(absl::StatusCode::kInvalidArgument, "division by zero"));
}

TEST_F(CalculatorServantTest, ZeroDividedByZeroIsInvalidArgument) {
  Divide(0, 0);
  EXPECT_THAT(context_.status(), StatusIs(absl::StatusCode::kInvalidArgument, "division by zero"));
}

TEST_F(CalculatorServantTest, Int64MinDividedByMinusOneIsInvalidArgument) {
  Divide(kMin, -1);
  EXPECT_THAT(context_.status(), StatusIs(absl::StatusCode::kInvalidArgument, "integer overflow"));
}

// The broker reaches servants through google::protobuf::Service::CallMethod.
TEST_F(CalculatorServantTest, ServesThroughCallMethod) {
  const google::protobuf::ServiceDescriptor* service = servant_.GetDescriptor();
  EXPECT_EQ(service->full_name(), "demo.Calculator");
  const google::protobuf::MethodDescriptor* method = service->FindMethodByName("Divide");
  ASSERT_NE(method, nullptr);
  std::unique_ptr<google::protobuf::Message> request(servant_.GetRequestPrototype(method).New());
  std::unique_ptr<google::protobuf::Message> response(servant_.GetResponsePrototype(method).New());
  ASSERT_TRUE(request->ParseFromString([] {
    demo::DivideRequest r;
    r.set_dividend(17);
    r.set_divisor(5);
    return r.SerializeAsString();
  }()));
  CountingClosure done;
  servant_.CallMethod(method, &context_, request.get(), response.get(), &done);
  EXPECT_EQ(done.runs(), 1);
  EXPECT_THAT(context_.status(), IsOk());
  demo::DivideResponse typed;
  ASSERT_TRUE(typed.ParseFromString(response->SerializeAsString()));
  EXPECT_EQ(typed.quotient(), 3);
  EXPECT_EQ(typed.remainder(), 2);
}

TEST_F(CalculatorServantTest, CallMethodReportsErrorsOnTheContext) {
  const google::protobuf::MethodDescriptor* method =
      servant_.GetDescriptor()->FindMethodByName("Divide");
  ASSERT_NE(method, nullptr);
  demo::DivideRequest request;
  request.set_dividend(1);
  demo::DivideResponse response;
  CountingClosure done;
  servant_.CallMethod(method, &context_, &request, &response, &done);
  EXPECT_EQ(done.runs(), 1);
  EXPECT_TRUE(context_.Failed());
  EXPECT_EQ(context_.ErrorText(), "division by zero");
}

}  // namespace
}  // namespace weft::examples
