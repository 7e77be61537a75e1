// Broker calls to in-process servants: the per-loop fast path and the home shard's path for
// messages that carry references, errors, one-way calls, async servants, deadlines and
// cancellation, on one loop and across two.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/peer.h"
#include "broker/testdata/test_services.pb.h"
#include "broker/testing/broker_harness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::broker {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::NotNull;
using ::weft::broker::testing::BrokerHarness;
using ::weft::broker::testing::Client;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
namespace testdata = ::weft::broker::testdata;

constexpr char kCalc[] = "weft.broker.testdata.Calc";
constexpr char kSlow[] = "weft.broker.testdata.Slow";

testdata::AddRequest Add(int64_t a, int64_t b) {
  testdata::AddRequest request;
  request.set_a(a);
  request.set_b(b);
  return request;
}

testdata::Plain Text(const std::string& text, int32_t number = 0) {
  testdata::Plain plain;
  plain.set_text(text);
  plain.set_number(number);
  return plain;
}

template <typename T>
T Parse(const std::string& bytes) {
  T message;
  EXPECT_TRUE(message.ParseFromString(bytes));
  return message;
}

class BrokerCallTest : public ::testing::Test {
 protected:
  BrokerHarness harness_{1};
  Client& client_ = harness_.Connect();
};

TEST_F(BrokerCallTest, FastPathCallRepliesWithResponse) {
  harness_.Call(client_, 1, kCalc, "Add", Add(2, 3));

  ASSERT_EQ(client_.peer.replies.size(), 1u);
  const auto& reply = client_.peer.replies[0];
  EXPECT_EQ(reply.call_id, 1u);
  EXPECT_THAT(reply.status, IsOk());
  EXPECT_EQ(Parse<testdata::AddReply>(reply.payload).sum(), 5);
}

TEST_F(BrokerCallTest, FastPathReusesItsSlotForTheNextCall) {
  for (uint64_t id = 1; id <= 3; ++id) harness_.Call(client_, id, kCalc, "Add", Add(id, 10));

  ASSERT_EQ(client_.peer.replies.size(), 3u);
  for (uint64_t id = 1; id <= 3; ++id) {
    ASSERT_THAT(client_.peer.ReplyFor(id), NotNull());
    EXPECT_EQ(Parse<testdata::AddReply>(client_.peer.ReplyFor(id)->payload).sum(), id + 10);
  }
}

TEST_F(BrokerCallTest, UnknownServiceIsNotFound) {
  harness_.Call(client_, 1, "no.Such", "Add", Add(1, 1));

  ASSERT_THAT(client_.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(1)->status,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no service 'no.Such'")));
  EXPECT_THAT(client_.peer.ReplyFor(1)->payload, IsEmpty());
}

TEST_F(BrokerCallTest, UnknownMethodIsNotFound) {
  harness_.Call(client_, 1, kCalc, "Divide", Add(1, 1));

  ASSERT_THAT(client_.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(1)->status,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("has no method 'Divide'")));
}

TEST_F(BrokerCallTest, PayloadThatDoesNotParseIsInvalidArgument) {
  IncomingCall call;
  call.call_id = 7;
  call.service = kCalc;
  call.method = "Add";
  call.payload = "\x0a\x05x";  // Field 1 as length-delimited, 5 bytes announced, 1 present.
  harness_.shard(0).Call(client_.ref, call);

  ASSERT_THAT(client_.peer.ReplyFor(7), NotNull());
  EXPECT_THAT(
      client_.peer.ReplyFor(7)->status,
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("weft.broker.testdata.AddRequest")));
  // The slot is usable again.
  harness_.Call(client_, 8, kCalc, "Add", Add(1, 2));
  ASSERT_THAT(client_.peer.ReplyFor(8), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(8)->status, IsOk());
}

TEST_F(BrokerCallTest, ServantStatusReachesTheCaller) {
  harness_.Call(client_, 1, kCalc, "Echo", Text("x", -1));

  ASSERT_THAT(client_.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(1)->status,
              StatusIs(absl::StatusCode::kPermissionDenied, "echo: negative number"));
  EXPECT_THAT(client_.peer.ReplyFor(1)->payload, IsEmpty());
  // A failed call leaves nothing behind in the pooled slot.
  harness_.Call(client_, 2, kCalc, "Echo", Text("fine", 1));
  ASSERT_THAT(client_.peer.ReplyFor(2), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(2)->status, IsOk());
  EXPECT_EQ(Parse<testdata::Plain>(client_.peer.ReplyFor(2)->payload).text(), "fine");
}

TEST_F(BrokerCallTest, MetadataReachesTheServant) {
  const std::string payload = Text("metadata:trace").SerializeAsString();
  const std::vector<std::pair<absl::string_view, absl::string_view>> metadata = {{"user", "ann"},
                                                                                 {"trace", "t-42"}};
  IncomingCall call;
  call.call_id = 1;
  call.service = kCalc;
  call.method = "Echo";
  call.payload = payload;
  call.metadata = metadata;
  harness_.shard(0).Call(client_.ref, call);

  ASSERT_THAT(client_.peer.ReplyFor(1), NotNull());
  EXPECT_EQ(Parse<testdata::Plain>(client_.peer.ReplyFor(1)->payload).text(), "t-42");
}

TEST_F(BrokerCallTest, OneWayCallsGetNoReply) {
  harness_.Call(client_, 1, kCalc, "Add", Add(1, 2), 0, /*one_way=*/true);
  harness_.Call(client_, 2, "no.Such", "Add", Add(1, 2), 0, /*one_way=*/true);
  harness_.Call(client_, 3, kCalc, "Echo", Text("x", -1), 0, /*one_way=*/true);
  harness_.RunAll();

  EXPECT_THAT(client_.peer.replies, IsEmpty());
}

TEST_F(BrokerCallTest, AsyncServantRepliesWhenItFinishes) {
  harness_.Call(client_, 1, kSlow, "Wait", Text("hi"));
  harness_.RunAll();
  EXPECT_THAT(client_.peer.replies, IsEmpty());
  ASSERT_EQ(harness_.state().slow_calls.size(), 1u);

  harness_.state().FinishSlow(0, "done");

  ASSERT_EQ(client_.peer.replies.size(), 1u);
  EXPECT_THAT(client_.peer.replies[0].status, IsOk());
  EXPECT_EQ(Parse<testdata::Plain>(client_.peer.replies[0].payload).text(), "done");
  EXPECT_EQ(harness_.state().cancel_notices, 0);
  EXPECT_EQ(harness_.state().end_notices, 1);
}

TEST_F(BrokerCallTest, AsyncServantErrorReachesTheCaller) {
  harness_.Call(client_, 1, kSlow, "Wait", Text("hi"));
  harness_.state().FinishSlow(0, "", absl::AbortedError("slow: gave up"));

  ASSERT_THAT(client_.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(1)->status,
              StatusIs(absl::StatusCode::kAborted, "slow: gave up"));
}

TEST_F(BrokerCallTest, DeadlineRepliesDeadlineExceededAndCancelsTheServant) {
  harness_.Call(client_, 1, kSlow, "Wait", Text("hi"), /*timeout_micros=*/5000);
  harness_.AdvanceAll(absl::Microseconds(4999));
  EXPECT_THAT(client_.peer.replies, IsEmpty());

  harness_.AdvanceAll(absl::Microseconds(1));

  ASSERT_EQ(client_.peer.replies.size(), 1u);
  EXPECT_THAT(client_.peer.replies[0].status, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(harness_.state().cancel_notices, 1);
  // The late result is dropped.
  harness_.state().FinishSlow(0, "late");
  harness_.RunAll();
  EXPECT_EQ(client_.peer.replies.size(), 1u);
  EXPECT_EQ(harness_.state().finished_cancelled, 1);
}

TEST_F(BrokerCallTest, DefaultTimeoutBoundsCallsWithoutADeadline) {
  BrokerOptions options;
  options.default_timeout = absl::Milliseconds(10);
  BrokerHarness harness(1, options);
  Client& client = harness.Connect();
  harness.Call(client, 1, kSlow, "Wait", Text("hi"));

  harness.AdvanceAll(absl::Milliseconds(10));

  ASSERT_THAT(client.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(client.peer.ReplyFor(1)->status, StatusIs(absl::StatusCode::kDeadlineExceeded));
  harness.state().FinishSlow(0, "late");
}

TEST_F(BrokerCallTest, FinishingBeforeTheDeadlineDisarmsIt) {
  harness_.Call(client_, 1, kSlow, "Wait", Text("hi"), /*timeout_micros=*/5000);
  harness_.state().FinishSlow(0, "quick");
  harness_.AdvanceAll(absl::Seconds(1));

  ASSERT_EQ(client_.peer.replies.size(), 1u);
  EXPECT_THAT(client_.peer.replies[0].status, IsOk());
  EXPECT_EQ(harness_.state().cancel_notices, 0);
}

TEST_F(BrokerCallTest, CancelRepliesCancelledAndTheServantSeesIt) {
  harness_.Call(client_, 1, kSlow, "Wait", Text("hi"), /*timeout_micros=*/5000);
  harness_.shard(0).Cancel(client_.ref, 1);

  ASSERT_EQ(client_.peer.replies.size(), 1u);
  EXPECT_THAT(client_.peer.replies[0].status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(harness_.state().cancel_notices, 1);
  // Neither the deadline nor the late result answers again.
  harness_.AdvanceAll(absl::Seconds(1));
  harness_.state().FinishSlow(0, "late");
  harness_.RunAll();
  EXPECT_EQ(client_.peer.replies.size(), 1u);
}

TEST_F(BrokerCallTest, CancelOfAnUnknownOrFinishedCallIsIgnored) {
  harness_.shard(0).Cancel(client_.ref, 99);
  harness_.Call(client_, 1, kCalc, "Add", Add(1, 1));
  harness_.shard(0).Cancel(client_.ref, 1);
  harness_.RunAll();

  ASSERT_EQ(client_.peer.replies.size(), 1u);
  EXPECT_THAT(client_.peer.replies[0].status, IsOk());
}

TEST_F(BrokerCallTest, CancelledSlotIsNotReusedWhileItsServantRuns) {
  harness_.Call(client_, 1, kSlow, "Wait", Text("a"));
  harness_.shard(0).Cancel(client_.ref, 1);
  harness_.Call(client_, 2, kSlow, "Wait", Text("b"));
  ASSERT_EQ(harness_.state().slow_calls.size(), 2u);

  harness_.state().FinishSlow(1, "second");
  harness_.state().FinishSlow(0, "first, late");

  ASSERT_EQ(client_.peer.replies.size(), 2u);
  EXPECT_THAT(client_.peer.ReplyFor(1)->status, StatusIs(absl::StatusCode::kCancelled));
  ASSERT_THAT(client_.peer.ReplyFor(2), NotNull());
  EXPECT_EQ(Parse<testdata::Plain>(client_.peer.ReplyFor(2)->payload).text(), "second");
}

TEST_F(BrokerCallTest, DisconnectCancelsRunningServantCalls) {
  harness_.Call(client_, 1, kSlow, "Wait", Text("a"));
  harness_.Call(client_, 2, kSlow, "WaitHolding", testdata::Holder());
  ASSERT_EQ(harness_.state().slow_calls.size(), 2u);

  harness_.Disconnect(client_);
  harness_.RunAll();

  EXPECT_EQ(harness_.state().cancel_notices, 2);
  harness_.state().FinishSlow(1, "late");
  harness_.state().FinishSlow(0, "late");
  harness_.RunAll();
  EXPECT_THAT(client_.peer.replies, IsEmpty());
  EXPECT_EQ(harness_.broker().stats().pending_calls, 0u);
}

// One-way calls are not "in flight": their ids may repeat and collide with a real call's.
TEST_F(BrokerCallTest, OneWayCallDoesNotHideACallWithTheSameId) {
  harness_.Call(client_, 1, kSlow, "Wait", Text("one-way"), 0, /*one_way=*/true);
  harness_.Call(client_, 1, kSlow, "Wait", Text("two-way"));
  harness_.state().FinishSlow(0, "one-way done");

  harness_.shard(0).Cancel(client_.ref, 1);

  ASSERT_EQ(client_.peer.replies.size(), 1u);
  EXPECT_THAT(client_.peer.replies[0].status, StatusIs(absl::StatusCode::kCancelled));
  harness_.state().FinishSlow(0, "late");
}

TEST_F(BrokerCallTest, HomePathOneWayCallDoesNotHideACallWithTheSameId) {
  harness_.Call(client_, 1, kSlow, "WaitHolding", testdata::Holder(), 0, /*one_way=*/true);
  harness_.Call(client_, 1, kSlow, "WaitHolding", testdata::Holder());
  harness_.state().FinishSlow(0, "one-way done");

  harness_.shard(0).Cancel(client_.ref, 1);

  ASSERT_EQ(client_.peer.replies.size(), 1u);
  EXPECT_THAT(client_.peer.replies[0].status, StatusIs(absl::StatusCode::kCancelled));
  harness_.state().FinishSlow(0, "late");
}

// Under ASan: a call still running when the broker goes leaks nothing, its NotifyOnCancel
// callback included. One-way calls are not cancelled when their caller disconnects.
TEST(BrokerShutdownTest, RunningCallsAreFreedWithTheBroker) {
  BrokerHarness harness(1);
  Client& client = harness.Connect();
  harness.Call(client, 1, kSlow, "Wait", Text("a"), 0, /*one_way=*/true);
  harness.Call(client, 2, kSlow, "WaitHolding", testdata::Holder(), 0, /*one_way=*/true);
  harness.Disconnect(client);
  harness.RunAll();
  EXPECT_EQ(harness.state().slow_calls.size(), 2u);
  EXPECT_EQ(harness.state().cancel_notices, 0);
}

// Methods whose messages can carry references run on the home shard's slow path.
TEST_F(BrokerCallTest, HomePathAsyncCallRepliesWhenItFinishes) {
  harness_.Call(client_, 1, kSlow, "WaitHolding", testdata::Holder());
  EXPECT_EQ(harness_.broker().stats().pending_calls, 1u);

  harness_.state().FinishSlow(0, "held");

  ASSERT_THAT(client_.peer.ReplyFor(1), NotNull());
  EXPECT_EQ(Parse<testdata::Holder>(client_.peer.ReplyFor(1)->payload).label(), "held");
  EXPECT_EQ(harness_.broker().stats().pending_calls, 0u);
}

TEST_F(BrokerCallTest, HomePathDeadlineRepliesDeadlineExceededAndCancelsTheServant) {
  harness_.Call(client_, 1, kSlow, "WaitHolding", testdata::Holder(), /*timeout_micros=*/2000);
  harness_.AdvanceAll(absl::Milliseconds(2));

  ASSERT_EQ(client_.peer.replies.size(), 1u);
  EXPECT_THAT(client_.peer.replies[0].status, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(harness_.state().cancel_notices, 1);
  harness_.state().FinishSlow(0, "late");
  harness_.RunAll();
  EXPECT_EQ(client_.peer.replies.size(), 1u);
  EXPECT_EQ(harness_.broker().stats().pending_calls, 0u);
}

TEST_F(BrokerCallTest, HomePathCancelRepliesCancelledAndTheServantSeesIt) {
  harness_.Call(client_, 1, kSlow, "WaitHolding", testdata::Holder(), /*timeout_micros=*/2000);
  harness_.shard(0).Cancel(client_.ref, 1);

  ASSERT_EQ(client_.peer.replies.size(), 1u);
  EXPECT_THAT(client_.peer.replies[0].status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(harness_.state().cancel_notices, 1);
  harness_.AdvanceAll(absl::Seconds(1));
  harness_.state().FinishSlow(0, "late");
  harness_.RunAll();
  EXPECT_EQ(client_.peer.replies.size(), 1u);
}

TEST_F(BrokerCallTest, HomePathBadPayloadIsInvalidArgument) {
  IncomingCall call;
  call.call_id = 3;
  call.service = kSlow;
  call.method = "WaitHolding";
  call.payload = "\x0a\x09zz";
  harness_.shard(0).Call(client_.ref, call);

  ASSERT_THAT(client_.peer.ReplyFor(3), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(3)->status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(harness_.state().slow_calls, IsEmpty());
}

TEST(BrokerCreateTest, RejectsBadConfigurations) {
  reactor::FakeEventLoop loop;
  EXPECT_THAT(Broker::Create({}, BrokerOptions{}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  BrokerOptions nameless;
  nameless.node = "";
  EXPECT_THAT(Broker::Create({&loop}, nameless, {}), StatusIs(absl::StatusCode::kInvalidArgument));
  testing::ServantState state;
  std::vector<InProcessService> twice = testing::TestServices(state);
  twice.push_back(std::move(testing::TestServices(state)[0]));
  EXPECT_THAT(Broker::Create({&loop}, BrokerOptions{}, std::move(twice)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
  std::vector<InProcessService> misnamed = testing::TestServices(state);
  misnamed[0].name = "weft.broker.testdata.CalcV2";
  EXPECT_THAT(Broker::Create({&loop}, BrokerOptions{}, std::move(misnamed)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Two loops: connections on either shard reach servants on their own loop (fast path) and on
// the home loop (slow path) through Post().
class BrokerCallCrossLoopTest : public ::testing::Test {
 protected:
  BrokerHarness harness_{2};
};

TEST_F(BrokerCallCrossLoopTest, FastPathRunsOnTheCallersOwnLoop) {
  Client& client = harness_.Connect(1);
  harness_.Call(client, 1, kCalc, "Add", Add(20, 22));

  // Answered at once, without running the home loop.
  ASSERT_THAT(client.peer.ReplyFor(1), NotNull());
  EXPECT_EQ(Parse<testdata::AddReply>(client.peer.ReplyFor(1)->payload).sum(), 42);
}

TEST_F(BrokerCallCrossLoopTest, HomePathCallFromShardOneIsAnsweredOnShardOne) {
  Client& client = harness_.Connect(1);
  harness_.Call(client, 1, kSlow, "WaitHolding", testdata::Holder());
  harness_.RunAll();
  ASSERT_EQ(harness_.state().slow_calls.size(), 1u);

  harness_.state().FinishSlow(0, "from home");
  EXPECT_THAT(client.peer.replies, IsEmpty());  // Posted to shard 1.
  harness_.RunAll();

  ASSERT_THAT(client.peer.ReplyFor(1), NotNull());
  EXPECT_EQ(Parse<testdata::Holder>(client.peer.ReplyFor(1)->payload).label(), "from home");
}

TEST_F(BrokerCallCrossLoopTest, ErrorsFromTheHomeShardReachShardOne) {
  Client& client = harness_.Connect(1);
  harness_.CallObject(client, 1, /*object_id=*/12345, "Add", Add(1, 1));
  harness_.RunAll();

  ASSERT_THAT(client.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(client.peer.ReplyFor(1)->status,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no object 12345")));
}

TEST_F(BrokerCallCrossLoopTest, CancelFromShardOneReachesAHomePathServant) {
  Client& client = harness_.Connect(1);
  harness_.Call(client, 1, kSlow, "WaitHolding", testdata::Holder());
  harness_.RunAll();
  harness_.shard(1).Cancel(client.ref, 1);
  harness_.RunAll();

  ASSERT_EQ(client.peer.replies.size(), 1u);
  EXPECT_THAT(client.peer.replies[0].status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(harness_.state().cancel_notices, 1);
  harness_.state().FinishSlow(0, "late");
  harness_.RunAll();
  EXPECT_EQ(client.peer.replies.size(), 1u);
}

TEST_F(BrokerCallCrossLoopTest, DeadlineOnTheHomePathReachesShardOne) {
  Client& client = harness_.Connect(1);
  harness_.Call(client, 1, kSlow, "WaitHolding", testdata::Holder(), /*timeout_micros=*/3000);
  harness_.RunAll();
  harness_.AdvanceAll(absl::Milliseconds(3));

  ASSERT_EQ(client.peer.replies.size(), 1u);
  EXPECT_THAT(client.peer.replies[0].status, StatusIs(absl::StatusCode::kDeadlineExceeded));
  harness_.state().FinishSlow(0, "late");
  harness_.RunAll();
  EXPECT_EQ(client.peer.replies.size(), 1u);
}

TEST_F(BrokerCallCrossLoopTest, DeadlineAndCancelOnShardOnesFastPath) {
  Client& client = harness_.Connect(1);
  harness_.Call(client, 1, kSlow, "Wait", Text("a"), /*timeout_micros=*/1000);
  harness_.Call(client, 2, kSlow, "Wait", Text("b"));
  harness_.shard(1).Cancel(client.ref, 2);
  harness_.AdvanceAll(absl::Milliseconds(1));

  ASSERT_EQ(client.peer.replies.size(), 2u);
  EXPECT_THAT(client.peer.ReplyFor(1)->status, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(client.peer.ReplyFor(2)->status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(harness_.state().cancel_notices, 2);
  harness_.state().FinishSlow(1, "late");
  harness_.state().FinishSlow(0, "late");
  harness_.RunAll();
  EXPECT_EQ(client.peer.replies.size(), 2u);
}

TEST_F(BrokerCallCrossLoopTest, ConnectionsOfEveryShardAreCounted) {
  harness_.Connect(0);
  Client& remote = harness_.Connect(1);
  harness_.Connect(1);
  EXPECT_EQ(harness_.broker().stats().connections, 3u);
  EXPECT_EQ(harness_.shard(1).connection_count(), 2u);

  harness_.Disconnect(remote);
  harness_.RunAll();
  EXPECT_EQ(harness_.broker().stats().connections, 2u);
}

TEST_F(BrokerCallTest, FindMethodAndRegisteredServicesFollowTheLoopsRoutingTable) {
  absl::StatusOr<const google::protobuf::MethodDescriptor*> add =
      harness_.shard(0).FindMethod(kCalc, "Add");
  ASSERT_THAT(add.status(), IsOk());
  EXPECT_EQ((*add)->full_name(), "weft.broker.testdata.Calc.Add");
  EXPECT_THAT(harness_.shard(0).FindMethod(kCalc, "Nope").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no method 'Nope'")));
  EXPECT_THAT(harness_.shard(0).FindMethod("no.Such", "Add").status(),
              StatusIs(absl::StatusCode::kNotFound));
  std::vector<std::string> names;
  for (const auto* service : harness_.shard(0).RegisteredServices()) {
    names.push_back(service->full_name());
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), kCalc), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), kSlow), names.end());
}

}  // namespace
}  // namespace weft::broker
