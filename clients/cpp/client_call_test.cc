#include <memory>
#include <string>
#include <vector>

#include "clients/cpp/client.h"
#include "clients/cpp/testing/client_fixture.h"
#include "demo/calculator.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "weft/v1/wire.pb.h"

namespace weft::clients {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using ::weft::clients::testing::Captured;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
using Frame = ::weft::v1::Frame;

demo::AddRequest Add(int64_t a, int64_t b) {
  demo::AddRequest request;
  request.set_a(a);
  request.set_b(b);
  return request;
}

demo::AddResponse Sum(int64_t sum) {
  demo::AddResponse response;
  response.set_sum(sum);
  return response;
}

class ClientCallTest : public testing::ClientFixture {
 protected:
  void SetUp() override { Connect(); }

  Captured<demo::AddResponse> CallAdd(int64_t a, int64_t b, CallOptions options = {}) {
    return Captured<demo::AddResponse>(
        client_->Call(&demo::Calculator_Stub::Add, Add(a, b), options));
  }
};

TEST_F(ClientCallTest, SendsCallAndCompletesWithTheReply) {
  Captured<demo::AddResponse> sum = CallAdd(2, 3);
  Frame call = TakeOne(Frame::kCall);
  EXPECT_EQ(call.call().service(), "demo.Calculator");
  EXPECT_EQ(call.call().method(), "Add");
  EXPECT_EQ(call.call().object_id(), 0u);
  EXPECT_EQ(call.call().timeout_micros(), 0);
  demo::AddRequest request;
  ASSERT_TRUE(request.ParseFromString(call.call().payload()));
  EXPECT_EQ(request.a(), 2);
  EXPECT_FALSE(sum.fired());

  broker_.SendReply(call.call().call_id(), Sum(5));
  ASSERT_TRUE(sum.fired());
  ASSERT_THAT(sum.result(), IsOk());
  EXPECT_EQ(sum.result()->sum(), 5);
}

TEST_F(ClientCallTest, ReportsEveryBrokerStatusCode) {
  const absl::StatusCode codes[] = {
      absl::StatusCode::kCancelled,          absl::StatusCode::kUnknown,
      absl::StatusCode::kInvalidArgument,    absl::StatusCode::kDeadlineExceeded,
      absl::StatusCode::kNotFound,           absl::StatusCode::kAlreadyExists,
      absl::StatusCode::kPermissionDenied,   absl::StatusCode::kResourceExhausted,
      absl::StatusCode::kFailedPrecondition, absl::StatusCode::kUnimplemented,
      absl::StatusCode::kInternal,           absl::StatusCode::kUnavailable,
      absl::StatusCode::kUnauthenticated};
  for (absl::StatusCode code : codes) {
    Captured<demo::AddResponse> sum = CallAdd(1, 1);
    Frame call = TakeOne(Frame::kCall);
    broker_.SendError(call.call().call_id(), absl::Status(code, "from the broker"));
    ASSERT_TRUE(sum.fired());
    EXPECT_THAT(sum.result(), StatusIs(code, "from the broker"));
  }
}

TEST_F(ClientCallTest, UnknownStatusCodeBecomesUnknown) {
  Captured<demo::AddResponse> sum = CallAdd(1, 1);
  Frame call = TakeOne(Frame::kCall);
  Frame reply;
  reply.mutable_reply()->set_call_id(call.call().call_id());
  reply.mutable_reply()->mutable_status()->set_code(99);
  broker_.Send(reply);
  EXPECT_THAT(sum.result(), StatusIs(absl::StatusCode::kUnknown));
}

TEST_F(ClientCallTest, UnparsableReplyPayloadIsInternal) {
  Captured<demo::AddResponse> sum = CallAdd(1, 1);
  Frame call = TakeOne(Frame::kCall);
  Frame reply;
  reply.mutable_reply()->set_call_id(call.call().call_id());
  reply.mutable_reply()->set_payload("\xff\xff\xff");
  broker_.Send(reply);
  EXPECT_THAT(sum.result(), StatusIs(absl::StatusCode::kInternal));
  // The connection stays usable.
  Captured<demo::AddResponse> next = CallAdd(1, 2);
  broker_.SendReply(TakeOne(Frame::kCall).call().call_id(), Sum(3));
  EXPECT_THAT(next.result(), IsOk());
}

TEST_F(ClientCallTest, PipelinedCallsCompleteInReplyOrder) {
  std::vector<std::unique_ptr<Captured<demo::AddResponse>>> sums;
  for (int i = 0; i < 3; ++i) {
    sums.push_back(std::make_unique<Captured<demo::AddResponse>>(
        client_->Call(&demo::Calculator_Stub::Add, Add(i, 0))));
  }
  broker_.Pump();
  std::vector<Frame> calls = broker_.TakeFrames(Frame::kCall);
  ASSERT_EQ(calls.size(), 3u);
  broker_.SendReply(calls[2].call().call_id(), Sum(20));
  EXPECT_TRUE(sums[2]->fired());
  EXPECT_FALSE(sums[0]->fired());
  broker_.SendReply(calls[0].call().call_id(), Sum(0));
  broker_.SendReply(calls[1].call().call_id(), Sum(10));
  EXPECT_EQ(sums[0]->result()->sum(), 0);
  EXPECT_EQ(sums[1]->result()->sum(), 10);
  EXPECT_EQ(sums[2]->result()->sum(), 20);
}

TEST_F(ClientCallTest, CoalescesFramesOfOneIterationIntoOneWrite) {
  Captured<demo::AddResponse> a = CallAdd(1, 1);
  Captured<demo::AddResponse> b = CallAdd(2, 2);
  broker_.Pump();
  EXPECT_EQ(broker_.TakeFrames(Frame::kCall).size(), 2u);
}

TEST_F(ClientCallTest, DeadlineSendsCancelAndCompletesDeadlineExceeded) {
  CallOptions options;
  options.timeout = absl::Milliseconds(250);
  Captured<demo::AddResponse> sum = CallAdd(1, 1, options);
  Frame call = TakeOne(Frame::kCall);
  EXPECT_EQ(call.call().timeout_micros(), 250000);
  loop_.AdvanceBy(absl::Milliseconds(249));
  EXPECT_FALSE(sum.fired());
  loop_.AdvanceBy(absl::Milliseconds(1));
  ASSERT_TRUE(sum.fired());
  EXPECT_THAT(sum.result(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  Frame cancel = TakeOne(Frame::kCancel);
  EXPECT_EQ(cancel.cancel().call_id(), call.call().call_id());
  // The late reply is dropped.
  broker_.SendReply(call.call().call_id(), Sum(2));
  EXPECT_EQ(client_->state(), ConnectionState::kReady);
}

TEST_F(ClientCallTest, DefaultTimeoutAppliesWhenTheCallSetsNone) {
  client_.reset();
  ClientOptions options;
  options.default_timeout = absl::Seconds(2);
  Connect(options);
  Captured<demo::AddResponse> sum = CallAdd(1, 1);
  EXPECT_EQ(TakeOne(Frame::kCall).call().timeout_micros(), 2000000);
  loop_.AdvanceBy(absl::Seconds(2));
  EXPECT_THAT(sum.result(), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(ClientCallTest, CancellingTheDeferredSendsCancel) {
  Captured<demo::AddResponse> sum = CallAdd(1, 1);
  Frame call = TakeOne(Frame::kCall);
  sum.Cancel();
  ASSERT_TRUE(sum.fired());
  EXPECT_THAT(sum.result(), StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(TakeOne(Frame::kCancel).cancel().call_id(), call.call().call_id());
  broker_.SendReply(call.call().call_id(), Sum(2));  // Late: dropped.
}

TEST_F(ClientCallTest, ControllerStartCancelThroughTheChannel) {
  demo::Calculator_Stub stub(&client_->channel());
  Controller controller;
  controller.set_metadata("trace", "abc");
  demo::AddRequest request = Add(1, 2);
  demo::AddResponse response;
  bool done = false;
  std::unique_ptr<google::protobuf::Closure> closure(google::protobuf::NewPermanentCallback(
      +[](bool* d) { *d = true; }, &done));
  stub.Add(&controller, &request, &response, closure.get());
  Frame call = TakeOne(Frame::kCall);
  EXPECT_THAT(call.call().metadata(), UnorderedElementsAre(Pair("trace", "abc")));
  controller.StartCancel();
  EXPECT_TRUE(done);
  EXPECT_TRUE(controller.IsCanceled());
  EXPECT_THAT(controller.status(), StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(TakeOne(Frame::kCancel).cancel().call_id(), call.call().call_id());
}

TEST_F(ClientCallTest, CancelBeforeStartCompletesWithoutSending) {
  demo::Calculator_Stub stub(&client_->channel());
  Controller controller;
  controller.StartCancel();
  demo::AddRequest request;
  demo::AddResponse response;
  bool done = false;
  std::unique_ptr<google::protobuf::Closure> closure(google::protobuf::NewPermanentCallback(
      +[](bool* d) { *d = true; }, &done));
  stub.Add(&controller, &request, &response, closure.get());
  EXPECT_TRUE(done);
  EXPECT_THAT(controller.status(), StatusIs(absl::StatusCode::kCancelled));
  broker_.Pump();
  EXPECT_TRUE(broker_.TakeFrames(Frame::kCall).empty());
}

TEST_F(ClientCallTest, QueuesCallsBeyondMaxInFlight) {
  client_.reset();
  Connect({}, /*max_in_flight=*/2);
  Captured<demo::AddResponse> a = CallAdd(1, 0);
  Captured<demo::AddResponse> b = CallAdd(2, 0);
  Captured<demo::AddResponse> c = CallAdd(3, 0);
  broker_.Pump();
  std::vector<Frame> calls = broker_.TakeFrames(Frame::kCall);
  ASSERT_EQ(calls.size(), 2u);
  broker_.SendReply(calls[1].call().call_id(), Sum(2));
  Frame third = TakeOne(Frame::kCall);
  demo::AddRequest request;
  ASSERT_TRUE(request.ParseFromString(third.call().payload()));
  EXPECT_EQ(request.a(), 3);
}

TEST_F(ClientCallTest, CancelledCallKeepsItsSlotUntilTheBrokerReplies) {
  client_.reset();
  Connect({}, /*max_in_flight=*/1);
  Captured<demo::AddResponse> a = CallAdd(1, 0);
  Frame first = TakeOne(Frame::kCall);
  Captured<demo::AddResponse> b = CallAdd(2, 0);
  a.Cancel();
  broker_.Pump();
  EXPECT_TRUE(broker_.TakeFrames(Frame::kCall).empty());  // Broker still counts `a`.
  broker_.SendError(first.call().call_id(), absl::CancelledError("cancelled"));
  EXPECT_EQ(TakeOne(Frame::kCall).call().call_id(), first.call().call_id() + 1);
}

TEST_F(ClientCallTest, QueuedCallTimesOutWithoutBeingSent) {
  client_.reset();
  Connect({}, /*max_in_flight=*/1);
  Captured<demo::AddResponse> a = CallAdd(1, 0);
  CallOptions options;
  options.timeout = absl::Seconds(1);
  Captured<demo::AddResponse> b = CallAdd(2, 0, options);
  Frame first = TakeOne(Frame::kCall);
  loop_.AdvanceBy(absl::Seconds(1));
  EXPECT_THAT(b.result(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  broker_.SendReply(first.call().call_id(), Sum(1));
  broker_.Pump();
  std::vector<Frame> frames = broker_.TakeFrames();
  EXPECT_TRUE(frames.empty());  // Neither the timed-out call nor a Cancel for it.
}

TEST_F(ClientCallTest, RequestOverTheBrokersFrameLimitFailsLocally) {
  client_.reset();
  Connect({}, 0, /*max_frame_bytes=*/64);
  demo::AddRequest request;
  Captured<demo::AddResponse> small = CallAdd(1, 1);
  // A Greeter-sized payload would do; an AddRequest cannot exceed 64 bytes, so use metadata.
  CallOptions options;
  options.metadata.emplace_back("k", std::string(100, 'x'));
  Captured<demo::AddResponse> big = CallAdd(1, 1, options);
  EXPECT_THAT(big.result(), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(broker_.TakeFrames().size(), 0u);
  EXPECT_EQ(TakeOne(Frame::kCall).call().metadata_size(), 0);
}

TEST_F(ClientCallTest, CallsFailUnavailableWhenNotConnected) {
  client_->Close();
  Captured<demo::AddResponse> sum = CallAdd(1, 1);
  EXPECT_THAT(sum.result(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(ClientCallTest, DestroyingTheClientCancelsPendingCalls) {
  Captured<demo::AddResponse> sum = CallAdd(1, 1);
  broker_.Pump();
  client_.reset();
  EXPECT_THAT(sum.result(), StatusIs(absl::StatusCode::kCancelled));
  loop_.RunUntilIdle();
}

reactor::Deferred<int64_t> AddTwice(Client& client) {
  absl::StatusOr<demo::AddResponse> first =
      co_await client.Call(&demo::Calculator_Stub::Add, Add(1, 2));
  if (!first.ok()) co_return first.status();
  absl::StatusOr<demo::AddResponse> second =
      co_await client.Call(&demo::Calculator_Stub::Add, Add(first->sum(), 10));
  if (!second.ok()) co_return second.status();
  co_return second->sum();
}

TEST_F(ClientCallTest, WorksWithCoAwait) {
  Captured<int64_t> total(AddTwice(*client_));
  broker_.SendReply(TakeOne(Frame::kCall).call().call_id(), Sum(3));
  broker_.SendReply(TakeOne(Frame::kCall).call().call_id(), Sum(13));
  ASSERT_THAT(total.result(), IsOk());
  EXPECT_EQ(*total.result(), 13);
}

TEST_F(ClientCallTest, ClientMayBeDestroyedFromACompletionCallback) {
  bool ran = false;
  client_->Call(&demo::Calculator_Stub::Add, Add(1, 1))
      .Handle([&](absl::StatusOr<demo::AddResponse> r) {
        ran = true;
        EXPECT_THAT(r, IsOk());
        client_.reset();
      });
  broker_.SendReply(TakeOne(Frame::kCall).call().call_id(), Sum(2));
  EXPECT_TRUE(ran);
  loop_.RunUntilIdle();
}

TEST_F(ClientCallTest, AnswersPingWithPong) {
  Frame ping;
  ping.mutable_ping()->set_nonce(7);
  broker_.Send(ping);
  EXPECT_EQ(TakeOne(Frame::kPong).pong().nonce(), 7u);
}

}  // namespace
}  // namespace weft::clients
