// Deferred<T> as a C++20 coroutine type: co_await, co_return, nesting, cancellation, lifetimes.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/deferred.h"
#include "reactor/testing/deferred_recorder.h"
#include "reactor/testing/fake_event_loop.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;
using ::weft::testing::IsOk;
using ::weft::testing::IsOkAndHolds;
using ::weft::testing::StatusIs;

// Coroutines under test. Parameters are references the tests keep alive; a lambda coroutine's
// captures would not live in the frame, so every coroutine here is a plain function.

Deferred<int> AddOne(Deferred<int> input) {
  absl::StatusOr<int> v = co_await std::move(input);
  if (!v.ok()) co_return v.status();
  co_return *v + 1;
}

Deferred<int> AddOneTwice(Deferred<int> input) {
  absl::StatusOr<int> once = co_await AddOne(std::move(input));
  if (!once.ok()) co_return once.status();
  co_return co_await AddOne(Succeed(*once));
}

Deferred<std::string> Describe(Deferred<int> input) {
  absl::StatusOr<int> v = co_await AddOneTwice(std::move(input));
  if (!v.ok()) co_return absl::Status(v.status().code(), "describe: " + v.status().ToString());
  co_return std::to_string(*v);
}

Deferred<int> SumOfAlreadyFired(int n) {
  int sum = 0;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<int> v = co_await Succeed(1);
    sum += *v;
  }
  co_return sum;
}

Deferred<void> Append(std::vector<std::string>& log, Deferred<void> step, std::string name) {
  absl::Status s = co_await std::move(step);
  if (!s.ok()) co_return s;
  log.push_back(std::move(name));
  co_return absl::OkStatus();
}

Deferred<int> AwaitWithTracker(Deferred<int> input, int& destroyed, std::vector<int>& seen) {
  Tracker tracker(destroyed);
  absl::StatusOr<int> v = co_await std::move(input);
  seen.push_back(v.ok() ? *v : -1);
  co_return v;
}

Deferred<int> OuterWithTracker(Deferred<int> input, int& destroyed, std::vector<int>& seen) {
  Tracker tracker(destroyed);
  co_return co_await AwaitWithTracker(std::move(input), destroyed, seen);
}

// Sees kCancelled from its co_await, then keeps going and awaits `next`.
Deferred<int> RecoverAndAwait(Deferred<int> first, Deferred<int> next,
                              std::vector<absl::StatusCode>& codes) {
  absl::StatusOr<int> a = co_await std::move(first);
  codes.push_back(a.status().code());
  absl::StatusOr<int> b = co_await std::move(next);
  codes.push_back(b.status().code());
  co_return b;
}

Deferred<int> RecoverWithDefault(Deferred<int> input) {
  absl::StatusOr<int> v = co_await std::move(input);
  if (absl::IsCancelled(v.status())) co_return 0;
  co_return v;
}

Deferred<std::vector<int>> GatherBoth(Deferred<int> a, Deferred<int> b) {
  std::vector<Deferred<int>> both;
  both.push_back(std::move(a));
  both.push_back(std::move(b));
  co_return co_await WhenAll(std::move(both));
}

Deferred<int> AwaitWithTimeout(EventLoop& loop, Deferred<int> input) {
  co_return co_await std::move(input).WithTimeout(loop, absl::Seconds(2));
}

Deferred<int> AwaitChain(Deferred<int> input) {
  co_return co_await std::move(input).Then([](int v) { return v * 3; });
}

TEST(DeferredCoroutineTest, CoAwaitYieldsTheValue) {
  Promise<int> promise;
  Recorded<int> got;
  Record(AddOne(promise.GetDeferred()), got);
  EXPECT_FALSE(got.result.has_value());
  promise.Resolve(41);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(42)));
}

TEST(DeferredCoroutineTest, CoAwaitYieldsTheError) {
  Promise<int> promise;
  Recorded<int> got;
  Record(AddOne(promise.GetDeferred()), got);
  promise.Fail(absl::NotFoundError("k"));
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kNotFound)));
}

TEST(DeferredCoroutineTest, AlreadyFiredDeferredsDoNotSuspend) {
  Deferred<int> d = SumOfAlreadyFired(100000);
  EXPECT_TRUE(d.fired());  // Ran to completion synchronously, without deep recursion.
  Recorded<int> got;
  Record(std::move(d), got);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(100000)));
}

TEST(DeferredCoroutineTest, NestedCoroutinesPassValuesUp) {
  Promise<int> promise;
  Recorded<std::string> got;
  Record(Describe(promise.GetDeferred()), got);
  promise.Resolve(1);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds("3")));
}

TEST(DeferredCoroutineTest, ErrorsPropagateThroughNestedCoroutines) {
  Promise<int> promise;
  Recorded<std::string> got;
  Record(Describe(promise.GetDeferred()), got);
  promise.Fail(absl::UnavailableError("store down"));
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kUnavailable,
                                            ::testing::HasSubstr("store down"))));
}

TEST(DeferredCoroutineTest, VoidCoroutinesReturnAStatus) {
  std::vector<std::string> log;
  Promise<void> first;
  Recorded<void> ok, failed;
  Record(Append(log, first.GetDeferred(), "a"), ok);
  Record(Append(log, Fail<void>(absl::AbortedError("x")), "b"), failed);
  first.Resolve();
  EXPECT_THAT(log, ElementsAre("a"));
  EXPECT_THAT(ok.result, Optional(IsOk()));
  EXPECT_THAT(failed.result, Optional(StatusIs(absl::StatusCode::kAborted)));
}

TEST(DeferredCoroutineTest, CoAwaitWorksOnChainsGathersAndTimeouts) {
  FakeEventLoop loop;
  Promise<int> a, b, slow;
  Recorded<int> chained, timed;
  Recorded<std::vector<int>> gathered;
  Record(AwaitChain(Succeed(5)), chained);
  Record(GatherBoth(a.GetDeferred(), b.GetDeferred()), gathered);
  Record(AwaitWithTimeout(loop, slow.GetDeferred()), timed);
  b.Resolve(2);
  a.Resolve(1);
  loop.AdvanceBy(absl::Seconds(2));
  EXPECT_THAT(chained.result, Optional(IsOkAndHolds(15)));
  EXPECT_THAT(gathered.result, Optional(IsOkAndHolds(ElementsAre(1, 2))));
  EXPECT_THAT(timed.result, Optional(StatusIs(absl::StatusCode::kDeadlineExceeded)));
}

TEST(DeferredCoroutineTest, CancellingTheCoroutineCancelsWhatItAwaits) {
  Promise<int> promise;
  int canceller_calls = 0;
  promise.SetCanceller([&] { ++canceller_calls; });
  int destroyed = 0;
  std::vector<int> seen;
  Deferred<int> d = AwaitWithTracker(promise.GetDeferred(), destroyed, seen);
  d.Cancel();
  EXPECT_EQ(canceller_calls, 1);
  EXPECT_THAT(seen, ElementsAre(-1));  // The co_await yielded an error...
  EXPECT_EQ(destroyed, 1);             // ...and the coroutine ran to completion.
  Recorded<int> got;
  Record(std::move(d), got);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
  EXPECT_EQ(got.deliveries, 1);
}

TEST(DeferredCoroutineTest, CancellationReachesThroughNestedCoroutines) {
  Promise<int> promise;
  bool cancelled = false;
  promise.SetCanceller([&] { cancelled = true; });
  Recorded<std::string> got;
  Deferred<void> tail = Record(Describe(promise.GetDeferred()), got);
  tail.Cancel();
  EXPECT_TRUE(cancelled);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
  EXPECT_EQ(got.deliveries, 1);
}

TEST(DeferredCoroutineTest, CoroutineSeesTheCancelledStatusFromCoAwait) {
  Promise<int> first, next;
  std::vector<absl::StatusCode> codes;
  Deferred<int> d = RecoverAndAwait(first.GetDeferred(), next.GetDeferred(), codes);
  d.Cancel();
  EXPECT_THAT(codes, ElementsAre(absl::StatusCode::kCancelled));
  // The coroutine kept going and waits on `next`; its Deferred fired kCancelled regardless.
  Recorded<int> got;
  Record(std::move(d), got);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
  next.Resolve(7);  // The coroutine finishes; its late result is dropped.
  EXPECT_THAT(codes, ElementsAre(absl::StatusCode::kCancelled, absl::StatusCode::kOk));
  EXPECT_EQ(got.deliveries, 1);
}

TEST(DeferredCoroutineTest, CoroutineMaySettleItsOwnCancellation) {
  Promise<int> promise;
  Deferred<int> d = RecoverWithDefault(promise.GetDeferred());
  d.Cancel();
  Recorded<int> got;
  Record(std::move(d), got);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(0)));
}

TEST(DeferredCoroutineTest, DroppingTheConsumerLetsTheCoroutineFinish) {
  Promise<int> promise;
  int destroyed = 0;
  std::vector<int> seen;
  { Deferred<int> dropped = AwaitWithTracker(promise.GetDeferred(), destroyed, seen); }
  EXPECT_EQ(destroyed, 0);
  promise.Resolve(3);
  EXPECT_THAT(seen, ElementsAre(3));
  EXPECT_EQ(destroyed, 1);
}

TEST(DeferredCoroutineTest, DestroyingEverythingUnresolvedFreesTheFrames) {
  int destroyed = 0;
  std::vector<int> seen;
  {
    Promise<int> promise;
    Deferred<int> d = OuterWithTracker(promise.GetDeferred(), destroyed, seen);
    EXPECT_EQ(destroyed, 0);
  }
  // Both frames were destroyed (not resumed); LeakSanitizer checks their memory.
  EXPECT_EQ(destroyed, 2);
  EXPECT_TRUE(seen.empty());
}

TEST(DeferredCoroutineTest, ProducerGoneDestroysSuspendedFramesButNotTheHeldDeferred) {
  int destroyed = 0;
  std::vector<int> seen;
  std::optional<Promise<int>> promise(std::in_place);
  Deferred<int> d = OuterWithTracker(promise->GetDeferred(), destroyed, seen);
  promise.reset();
  EXPECT_EQ(destroyed, 2);
  EXPECT_FALSE(d.fired());
  d.Cancel();
  Recorded<int> got;
  Record(std::move(d), got);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
}

}  // namespace
}  // namespace weft::reactor
