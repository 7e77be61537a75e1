// Durable routes (broker/durable_queues.h) on FakeEventLoops over the in-memory store fake, with
// the store thread run by hand: acknowledgement after commit, delivery to a service hosted by a
// connection, order, retries with backoff, dead letters and replay, idempotency keys, and store
// failures.
#include "broker/durable_queues.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/store/store_executor.h"
#include "broker/store/testing/in_memory_store.h"
#include "broker/testdata/test_services.pb.h"
#include "broker/testing/broker_harness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::broker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;
using ::weft::broker::testing::BrokerHarness;
using ::weft::broker::testing::Client;
using ::weft::broker::testing::DescriptorSetFor;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
namespace testdata = ::weft::broker::testdata;

constexpr char kCalcV2[] = "weft.broker.testdata.CalcV2";

testdata::AddRequest Add(int64_t a, int64_t b) {
  testdata::AddRequest request;
  request.set_a(a);
  request.set_b(b);
  return request;
}

int64_t ArgA(const std::string& payload) {
  testdata::AddRequest request;
  EXPECT_TRUE(request.ParseFromString(payload));
  return request.a();
}

std::string Meta(const testing::RecordingPeer::CallRecord& call, absl::string_view key) {
  for (const auto& [k, v] : call.metadata) {
    if (k == key) return v;
  }
  return "";
}

class DurableQueuesTest : public ::testing::Test {
 protected:
  DurableQueuesTest() {
    auto store = std::make_unique<store::InMemoryStore>();
    store_ = store.get();
    executor_ = std::make_unique<store::StoreExecutor>(std::move(store),
                                                       store::StoreExecutor::Threading::kManual);
    BrokerOptions options;
    options.store = executor_.get();
    harness_ = std::make_unique<BrokerHarness>(1, std::move(options));
    host_ = &harness_->Connect(0, "host");
    caller_ = &harness_->Connect(0, "caller");
  }

  // Runs the loops and the store until neither has anything left.
  void Settle() {
    do {
      harness_->RunAll();
    } while (executor_->RunPending() > 0);
  }
  void Advance(absl::Duration delta) {
    harness_->loop(0).AdvanceBy(delta);
    Settle();
  }

  void PutQueueRoute(DurablePolicy policy = {}) {
    RouteSpec spec;
    spec.pattern = kCalcV2;
    spec.kind = RouteTarget::Kind::kQueue;
    spec.queue = "adds";
    spec.durable = policy;
    ASSERT_THAT(harness_->broker().PutRoute(spec), IsOk());
    Settle();
  }
  void RegisterHost() {
    harness_->shard(0).Register(host_->ref, 900, {kCalcV2},
                                DescriptorSetFor(*testdata::Calc::descriptor()->file()));
    Settle();
    ASSERT_THAT(host_->peer.ReplyFor(900)->status, IsOk());
  }
  void Send(uint64_t call_id, int64_t a, MetadataView metadata = {}) {
    const std::string payload = Add(a, 1).SerializeAsString();
    IncomingCall call;
    call.call_id = call_id;
    call.service = kCalcV2;
    call.method = "Add";
    call.payload = payload;
    call.metadata = metadata;
    harness_->shard(0).Call(caller_->ref, call);
  }
  // The host answers its `index`-th call.
  void Answer(std::size_t index, absl::Status status = absl::OkStatus()) {
    ASSERT_LT(index, host_->peer.calls.size());
    testdata::AddReply reply;
    harness_->shard(0).Reply(host_->ref, host_->peer.calls[index].call_id, status,
                             status.ok() ? reply.SerializeAsString() : "");
    Settle();
  }
  std::vector<QueueStatus> List() {
    std::vector<QueueStatus> list;
    harness_->broker().durable_queues()->List().Then(
        [&](std::vector<QueueStatus> got) { list = std::move(got); });
    Settle();
    return list;
  }

  store::InMemoryStore* store_ = nullptr;
  std::unique_ptr<store::StoreExecutor> executor_;
  std::unique_ptr<BrokerHarness> harness_;
  Client* host_ = nullptr;
  Client* caller_ = nullptr;
};

TEST_F(DurableQueuesTest, CallIsAnsweredOnlyAfterItsCommitThenDeliveredWithItsId) {
  PutQueueRoute();
  RegisterHost();
  Send(1, 7);
  harness_->RunAll();
  EXPECT_THAT(caller_->peer.replies, IsEmpty());  // Not committed yet.
  EXPECT_THAT(host_->peer.calls, IsEmpty());
  Settle();
  ASSERT_THAT(caller_->peer.replies, SizeIs(1));
  EXPECT_THAT(caller_->peer.replies[0].status, IsOk());
  EXPECT_EQ(caller_->peer.replies[0].payload, "");  // An empty response: "accepted".
  ASSERT_THAT(host_->peer.calls, SizeIs(1));
  EXPECT_EQ(ArgA(host_->peer.calls[0].payload), 7);
  EXPECT_NE(Meta(host_->peer.calls[0], "weft-message-id"), "");
  EXPECT_EQ(Meta(host_->peer.calls[0], "weft-delivery-attempt"), "1");
  Answer(0);
  std::vector<QueueStatus> list = List();
  ASSERT_THAT(list, SizeIs(1));
  EXPECT_EQ(list[0].name, "adds");
  EXPECT_EQ(list[0].live, 0);
  EXPECT_EQ(list[0].delivered, 1u);
  EXPECT_EQ(harness_->broker().durable_queues()->stats().accepted, 1u);
}

TEST_F(DurableQueuesTest, OfflineTargetGetsEveryMessageInOrderOneAtATimeOnceItRegisters) {
  DurablePolicy policy;
  policy.initial_backoff = absl::Seconds(10);
  policy.max_backoff = absl::Seconds(60);
  policy.max_attempts = 1000;
  PutQueueRoute(policy);
  for (int i = 1; i <= 3; ++i) Send(i, i);
  Settle();
  ASSERT_THAT(caller_->peer.replies, SizeIs(3));
  for (const auto& reply : caller_->peer.replies) EXPECT_THAT(reply.status, IsOk());
  Advance(absl::Seconds(30));  // Attempts fail: no such service.
  EXPECT_EQ(List()[0].live, 3);
  RegisterHost();                             // Due at once: no waiting out the backoff.
  ASSERT_THAT(host_->peer.calls, SizeIs(1));  // FIFO: the next waits for this one.
  EXPECT_EQ(ArgA(host_->peer.calls[0].payload), 1);
  Answer(0);
  ASSERT_THAT(host_->peer.calls, SizeIs(2));
  EXPECT_EQ(ArgA(host_->peer.calls[1].payload), 2);
  Answer(1);
  ASSERT_THAT(host_->peer.calls, SizeIs(3));
  EXPECT_EQ(ArgA(host_->peer.calls[2].payload), 3);
  Answer(2);
  EXPECT_EQ(List()[0].live, 0);
}

TEST_F(DurableQueuesTest, FailingTargetIsRetriedWithBackoffThenDeadLetteredThenReplayed) {
  DurablePolicy policy;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.max_backoff = absl::Milliseconds(150);
  policy.max_attempts = 3;
  PutQueueRoute(policy);
  RegisterHost();
  Send(1, 5);
  Settle();
  ASSERT_THAT(host_->peer.calls, SizeIs(1));
  Answer(0, absl::UnavailableError("boom"));
  Advance(absl::Milliseconds(49));  // Jitter keeps the wait in [50, 100] ms.
  EXPECT_THAT(host_->peer.calls, SizeIs(1));
  Advance(absl::Milliseconds(51));
  ASSERT_THAT(host_->peer.calls, SizeIs(2));
  EXPECT_EQ(Meta(host_->peer.calls[1], "weft-delivery-attempt"), "2");
  Answer(1, absl::UnavailableError("boom"));
  Advance(absl::Milliseconds(150));
  ASSERT_THAT(host_->peer.calls, SizeIs(3));
  Answer(2, absl::InternalError("still broken"));
  Advance(absl::Seconds(10));
  EXPECT_THAT(host_->peer.calls, SizeIs(3));  // Dead: no fourth attempt.
  std::vector<QueueStatus> list = List();
  EXPECT_EQ(list[0].dead, 1);
  EXPECT_EQ(list[0].live, 0);
  EXPECT_EQ(list[0].retries, 2u);
  EXPECT_EQ(list[0].dead_lettered, 1u);

  std::vector<store::StoredMessage> dead;
  harness_->broker()
      .durable_queues()
      ->DeadLetters("adds", 0, 10)
      .Then([&](std::vector<store::StoredMessage> got) { dead = std::move(got); });
  Settle();
  ASSERT_THAT(dead, SizeIs(1));
  EXPECT_EQ(dead[0].attempts, 3);
  EXPECT_EQ(dead[0].last_error, "INTERNAL: still broken");
  EXPECT_EQ(ArgA(dead[0].payload), 5);

  int64_t replayed = -1;
  harness_->broker().durable_queues()->Replay("adds", std::nullopt).Then([&](int64_t n) {
    replayed = n;
  });
  Settle();
  EXPECT_EQ(replayed, 1);
  ASSERT_THAT(host_->peer.calls, SizeIs(4));
  EXPECT_EQ(Meta(host_->peer.calls[3], "weft-delivery-attempt"), "1");
  Answer(3);
  list = List();
  EXPECT_EQ(list[0].dead, 0);
  EXPECT_EQ(list[0].live, 0);
}

TEST_F(DurableQueuesTest, ResentCallWithTheSameMetadataKeyTakesEffectOnce) {
  DurablePolicy policy;
  policy.idempotency_metadata = "idem";
  PutQueueRoute(policy);
  RegisterHost();
  const std::pair<absl::string_view, absl::string_view> key[] = {{"idem", "order-17"}};
  Send(1, 1, key);
  Settle();
  Answer(0);
  Send(2, 1, key);  // After delivery: the key is still known.
  Send(3, 2);       // No key: refused.
  Settle();
  ASSERT_THAT(caller_->peer.replies, SizeIs(3));
  EXPECT_THAT(caller_->peer.ReplyFor(2)->status, IsOk());
  EXPECT_THAT(caller_->peer.ReplyFor(3)->status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("metadata 'idem'")));
  EXPECT_THAT(host_->peer.calls, SizeIs(1));
  EXPECT_EQ(Meta(host_->peer.calls[0], "weft-idempotency-key"), "order-17");
  EXPECT_EQ(harness_->broker().durable_queues()->stats().duplicates, 1u);
  const std::string long_key(DurableQueues::kMaxIdempotencyKeyBytes + 1, 'k');
  const std::pair<absl::string_view, absl::string_view> too_long[] = {{"idem", long_key}};
  Send(4, 1, too_long);
  Settle();
  EXPECT_THAT(caller_->peer.ReplyFor(4)->status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("longer than 256 bytes")));
}

TEST_F(DurableQueuesTest, IdempotencyKeyCanBeARequestField) {
  DurablePolicy policy;
  policy.idempotency_field = "a";
  PutQueueRoute(policy);
  RegisterHost();
  Send(1, 42);
  Send(2, 42);
  Send(3, 0);  // proto3: a zero is absent, so there is no key.
  Settle();
  EXPECT_THAT(caller_->peer.ReplyFor(1)->status, IsOk());
  EXPECT_THAT(caller_->peer.ReplyFor(2)->status, IsOk());
  EXPECT_THAT(caller_->peer.ReplyFor(3)->status, StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(host_->peer.calls, SizeIs(1));
  EXPECT_EQ(Meta(host_->peer.calls[0], "weft-idempotency-key"), "42");
}

TEST_F(DurableQueuesTest, StoreFailureRefusesTheCallAndQueuesNothing) {
  PutQueueRoute();
  RegisterHost();
  store_->FailCommits(absl::ResourceExhaustedError("store: database or disk is full"));
  Send(1, 1);
  Settle();
  EXPECT_THAT(caller_->peer.ReplyFor(1)->status,
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("disk is full")));
  store_->FailCommits(absl::OkStatus());
  Send(2, 2);
  Settle();
  EXPECT_THAT(caller_->peer.ReplyFor(2)->status, IsOk());
  ASSERT_THAT(host_->peer.calls, SizeIs(1));
  EXPECT_EQ(ArgA(host_->peer.calls[0].payload), 2);
}

TEST_F(DurableQueuesTest, CompletionThatCannotBeWrittenIsRetriedWithoutRedelivering) {
  PutQueueRoute();
  RegisterHost();
  Send(1, 1);
  Settle();
  store_->FailCommits(absl::UnavailableError("store: database unavailable"));
  Answer(0);
  EXPECT_EQ(harness_->broker().durable_queues()->stats().store_errors, 1u);
  store_->FailCommits(absl::OkStatus());
  Advance(absl::Seconds(1));
  EXPECT_EQ(List()[0].live, 0);
  EXPECT_THAT(host_->peer.calls, SizeIs(1));
}

TEST_F(DurableQueuesTest, UnorderedQueueKeepsSeveralDeliveriesInFlight) {
  DurablePolicy policy;
  policy.ordered = false;
  policy.max_in_flight = 2;
  PutQueueRoute(policy);
  RegisterHost();
  for (int i = 1; i <= 3; ++i) Send(i, i);
  Settle();
  ASSERT_THAT(host_->peer.calls, SizeIs(2));
  Answer(1);
  ASSERT_THAT(host_->peer.calls, SizeIs(3));
  EXPECT_EQ(ArgA(host_->peer.calls[2].payload), 3);
}

TEST_F(DurableQueuesTest, BadPayloadIsRefusedBeforeItIsStored) {
  PutQueueRoute();
  RegisterHost();
  IncomingCall call;
  call.call_id = 1;
  call.service = kCalcV2;
  call.method = "Add";
  call.payload = "\xff\xff\xff";
  harness_->shard(0).Call(caller_->ref, call);
  Settle();
  EXPECT_THAT(caller_->peer.ReplyFor(1)->status, StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<QueueStatus> list = List();
  ASSERT_THAT(list, SizeIs(1));
  EXPECT_EQ(list[0].live, 0);
}

TEST_F(DurableQueuesTest, DeletingTheRouteSendsCallsStraightToTheService) {
  PutQueueRoute();
  RegisterHost();
  ASSERT_TRUE(harness_->broker().DeleteRoute(kCalcV2));
  Settle();
  EXPECT_THAT(harness_->broker().routes(), IsEmpty());
  Send(1, 3);
  Settle();
  ASSERT_THAT(host_->peer.calls, SizeIs(1));
  EXPECT_EQ(Meta(host_->peer.calls[0], "weft-message-id"), "");
  EXPECT_THAT(caller_->peer.replies, IsEmpty());  // Waits for the service's own answer.
}

TEST(DurableRouteTest, IsRefusedWithoutAStore) {
  BrokerHarness harness(1);
  RouteSpec spec;
  spec.pattern = kCalcV2;
  spec.kind = RouteTarget::Kind::kQueue;
  EXPECT_THAT(harness.broker().PutRoute(spec),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("need a store")));
  EXPECT_EQ(harness.broker().durable_queues(), nullptr);
}

}  // namespace
}  // namespace weft::broker
