// FakeEventLoop behaviour beyond the shared EventLoop contract (event_loop_contract_test.cc):
// how time moves, how RunUntilIdle() bounds itself, and the cross-thread queue.
#include "reactor/testing/fake_event_loop.h"

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/event_loop.h"

namespace weft::reactor {
namespace {

using ::testing::ElementsAre;

class FakeEventLoopTest : public ::testing::Test {
 protected:
  // Monotonic time since the test started.
  absl::Duration Elapsed() const { return loop_.clock().MonotonicNow() - start_; }

  FakeEventLoop loop_;
  const absl::Time start_ = loop_.clock().MonotonicNow();
};

TEST_F(FakeEventLoopTest, NothingRunsUntilTheTestDrivesTheLoop) {
  bool ran = false;
  loop_.Post([&] { ran = true; });
  std::unique_ptr<Timer> timer = loop_.CreateTimer([&] { ran = true; });
  timer->Schedule(absl::ZeroDuration());
  EXPECT_FALSE(ran);
  loop_.RunUntilIdle();
  EXPECT_TRUE(ran);
}

TEST_F(FakeEventLoopTest, RunUntilIdleDoesNotMoveTime) {
  bool fired = false;
  std::unique_ptr<Timer> timer = loop_.CreateTimer([&] { fired = true; });
  timer->Schedule(absl::Nanoseconds(1));
  loop_.RunUntilIdle();
  EXPECT_FALSE(fired);
  EXPECT_EQ(Elapsed(), absl::ZeroDuration());
}

TEST_F(FakeEventLoopTest, AdvanceByEndsExactlyAtTheTarget) {
  loop_.AdvanceBy(absl::Milliseconds(1500));
  EXPECT_EQ(Elapsed(), absl::Milliseconds(1500));
  EXPECT_EQ(loop_.manual_clock().elapsed(), absl::Milliseconds(1500));
}

TEST_F(FakeEventLoopTest, WallClockAdvancesWithMonotonicClock) {
  const absl::Time wall = loop_.clock().Now();
  loop_.AdvanceBy(absl::Hours(2));
  EXPECT_EQ(loop_.clock().Now() - wall, absl::Hours(2));
}

TEST_F(FakeEventLoopTest, CallbacksSeeTheClockAtTheirOwnDeadline) {
  std::vector<absl::Duration> seen;
  std::unique_ptr<Timer> a = loop_.CreateTimer([&] { seen.push_back(Elapsed()); });
  std::unique_ptr<Timer> b = loop_.CreateTimer([&] { seen.push_back(Elapsed()); });
  a->Schedule(absl::Milliseconds(30));
  b->Schedule(absl::Milliseconds(10));
  loop_.AdvanceBy(absl::Milliseconds(100));
  EXPECT_THAT(seen, ElementsAre(absl::Milliseconds(10), absl::Milliseconds(30)));
}

TEST_F(FakeEventLoopTest, TimersArmedByCallbacksWithinTheWindowFireAtTheirDeadlines) {
  std::vector<absl::Duration> seen;
  std::unique_ptr<Timer> second = loop_.CreateTimer([&] { seen.push_back(Elapsed()); });
  std::unique_ptr<Timer> first = loop_.CreateTimer([&] {
    seen.push_back(Elapsed());
    second->Schedule(absl::Milliseconds(5));
  });
  first->Schedule(absl::Milliseconds(10));
  loop_.AdvanceBy(absl::Milliseconds(20));
  EXPECT_THAT(seen, ElementsAre(absl::Milliseconds(10), absl::Milliseconds(15)));
}

TEST_F(FakeEventLoopTest, PeriodicTimerFiresOncePerPeriodWithinOneAdvance) {
  int fired = 0;
  std::unique_ptr<Timer> timer;
  timer = loop_.CreateTimer([&] {
    ++fired;
    timer->Schedule(absl::Seconds(1));
  });
  timer->Schedule(absl::Seconds(1));
  loop_.AdvanceBy(absl::Milliseconds(10500));
  EXPECT_EQ(fired, 10);
  EXPECT_TRUE(timer->armed());
}

TEST_F(FakeEventLoopTest, TimersBeyondTheTargetStayArmed) {
  bool fired = false;
  std::unique_ptr<Timer> timer = loop_.CreateTimer([&] { fired = true; });
  timer->Schedule(absl::Seconds(10));
  loop_.AdvanceBy(absl::Seconds(9));
  EXPECT_FALSE(fired);
  EXPECT_TRUE(timer->armed());
  EXPECT_EQ(loop_.armed_timer_count(), 1u);
  loop_.AdvanceBy(absl::Seconds(1));
  EXPECT_TRUE(fired);
  EXPECT_EQ(loop_.armed_timer_count(), 0u);
}

TEST_F(FakeEventLoopTest, WorkPostedBeforeAdvanceRunsBeforeTimeMoves) {
  absl::Duration armed_at = absl::InfiniteDuration();
  absl::Duration fired_at = absl::InfiniteDuration();
  std::unique_ptr<Timer> timer = loop_.CreateTimer([&] { fired_at = Elapsed(); });
  loop_.Post([&] {
    armed_at = Elapsed();
    timer->Schedule(absl::Seconds(1));
  });
  loop_.AdvanceBy(absl::Seconds(1));
  EXPECT_EQ(armed_at, absl::ZeroDuration());
  EXPECT_EQ(fired_at, absl::Seconds(1));
}

TEST_F(FakeEventLoopTest, LongChainsOfPostsFinishInOneRunUntilIdle) {
  int remaining = 10000;
  std::function<void()> post_next = [&] {
    if (--remaining > 0) loop_.Post([&] { post_next(); });
  };
  loop_.Post([&] { post_next(); });
  loop_.RunUntilIdle();
  EXPECT_EQ(remaining, 0);
}

TEST_F(FakeEventLoopTest, ZeroDelayTimerArmedByATaskFiresInTheSameRunUntilIdle) {
  bool fired = false;
  std::unique_ptr<Timer> timer = loop_.CreateTimer([&] { fired = true; });
  loop_.Post([&] { timer->Schedule(absl::ZeroDuration()); });
  loop_.RunUntilIdle();
  EXPECT_TRUE(fired);
}

TEST_F(FakeEventLoopTest, SelfRearmingZeroDelayTimerFiresOncePerRunUntilIdle) {
  int fired = 0;
  std::unique_ptr<Timer> timer;
  timer = loop_.CreateTimer([&] {
    ++fired;
    timer->Schedule(absl::ZeroDuration());
  });
  timer->Schedule(absl::ZeroDuration());
  loop_.RunUntilIdle();
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(timer->armed());
  loop_.RunUntilIdle();
  EXPECT_EQ(fired, 2);
}

TEST_F(FakeEventLoopTest, SelfRearmingZeroDelayTimerFiresOncePerAdvanceStop) {
  int fired = 0;
  std::unique_ptr<Timer> spinner;
  spinner = loop_.CreateTimer([&] {
    ++fired;
    spinner->Schedule(absl::ZeroDuration());
  });
  std::unique_ptr<Timer> other = loop_.CreateTimer([] {});
  spinner->Schedule(absl::ZeroDuration());
  other->Schedule(absl::Milliseconds(5));
  // Stops at now, at 5 ms (the other timer) and at the 10 ms target.
  loop_.AdvanceBy(absl::Milliseconds(10));
  EXPECT_EQ(fired, 3);
}

TEST_F(FakeEventLoopTest, PostFromAnotherThreadWaitsForTheLoopThread) {
  std::vector<int> ran;
  std::thread poster([&] {
    for (int i = 0; i < 100; ++i) loop_.Post([&ran, i] { ran.push_back(i); });
  });
  poster.join();
  EXPECT_TRUE(ran.empty());
  loop_.RunUntilIdle();
  ASSERT_EQ(ran.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ran[i], i);
}

TEST_F(FakeEventLoopTest, LoopThreadIsTheConstructingThread) {
  EXPECT_TRUE(loop_.IsInLoopThread());
  bool other = true;
  std::thread([&] { other = loop_.IsInLoopThread(); }).join();
  EXPECT_FALSE(other);
}

TEST(FakeEventLoopLifetimeTest, TimerHandlesMayOutliveTheLoop) {
  std::unique_ptr<Timer> timer;
  {
    FakeEventLoop loop;
    timer = loop.CreateTimer([] {});
    timer->Schedule(absl::Seconds(1));
  }
  EXPECT_FALSE(timer->armed());
  timer.reset();
}

TEST(FakeEventLoopDeathTest, EndlessPostLoopAbortsInsteadOfHanging) {
  EXPECT_DEATH(
      {
        FakeEventLoop loop;
        std::function<void()> again = [&] { loop.Post([&] { again(); }); };
        loop.Post([&] { again(); });
        loop.RunUntilIdle();
      },
      "still busy");
}

TEST(FakeEventLoopDeathTest, RunUntilIdleFromACallbackIsABug) {
  EXPECT_DEATH(
      {
        FakeEventLoop loop;
        loop.Post([&] { loop.RunUntilIdle(); });
        loop.RunUntilIdle();
      },
      "check failed");
}

}  // namespace
}  // namespace weft::reactor
