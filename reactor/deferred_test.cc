// Deferred<T> without coroutines: chaining, errors, cancellation, timeouts and WhenAll.
#include "reactor/deferred.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/testing/deferred_recorder.h"
#include "reactor/testing/fake_event_loop.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::weft::testing::IsOk;
using ::weft::testing::IsOkAndHolds;
using ::weft::testing::StatusIs;

TEST(DeferredTest, ThenRunsWhenResolvedLater) {
  Promise<int> promise;
  Recorded<int> got;
  Record(promise.GetDeferred().Then([](int v) { return v * 2; }), got);
  EXPECT_FALSE(got.result.has_value());
  promise.Resolve(21);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(42)));
  EXPECT_EQ(got.deliveries, 1);
}

TEST(DeferredTest, CallbackAddedAfterResultRunsImmediately) {
  Promise<int> promise;
  Deferred<int> d = promise.GetDeferred();
  promise.Resolve(5);
  EXPECT_TRUE(d.fired());
  Recorded<int> got;
  Record(std::move(d), got);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(5)));
}

TEST(DeferredTest, ThenChangesTypeAlongTheChain) {
  Recorded<std::string> got;
  Record(Succeed(7)
             .Then([](int v) { return v + 1; })
             .Then([](int v) { return std::string(v, 'x'); })
             .Then([](const std::string& s) -> absl::StatusOr<std::string> { return s + "!"; }),
         got);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds("xxxxxxxx!")));
}

TEST(DeferredTest, ErrorSkipsThenCallbacksUntilCatch) {
  Promise<int> promise;
  int then_calls = 0;
  Recorded<int> got;
  Record(promise.GetDeferred()
             .Then([&](int v) {
               ++then_calls;
               return v;
             })
             .Then([&](int v) {
               ++then_calls;
               return v;
             }),
         got);
  promise.Fail(absl::NotFoundError("x: no such key"));
  EXPECT_EQ(then_calls, 0);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kNotFound)));
}

TEST(DeferredTest, CallbackReturningErrorFailsTheRestOfTheChain) {
  int later_calls = 0;
  Recorded<int> got;
  Record(Succeed(1)
             .Then([](int) -> absl::StatusOr<int> { return absl::InvalidArgumentError("bad"); })
             .Then([&](int v) {
               ++later_calls;
               return v;
             }),
         got);
  EXPECT_EQ(later_calls, 0);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kInvalidArgument)));
}

TEST(DeferredTest, CatchRecoversWithAValue) {
  Recorded<int> got;
  Record(Fail<int>(absl::UnavailableError("down"))
             .Catch([](const absl::Status& s) -> absl::StatusOr<int> {
               EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable));
               return -1;
             })
             .Then([](int v) { return v * 10; }),
         got);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(-10)));
}

TEST(DeferredTest, CatchMayFailAgainWithAnotherStatus) {
  Recorded<int> got;
  Record(Fail<int>(absl::UnavailableError("down")).Catch([](absl::Status) -> absl::StatusOr<int> {
    return absl::DeadlineExceededError("gave up");
  }),
         got);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kDeadlineExceeded)));
}

TEST(DeferredTest, CatchIsSkippedOnSuccess) {
  int catch_calls = 0;
  Recorded<int> got;
  Record(Succeed(3).Catch([&](absl::Status) {
    ++catch_calls;
    return 0;
  }),
         got);
  EXPECT_EQ(catch_calls, 0);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(3)));
}

TEST(DeferredTest, CallbackReturningDeferredIsWaitedFor) {
  Promise<int> outer;
  Promise<std::string> inner;
  Recorded<std::string> got;
  Record(outer.GetDeferred().Then([&](int) { return inner.GetDeferred(); }), got);
  outer.Resolve(1);
  EXPECT_FALSE(got.result.has_value());
  inner.Resolve("late");
  EXPECT_THAT(got.result, Optional(IsOkAndHolds("late")));
}

TEST(DeferredTest, HandleSeesSuccessAndErrorAndMayChangeType) {
  auto describe = [](absl::StatusOr<int> r) -> std::string {
    return r.ok() ? "value" : std::string(absl::StatusCodeToString(r.status().code()));
  };
  Recorded<std::string> ok, failed;
  Record(Succeed(1).Handle(describe), ok);
  Record(Fail<int>(absl::InternalError("x")).Handle(describe), failed);
  EXPECT_THAT(ok.result, Optional(IsOkAndHolds("value")));
  EXPECT_THAT(failed.result, Optional(IsOkAndHolds("INTERNAL")));
}

TEST(DeferredTest, FinallyRunsOnBothPathsAndPassesTheResultThrough) {
  int calls = 0;
  Recorded<int> ok, failed;
  Record(Succeed(4).Finally([&] { ++calls; }), ok);
  Record(Fail<int>(absl::AbortedError("x")).Finally([&] { ++calls; }), failed);
  EXPECT_EQ(calls, 2);
  EXPECT_THAT(ok.result, Optional(IsOkAndHolds(4)));
  EXPECT_THAT(failed.result, Optional(StatusIs(absl::StatusCode::kAborted)));
}

TEST(DeferredTest, VoidDeferredsCarryAStatus) {
  Promise<void> promise;
  std::vector<std::string> steps;
  Recorded<void> got;
  Record(promise.GetDeferred()
             .Then([&] { steps.push_back("first"); })
             .Then([&]() -> absl::Status {
               steps.push_back("second");
               return absl::PermissionDeniedError("no");
             })
             .Then([&] { steps.push_back("skipped"); })
             .Catch([&](absl::Status s) {
               steps.push_back("caught");
               return s.code() == absl::StatusCode::kPermissionDenied ? absl::OkStatus() : s;
             }),
         got);
  promise.Resolve();
  EXPECT_THAT(steps, ElementsAre("first", "second", "caught"));
  EXPECT_THAT(got.result, Optional(IsOk()));
}

TEST(DeferredTest, CompleteAcceptsAStatusOr) {
  Promise<int> a, b;
  Recorded<int> got_a, got_b;
  Record(a.GetDeferred(), got_a);
  Record(b.GetDeferred(), got_b);
  a.Complete(absl::StatusOr<int>(9));
  b.Complete(absl::StatusOr<int>(absl::NotFoundError("y")));
  EXPECT_THAT(got_a.result, Optional(IsOkAndHolds(9)));
  EXPECT_THAT(got_b.result, Optional(StatusIs(absl::StatusCode::kNotFound)));
}

TEST(DeferredTest, CancelRunsTheCancellerAndFiresCancelledOnce) {
  Promise<int> promise;
  int canceller_calls = 0;
  promise.SetCanceller([&] { ++canceller_calls; });
  Recorded<int> got;
  Deferred<void> tail = Record(promise.GetDeferred(), got);
  tail.Cancel();
  tail.Cancel();
  EXPECT_EQ(canceller_calls, 1);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
  EXPECT_EQ(got.deliveries, 1);
  EXPECT_FALSE(promise.pending());
  promise.Resolve(1);  // Late result after cancellation: dropped.
  EXPECT_EQ(got.deliveries, 1);
}

TEST(DeferredTest, CancellerMaySettleTheResultItself) {
  Promise<int> promise;
  promise.SetCanceller([&] { promise.Fail(absl::UnavailableError("peer gone")); });
  Deferred<int> d = promise.GetDeferred();
  d.Cancel();
  Recorded<int> got;
  Record(std::move(d), got);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kUnavailable)));
}

TEST(DeferredTest, CancelPropagatesUpTheChainAndSkipsCallbacks) {
  Promise<int> root;
  int canceller_calls = 0;
  int then_calls = 0;
  root.SetCanceller([&] { ++canceller_calls; });
  Recorded<std::string> got;
  Deferred<void> tail = Record(root.GetDeferred()
                                   .Then([&](int v) {
                                     ++then_calls;
                                     return v;
                                   })
                                   .Then([&](int v) {
                                     ++then_calls;
                                     return std::to_string(v);
                                   }),
                               got);
  tail.Cancel();
  EXPECT_EQ(canceller_calls, 1);
  EXPECT_EQ(then_calls, 0);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
  EXPECT_EQ(got.deliveries, 1);
}

TEST(DeferredTest, CancelReachesTheDeferredACallbackReturned) {
  Promise<int> outer;
  Promise<int> inner;
  bool inner_cancelled = false;
  inner.SetCanceller([&] { inner_cancelled = true; });
  Recorded<int> got;
  Deferred<void> tail =
      Record(outer.GetDeferred().Then([&](int) { return inner.GetDeferred(); }), got);
  outer.Resolve(1);
  tail.Cancel();
  EXPECT_TRUE(inner_cancelled);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
}

TEST(DeferredTest, CancelFromInsideACallbackFiresOnceAndDropsTheResult) {
  Promise<int> promise;
  std::optional<Deferred<int>> tail;
  Recorded<int> got;
  tail.emplace(promise.GetDeferred().Then([&](int v) {
    tail->Cancel();
    return v;
  }));
  promise.Resolve(1);
  Record(*std::move(tail), got);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
  EXPECT_EQ(got.deliveries, 1);
}

TEST(DeferredTest, CancelDuringACallbackCancelsTheDeferredItReturns) {
  Promise<int> outer, inner;
  bool inner_cancelled = false;
  inner.SetCanceller([&] { inner_cancelled = true; });
  std::optional<Deferred<int>> tail;
  tail.emplace(outer.GetDeferred().Then([&](int) {
    tail->Cancel();
    return inner.GetDeferred();
  }));
  outer.Resolve(1);
  EXPECT_TRUE(inner_cancelled);
  EXPECT_TRUE(tail->fired());
}

TEST(DeferredTest, CancelAfterFireIsANoOp) {
  Promise<int> promise;
  int canceller_calls = 0;
  promise.SetCanceller([&] { ++canceller_calls; });
  Deferred<int> d = promise.GetDeferred();
  promise.Resolve(3);
  d.Cancel();
  EXPECT_EQ(canceller_calls, 0);
  Recorded<int> got;
  Record(std::move(d), got);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(3)));
}

TEST(DeferredTest, SucceedAndFailAreAlreadyFired) {
  EXPECT_TRUE(Succeed(1).fired());
  EXPECT_TRUE(Succeed().fired());
  EXPECT_TRUE(Fail<std::string>(absl::InternalError("x")).fired());
}

TEST(DeferredTest, DroppingTheConsumerDoesNotCancel) {
  Promise<int> promise;
  bool cancelled = false;
  int seen = 0;
  promise.SetCanceller([&] { cancelled = true; });
  {
    Deferred<void> dropped = promise.GetDeferred().Then([&](int v) { seen = v; });
  }
  promise.Resolve(8);
  EXPECT_FALSE(cancelled);
  EXPECT_EQ(seen, 8);
}

TEST(DeferredTest, DestroyingAnUnresolvedPromiseFreesTheChainUnrun) {
  int destroyed = 0;
  bool ran = false;
  {
    Promise<int> promise;
    promise.SetCanceller([t = Tracker(destroyed)] {});
    Deferred<void> tail =
        promise.GetDeferred().Then([&ran, t = Tracker(destroyed)](int) { ran = true; });
  }
  EXPECT_FALSE(ran);
  EXPECT_EQ(destroyed, 2);  // Canceller and callback; LeakSanitizer checks the states.
}

TEST(DeferredTest, AbandonedChainLeavesAHeldDeferredPendingUntilCancelled) {
  std::optional<Promise<int>> promise(std::in_place);
  Deferred<int> held = promise->GetDeferred().Then([](int v) { return v; });
  promise.reset();
  EXPECT_FALSE(held.fired());
  held.Cancel();
  Recorded<int> got;
  Record(std::move(held), got);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
}

class DeferredTimeoutTest : public ::testing::Test {
 protected:
  FakeEventLoop loop_;
};

TEST_F(DeferredTimeoutTest, FiresDeadlineExceededAndCancelsTheUpstream) {
  Promise<int> promise;
  bool cancelled = false;
  promise.SetCanceller([&] { cancelled = true; });
  Recorded<int> got;
  Record(promise.GetDeferred().WithTimeout(loop_, absl::Seconds(5)), got);
  loop_.AdvanceBy(absl::Seconds(4));
  EXPECT_FALSE(got.result.has_value());
  loop_.AdvanceBy(absl::Seconds(1));
  EXPECT_TRUE(cancelled);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kDeadlineExceeded)));
  EXPECT_EQ(got.deliveries, 1);
  EXPECT_EQ(loop_.armed_timer_count(), 0u);
  promise.Resolve(1);  // Too late: dropped.
  EXPECT_EQ(got.deliveries, 1);
}

TEST_F(DeferredTimeoutTest, ResultBeforeTheDeadlineReleasesTheTimer) {
  Promise<int> promise;
  Recorded<int> got;
  Record(promise.GetDeferred().WithTimeout(loop_, absl::Seconds(5)), got);
  EXPECT_EQ(loop_.armed_timer_count(), 1u);
  loop_.AdvanceBy(absl::Seconds(1));
  promise.Resolve(2);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(2)));
  EXPECT_EQ(loop_.armed_timer_count(), 0u);
  loop_.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(got.deliveries, 1);
}

TEST_F(DeferredTimeoutTest, ConsumerCancellationStaysCancelled) {
  Promise<int> promise;
  Recorded<int> got;
  Deferred<void> tail = Record(promise.GetDeferred().WithTimeout(loop_, absl::Seconds(5)), got);
  tail.Cancel();
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
  EXPECT_EQ(loop_.armed_timer_count(), 0u);
}

TEST_F(DeferredTimeoutTest, TimesOutAHeldDeferredWhoseProducerIsGone) {
  std::optional<Promise<int>> promise(std::in_place);
  Deferred<int> held = promise->GetDeferred().WithTimeout(loop_, absl::Seconds(1));
  promise.reset();
  loop_.AdvanceBy(absl::Seconds(1));
  Recorded<int> got;
  Record(std::move(held), got);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kDeadlineExceeded)));
}

TEST_F(DeferredTimeoutTest, DroppedChainReleasesItsTimer) {
  {
    Promise<int> promise;
    Recorded<int> got;
    Record(promise.GetDeferred().WithTimeout(loop_, absl::Seconds(1)), got);
    EXPECT_EQ(loop_.armed_timer_count(), 1u);
  }
  EXPECT_EQ(loop_.armed_timer_count(), 0u);
}

TEST_F(DeferredTimeoutTest, AlreadyFiredDeferredArmsNoTimer) {
  Recorded<int> got;
  Record(Succeed(1).WithTimeout(loop_, absl::Seconds(1)), got);
  EXPECT_EQ(loop_.armed_timer_count(), 0u);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(1)));
}

std::vector<Deferred<int>> FromPromises(std::vector<Promise<int>>& promises) {
  std::vector<Deferred<int>> out;
  for (Promise<int>& p : promises) out.push_back(p.GetDeferred());
  return out;
}

TEST(WhenAllTest, CollectsValuesInInputOrder) {
  std::vector<Promise<int>> promises(3);
  Recorded<std::vector<int>> got;
  Record(WhenAll(FromPromises(promises)), got);
  promises[2].Resolve(30);
  promises[0].Resolve(10);
  EXPECT_FALSE(got.result.has_value());
  promises[1].Resolve(20);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(ElementsAre(10, 20, 30))));
}

TEST(WhenAllTest, FailsWithTheFirstErrorAtOnce) {
  std::vector<Promise<int>> promises(3);
  Recorded<std::vector<int>> got;
  Record(WhenAll(FromPromises(promises)), got);
  promises[1].Fail(absl::NotFoundError("first"));
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kNotFound, "first")));
  promises[0].Fail(absl::InternalError("second"));
  promises[2].Resolve(3);
  EXPECT_EQ(got.deliveries, 1);
}

TEST(WhenAllTest, EmptyInputFiresAtOnce) {
  Recorded<std::vector<int>> got;
  Record(WhenAll(std::vector<Deferred<int>>()), got);
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(IsEmpty())));
}

TEST(WhenAllTest, GathersVoidDeferreds) {
  std::vector<Deferred<void>> inputs;
  inputs.push_back(Succeed());
  Promise<void> later;
  inputs.push_back(later.GetDeferred());
  Recorded<void> got;
  Record(WhenAll(std::move(inputs)), got);
  EXPECT_FALSE(got.result.has_value());
  later.Resolve();
  EXPECT_THAT(got.result, Optional(IsOk()));
}

TEST(WhenAllTest, CancelCancelsEveryPendingInput) {
  std::vector<Promise<int>> promises(3);
  int cancelled = 0;
  for (Promise<int>& p : promises) p.SetCanceller([&] { ++cancelled; });
  Recorded<std::vector<int>> got;
  Deferred<void> tail = Record(WhenAll(FromPromises(promises)), got);
  promises[0].Resolve(1);
  tail.Cancel();
  EXPECT_EQ(cancelled, 2);
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
  EXPECT_EQ(got.deliveries, 1);
}

}  // namespace
}  // namespace weft::reactor
