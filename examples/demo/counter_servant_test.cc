// CounterObjectServant without a broker: watchers are fake ObjectHandles whose channel records
// each Changed() call and lets the test complete it. Create and Watch-through-Hold need the
// broker's object registry and are covered end to end through weftd.
#include "examples/demo/counter_servant.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "broker/call_context.h"
#include "demo/counter.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "weft/v1/object_ref.pb.h"

namespace weft::examples {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::weft::broker::CallContext;
using ::weft::broker::ObjectHandle;
using ::weft::broker::OutboundController;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

class CountingClosure final : public google::protobuf::Closure {
 public:
  void Run() override { ++runs_; }
  int runs() const { return runs_; }

 private:
  int runs_ = 0;
};

// What a fake watcher saw; outlives the handle, which the servant owns.
struct WatcherLog {
  struct Call {
    int64_t value = 0;
    absl::Duration timeout;
    OutboundController* controller = nullptr;
    google::protobuf::Closure* done = nullptr;
  };

  // Completes pending call `i` with `status`.
  void Complete(size_t i, absl::Status status = absl::OkStatus()) {
    Call& call = pending.at(i);
    call.controller->set_status(std::move(status));
    google::protobuf::Closure* done = call.done;
    pending.erase(pending.begin() + i);
    done->Run();
  }
  void CompleteAll(const absl::Status& status = absl::OkStatus()) {
    while (!pending.empty()) Complete(0, status);
  }

  std::vector<int64_t> values;  // every Changed() value, in call order
  std::vector<Call> pending;    // calls not completed yet
  bool alive = true;
  bool released = false;
  // When set, calls complete inside CallMethod with this status.
  std::optional<absl::Status> complete_at_once;
};

class FakeWatcherChannel final : public google::protobuf::RpcChannel {
 public:
  explicit FakeWatcherChannel(WatcherLog& log) : log_(log) {}

  void CallMethod(const google::protobuf::MethodDescriptor* method,
                  google::protobuf::RpcController* controller,
                  const google::protobuf::Message* request, google::protobuf::Message*,
                  google::protobuf::Closure* done) override {
    EXPECT_EQ(method->full_name(), "demo.CounterWatcher.Changed");
    auto* outbound = static_cast<OutboundController*>(controller);
    const auto& value = static_cast<const demo::CounterValue&>(*request);
    log_.values.push_back(value.value());
    if (log_.complete_at_once.has_value()) {
      outbound->set_status(*log_.complete_at_once);
      done->Run();
      return;
    }
    log_.pending.push_back({value.value(), outbound->timeout(), outbound, done});
  }

 private:
  WatcherLog& log_;
};

class FakeWatcherHandle final : public ObjectHandle {
 public:
  FakeWatcherHandle(WatcherLog& log, uint64_t object_id) : log_(log), channel_(log) {
    ref_.set_node("test-node");
    ref_.set_object_id(object_id);
    ref_.set_interface("demo.CounterWatcher");
  }
  ~FakeWatcherHandle() override { log_.released = true; }

  // ObjectHandle
  const weft::v1::ObjectRef& ref() const override { return ref_; }
  bool alive() const override { return log_.alive; }
  google::protobuf::RpcChannel& channel() override { return channel_; }

 private:
  WatcherLog& log_;
  FakeWatcherChannel channel_;
  weft::v1::ObjectRef ref_;
};

class CounterObjectServantTest : public ::testing::Test {
 protected:
  // Increments by `by`, checks `done` ran once, returns the reply's value; status in context_.
  int64_t Increment(int64_t by) {
    demo::IncrementRequest request;
    request.set_by(by);
    demo::CounterValue response;
    CountingClosure done;
    counter_->Increment(&context_, &request, &response, &done);
    EXPECT_EQ(done.runs(), 1);
    return response.value();
  }

  int64_t Get() {
    demo::GetRequest request;
    demo::CounterValue response;
    CountingClosure done;
    counter_->Get(&context_, &request, &response, &done);
    EXPECT_EQ(done.runs(), 1);
    return response.value();
  }

  // A new fake watcher's log; the fixture keeps it past the counter.
  WatcherLog& NewLog() { return *logs_.emplace_back(std::make_unique<WatcherLog>()); }

  // A new fake watcher of `object_id`, added to the counter.
  WatcherLog& NewWatcher(uint64_t object_id) {
    WatcherLog& log = NewLog();
    EXPECT_THAT(counter_->AddWatcher(std::make_unique<FakeWatcherHandle>(log, object_id)), IsOk());
    return log;
  }

  ~CounterObjectServantTest() override {
    counter_.reset();
    for (const std::unique_ptr<WatcherLog>& log : logs_) log->CompleteAll();
  }

  CallContext context_;
  std::vector<std::unique_ptr<WatcherLog>> logs_;  // before counter_: the handles point here
  std::unique_ptr<CounterObjectServant> counter_ = std::make_unique<CounterObjectServant>(10);
};

TEST_F(CounterObjectServantTest, GetReturnsTheInitialValue) {
  EXPECT_EQ(Get(), 10);
  EXPECT_THAT(context_.status(), IsOk());
}

TEST_F(CounterObjectServantTest, IncrementAddsAndReturnsTheNewValue) {
  EXPECT_EQ(Increment(5), 15);
  EXPECT_EQ(Increment(-20), -5);
  EXPECT_EQ(Get(), -5);
  EXPECT_THAT(context_.status(), IsOk());
}

TEST_F(CounterObjectServantTest, IncrementOverflowIsOutOfRangeAndKeepsTheValue) {
  WatcherLog& log = NewWatcher(1);
  Increment(std::numeric_limits<int64_t>::max());
  EXPECT_THAT(context_.status(), StatusIs(absl::StatusCode::kOutOfRange, "integer overflow"));
  EXPECT_EQ(counter_->value(), 10);
  EXPECT_THAT(log.values, IsEmpty());
}

TEST_F(CounterObjectServantTest, WatchWithoutWatcherIsInvalidArgument) {
  demo::WatchRequest request;
  demo::WatchResponse response;
  CountingClosure done;
  counter_->Watch(&context_, &request, &response, &done);
  EXPECT_EQ(done.runs(), 1);
  EXPECT_THAT(context_.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(counter_->watcher_count(), 0u);
}

TEST_F(CounterObjectServantTest, EveryChangeCallsEveryWatcherWithoutWaiting) {
  WatcherLog& first = NewWatcher(1);
  WatcherLog& second = NewWatcher(2);
  Increment(1);
  Increment(2);
  EXPECT_THAT(first.values, ElementsAre(11, 13));
  EXPECT_THAT(second.values, ElementsAre(11, 13));
  EXPECT_EQ(first.pending.size(), 2u);
  EXPECT_EQ(first.pending[0].timeout, kChangedTimeout);
  first.CompleteAll();
  second.CompleteAll();
  EXPECT_EQ(counter_->watcher_count(), 2u);
}

TEST_F(CounterObjectServantTest, WatchingTheSameObjectTwiceKeepsOneWatcher) {
  WatcherLog& log = NewWatcher(1);
  WatcherLog& duplicate = NewWatcher(1);
  EXPECT_TRUE(duplicate.released);
  EXPECT_EQ(counter_->watcher_count(), 1u);
  Increment(1);
  EXPECT_THAT(log.values, ElementsAre(11));
  log.CompleteAll();
}

TEST_F(CounterObjectServantTest, WatcherFailingWithUnavailableIsDropped) {
  WatcherLog& gone = NewWatcher(1);
  WatcherLog& kept = NewWatcher(2);
  Increment(1);
  gone.Complete(0, absl::UnavailableError("peer gone"));
  EXPECT_TRUE(gone.released);
  EXPECT_EQ(counter_->watcher_count(), 1u);
  Increment(1);
  EXPECT_THAT(gone.values, ElementsAre(11));
  EXPECT_THAT(kept.values, ElementsAre(11, 12));
  kept.CompleteAll();
}

TEST_F(CounterObjectServantTest, WatcherFailingWithNotFoundIsDropped) {
  WatcherLog& log = NewWatcher(1);
  Increment(1);
  log.Complete(0, absl::NotFoundError("no object"));
  EXPECT_TRUE(log.released);
  EXPECT_EQ(counter_->watcher_count(), 0u);
}

TEST_F(CounterObjectServantTest, WatcherFailingOtherwiseIsKept) {
  WatcherLog& log = NewWatcher(1);
  Increment(1);
  Increment(1);
  Increment(1);
  log.Complete(0, absl::DeadlineExceededError("slow"));
  log.Complete(0, absl::ResourceExhaustedError("queue full"));
  log.Complete(0, absl::InternalError("bug"));
  EXPECT_FALSE(log.released);
  Increment(1);
  EXPECT_THAT(log.values, ElementsAre(11, 12, 13, 14));
  log.CompleteAll();
}

TEST_F(CounterObjectServantTest, DeadWatcherIsDroppedWithoutACall) {
  WatcherLog& log = NewWatcher(1);
  log.alive = false;
  Increment(1);
  EXPECT_THAT(log.values, IsEmpty());
  EXPECT_TRUE(log.released);
  EXPECT_EQ(counter_->watcher_count(), 0u);
}

TEST_F(CounterObjectServantTest, CallsThatCompleteInsideCallMethodAreSafe) {
  WatcherLog& gone = NewWatcher(1);
  WatcherLog& ok = NewWatcher(2);
  WatcherLog& last = NewWatcher(3);
  gone.complete_at_once = absl::UnavailableError("peer gone");
  ok.complete_at_once = absl::OkStatus();
  Increment(1);
  EXPECT_TRUE(gone.released);
  EXPECT_FALSE(ok.released);
  Increment(1);
  EXPECT_THAT(gone.values, ElementsAre(11));
  EXPECT_THAT(ok.values, ElementsAre(11, 12));
  EXPECT_THAT(last.values, ElementsAre(11, 12));
  last.CompleteAll();
}

TEST_F(CounterObjectServantTest, SlowWatcherGetsChangesCoalescedPastTheInFlightCap) {
  WatcherLog& log = NewWatcher(1);
  for (int i = 0; i < kMaxChangedInFlight + 5; ++i) Increment(1);
  ASSERT_EQ(log.pending.size(), static_cast<size_t>(kMaxChangedInFlight));
  // One completion frees one slot: the latest value goes out, the intermediate ones do not.
  log.Complete(0);
  ASSERT_EQ(log.values.size(), static_cast<size_t>(kMaxChangedInFlight + 1));
  EXPECT_EQ(log.values.back(), 10 + kMaxChangedInFlight + 5);
  log.Complete(0);
  EXPECT_EQ(log.values.size(), static_cast<size_t>(kMaxChangedInFlight + 1));
  log.CompleteAll();
  Increment(1);
  EXPECT_EQ(log.values.back(), 10 + kMaxChangedInFlight + 6);
  log.CompleteAll();
}

TEST_F(CounterObjectServantTest, CompletionsAfterTheCounterIsDestroyedOnlyFreeThemselves) {
  WatcherLog& log = NewWatcher(1);
  Increment(1);
  Increment(1);
  counter_.reset();
  EXPECT_TRUE(log.released);
  log.Complete(0, absl::UnavailableError("gone"));
  log.Complete(0);
}

TEST_F(CounterObjectServantTest, TooManyWatchersIsResourceExhausted) {
  for (size_t i = 0; i < kMaxWatchers; ++i) NewWatcher(i + 1);
  WatcherLog& extra = NewLog();
  EXPECT_THAT(counter_->AddWatcher(std::make_unique<FakeWatcherHandle>(extra, kMaxWatchers + 1)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(extra.released);
  EXPECT_EQ(counter_->watcher_count(), kMaxWatchers);
}

}  // namespace
}  // namespace weft::examples
