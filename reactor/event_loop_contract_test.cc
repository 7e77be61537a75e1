// The EventLoop contract (event_loop.h), run against EpollEventLoop and FakeEventLoop.
//
// Each implementation gets a small driver. The epoll driver runs the real loop on a ManualClock
// (EpollEventLoop::Create(const Clock&)) so timer tests are deterministic: AdvanceBy() moves the
// clock and runs non-blocking iterations, and RunUntil() blocks in epoll_wait until work arrives,
// which only a working cross-thread wake-up ends. The fake driver maps to
// FakeEventLoop::AdvanceBy() and RunUntilIdle().
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/event_loop.h"
#include "reactor/testing/fake_event_loop.h"
#include "reactor/testing/manual_clock.h"

namespace weft::reactor {
namespace {

using ::testing::ElementsAre;

class EpollDriver {
 public:
  EpollDriver() {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create(clock_);
    EXPECT_TRUE(loop.ok()) << loop.status();
    if (loop.ok()) loop_ = *std::move(loop);
  }

  EventLoop& loop() { return *loop_; }
  // One loop iteration, without blocking.
  void RunOneIteration() { loop_->RunOnce(absl::ZeroDuration()); }
  // Epoll cannot say whether work is left; the chains these tests build are far shorter than
  // this many iterations.
  void RunUntilIdle() {
    for (int i = 0; i < 16; ++i) loop_->RunOnce(absl::ZeroDuration());
  }
  void AdvanceBy(absl::Duration delta) {
    clock_.AdvanceBy(delta);
    RunUntilIdle();
  }
  // Blocks for work until `done()`: only a cross-thread Post() can wake it.
  void RunUntil(absl::FunctionRef<bool()> done) {
    while (!done()) loop_->RunOnce(absl::InfiniteDuration());
  }

 private:
  ManualClock clock_;
  std::unique_ptr<EpollEventLoop> loop_;
};

class FakeDriver {
 public:
  EventLoop& loop() { return loop_; }
  void RunOneIteration() { loop_.RunUntilIdle(); }
  void RunUntilIdle() { loop_.RunUntilIdle(); }
  void AdvanceBy(absl::Duration delta) { loop_.AdvanceBy(delta); }
  // The fake never blocks: it keeps draining until the other thread's tasks have arrived.
  void RunUntil(absl::FunctionRef<bool()> done) {
    while (!done()) loop_.RunUntilIdle();
  }

 private:
  FakeEventLoop loop_;
};

template <typename Driver>
class EventLoopContractTest : public ::testing::Test {
 protected:
  EventLoop& loop() { return driver_.loop(); }

  Driver driver_;
};

using Drivers = ::testing::Types<EpollDriver, FakeDriver>;

class DriverNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, EpollDriver> ? "Epoll" : "Fake";
  }
};

TYPED_TEST_SUITE(EventLoopContractTest, Drivers, DriverNames);

// Sets a flag when destroyed.
class Sentinel final : public DeferredDeletable {
 public:
  explicit Sentinel(bool& destroyed) : destroyed_(destroyed) {}
  ~Sentinel() override { destroyed_ = true; }

 private:
  bool& destroyed_;
};

// --- Post ---

TYPED_TEST(EventLoopContractTest, PostRunsTasksInOrderAndNeverInline) {
  std::vector<int> ran;
  this->loop().Post([&] { ran.push_back(1); });
  this->loop().Post([&] { ran.push_back(2); });
  this->loop().Post([&] { ran.push_back(3); });
  EXPECT_TRUE(ran.empty());
  this->driver_.RunUntilIdle();
  EXPECT_THAT(ran, ElementsAre(1, 2, 3));
}

TYPED_TEST(EventLoopContractTest, TaskPostedByATaskRunsAfterTasksAlreadyQueued) {
  std::vector<int> ran;
  this->loop().Post([&] {
    ran.push_back(1);
    this->loop().Post([&] { ran.push_back(3); });
  });
  this->loop().Post([&] { ran.push_back(2); });
  this->driver_.RunUntilIdle();
  EXPECT_THAT(ran, ElementsAre(1, 2, 3));
}

TYPED_TEST(EventLoopContractTest, PostFromAnotherThreadRunsInOrderOnTheLoopThread) {
  constexpr int kTasks = 1000;
  std::vector<int> ran;
  bool all_on_loop_thread = true;
  std::thread poster([&] {
    for (int i = 0; i < kTasks; ++i) {
      this->loop().Post([&, i] {
        ran.push_back(i);
        all_on_loop_thread &= this->loop().IsInLoopThread();
      });
    }
  });
  // `ran` is only touched by tasks, which run on this thread.
  this->driver_.RunUntil([&] { return ran.size() == kTasks; });
  poster.join();
  EXPECT_TRUE(all_on_loop_thread);
  for (int i = 0; i < kTasks; ++i) ASSERT_EQ(ran[i], i);
}

TYPED_TEST(EventLoopContractTest, IsInLoopThreadOnlyOnTheLoopThread) {
  EXPECT_TRUE(this->loop().IsInLoopThread());
  bool on_other_thread = true;
  std::thread([&] { on_other_thread = this->loop().IsInLoopThread(); }).join();
  EXPECT_FALSE(on_other_thread);
}

TYPED_TEST(EventLoopContractTest, QueuedTasksAreDestroyedWithoutRunningWhenTheLoopDies) {
  bool ran = false;
  bool destroyed = false;
  {
    TypeParam driver;
    auto sentinel = std::make_unique<Sentinel>(destroyed);
    driver.loop().Post([&ran, sentinel = std::move(sentinel)] { ran = true; });
  }
  EXPECT_FALSE(ran);
  EXPECT_TRUE(destroyed);
}

// A task whose captured state posts from its destructor (a promise cancelling its waiter, say)
// must not deadlock the loop's destructor.
TYPED_TEST(EventLoopContractTest, QueuedTaskDestroyedWithTheLoopMayPost) {
  bool ran = false;
  {
    TypeParam driver;
    EventLoop& loop = driver.loop();
    struct PostOnDestroy {
      EventLoop* loop;
      bool* ran;
      ~PostOnDestroy() {
        if (loop != nullptr) loop->Post([r = ran] { *r = true; });
      }
    };
    std::unique_ptr<PostOnDestroy> guard(new PostOnDestroy{&loop, &ran});
    loop.Post([guard = std::move(guard)] {});
  }
  EXPECT_FALSE(ran);
}

// --- Timers ---

TYPED_TEST(EventLoopContractTest, TimerDoesNotFireBeforeItsDeadline) {
  int fired = 0;
  std::unique_ptr<Timer> timer = this->loop().CreateTimer([&] { ++fired; });
  EXPECT_FALSE(timer->armed());
  timer->Schedule(absl::Milliseconds(10));
  EXPECT_TRUE(timer->armed());
  this->driver_.AdvanceBy(absl::Milliseconds(9));
  EXPECT_EQ(fired, 0);
  this->driver_.AdvanceBy(absl::Milliseconds(1));
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer->armed());
  this->driver_.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(fired, 1);
}

TYPED_TEST(EventLoopContractTest, TimersFireInDeadlineOrder) {
  std::vector<int> fired;
  std::vector<std::unique_ptr<Timer>> timers;
  for (int ms : {30, 10, 20}) {
    timers.push_back(this->loop().CreateTimer([&fired, ms] { fired.push_back(ms); }));
    timers.back()->Schedule(absl::Milliseconds(ms));
  }
  this->driver_.AdvanceBy(absl::Milliseconds(30));
  EXPECT_THAT(fired, ElementsAre(10, 20, 30));
}

TYPED_TEST(EventLoopContractTest, TimersWithTheSameDeadlineFireInArmOrder) {
  std::vector<char> fired;
  auto make = [&](char name) {
    return this->loop().CreateTimer([&, name] { fired.push_back(name); });
  };
  std::unique_ptr<Timer> a = make('a');
  std::unique_ptr<Timer> b = make('b');
  std::unique_ptr<Timer> c = make('c');
  a->Schedule(absl::Milliseconds(5));
  b->Schedule(absl::Milliseconds(5));
  c->Schedule(absl::Milliseconds(5));
  a->Schedule(absl::Milliseconds(5));  // Re-arming counts as arming again: a goes last.
  this->driver_.AdvanceBy(absl::Milliseconds(5));
  EXPECT_THAT(fired, ElementsAre('b', 'c', 'a'));
}

TYPED_TEST(EventLoopContractTest, CancelledTimerDoesNotFire) {
  int fired = 0;
  std::unique_ptr<Timer> timer = this->loop().CreateTimer([&] { ++fired; });
  timer->Schedule(absl::Milliseconds(10));
  timer->Cancel();
  EXPECT_FALSE(timer->armed());
  timer->Cancel();  // Idempotent.
  this->driver_.AdvanceBy(absl::Milliseconds(20));
  EXPECT_EQ(fired, 0);
  timer->Schedule(absl::Milliseconds(10));  // Usable again.
  this->driver_.AdvanceBy(absl::Milliseconds(10));
  EXPECT_EQ(fired, 1);
}

TYPED_TEST(EventLoopContractTest, ScheduleReplacesThePreviousDeadline) {
  int fired = 0;
  std::unique_ptr<Timer> timer = this->loop().CreateTimer([&] { ++fired; });
  timer->Schedule(absl::Milliseconds(10));
  timer->Schedule(absl::Milliseconds(25));
  this->driver_.AdvanceBy(absl::Milliseconds(20));
  EXPECT_EQ(fired, 0);
  this->driver_.AdvanceBy(absl::Milliseconds(5));
  EXPECT_EQ(fired, 1);
  timer->Schedule(absl::Milliseconds(30));
  timer->Schedule(absl::Milliseconds(5));  // Earlier works too.
  this->driver_.AdvanceBy(absl::Milliseconds(5));
  EXPECT_EQ(fired, 2);
  this->driver_.AdvanceBy(absl::Milliseconds(30));
  EXPECT_EQ(fired, 2);
}

TYPED_TEST(EventLoopContractTest, CallbackMayRearmItsTimer) {
  int fired = 0;
  std::unique_ptr<Timer> timer;
  timer = this->loop().CreateTimer([&] {
    if (++fired < 3) timer->Schedule(absl::Milliseconds(10));
  });
  timer->Schedule(absl::Milliseconds(10));
  for (int i = 0; i < 5; ++i) this->driver_.AdvanceBy(absl::Milliseconds(10));
  EXPECT_EQ(fired, 3);
  EXPECT_FALSE(timer->armed());
}

TYPED_TEST(EventLoopContractTest, DestroyingTheHandleCancels) {
  int fired = 0;
  std::unique_ptr<Timer> timer = this->loop().CreateTimer([&] { ++fired; });
  timer->Schedule(absl::Milliseconds(10));
  timer.reset();
  this->driver_.AdvanceBy(absl::Milliseconds(20));
  EXPECT_EQ(fired, 0);
}

TYPED_TEST(EventLoopContractTest, CallbackMayDestroyItsOwnTimer) {
  int fired = 0;
  std::unique_ptr<Timer> timer;
  timer = this->loop().CreateTimer([&] {
    ++fired;
    timer.reset();
  });
  timer->Schedule(absl::Milliseconds(1));
  this->driver_.AdvanceBy(absl::Milliseconds(1));
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(timer, nullptr);
}

TYPED_TEST(EventLoopContractTest, CallbackMayDestroyAnotherDueTimer) {
  std::vector<char> fired;
  std::unique_ptr<Timer> second;
  std::unique_ptr<Timer> first = this->loop().CreateTimer([&] {
    fired.push_back('1');
    second.reset();
  });
  second = this->loop().CreateTimer([&] { fired.push_back('2'); });
  first->Schedule(absl::Milliseconds(5));
  second->Schedule(absl::Milliseconds(5));
  this->driver_.AdvanceBy(absl::Milliseconds(5));
  EXPECT_THAT(fired, ElementsAre('1'));
}

TYPED_TEST(EventLoopContractTest, ZeroAndNegativeDelaysFireOnTheNextIteration) {
  std::vector<int> fired;
  std::unique_ptr<Timer> zero = this->loop().CreateTimer([&] { fired.push_back(0); });
  std::unique_ptr<Timer> negative = this->loop().CreateTimer([&] { fired.push_back(-1); });
  zero->Schedule(absl::ZeroDuration());
  negative->Schedule(absl::Seconds(-5));
  EXPECT_TRUE(fired.empty());
  this->driver_.RunOneIteration();
  EXPECT_THAT(fired, ElementsAre(0, -1));  // Clamped to now: arm order decides.
}

TYPED_TEST(EventLoopContractTest, ZeroDelayRearmFromItsOwnCallbackDoesNotSpin) {
  int fired = 0;
  std::unique_ptr<Timer> timer;
  timer = this->loop().CreateTimer([&] {
    ++fired;
    timer->Schedule(absl::ZeroDuration());
  });
  timer->Schedule(absl::ZeroDuration());
  this->driver_.RunOneIteration();
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(timer->armed());
  this->driver_.RunOneIteration();
  EXPECT_EQ(fired, 2);
  timer->Cancel();
}

TYPED_TEST(EventLoopContractTest, TimerArmedByATimerFiresAfterTheTasksThatCallbackPosted) {
  std::vector<std::string> events;
  std::unique_ptr<Timer> second = this->loop().CreateTimer([&] { events.push_back("second"); });
  std::unique_ptr<Timer> first = this->loop().CreateTimer([&] {
    events.push_back("first");
    second->Schedule(absl::ZeroDuration());
    this->loop().Post([&] { events.push_back("task"); });
  });
  first->Schedule(absl::Milliseconds(1));
  this->driver_.AdvanceBy(absl::Milliseconds(1));
  EXPECT_THAT(events, ElementsAre("first", "task", "second"));
}

TYPED_TEST(EventLoopContractTest, FiveThousandPendingTimersFireInOrder) {
  constexpr int kTimers = 5000;
  std::vector<int> fired;
  fired.reserve(kTimers);
  std::vector<std::unique_ptr<Timer>> timers;
  std::vector<std::pair<int, int>> expected;  // (delay ms, arm index)
  uint32_t seed = 12345;
  for (int i = 0; i < kTimers; ++i) {
    seed = seed * 1103515245u + 12345u;
    const int delay_ms = 1 + static_cast<int>((seed >> 16) % 500);  // Many ties.
    expected.emplace_back(delay_ms, i);
    timers.push_back(this->loop().CreateTimer([&fired, i] { fired.push_back(i); }));
    timers.back()->Schedule(absl::Milliseconds(delay_ms));
  }
  std::sort(expected.begin(), expected.end());
  this->driver_.AdvanceBy(absl::Milliseconds(500));
  ASSERT_EQ(fired.size(), static_cast<std::size_t>(kTimers));
  for (int i = 0; i < kTimers; ++i) ASSERT_EQ(fired[i], expected[i].second) << "at " << i;
}

TYPED_TEST(EventLoopContractTest, TimerArmedFromAPostedTaskFires) {
  int fired = 0;
  std::unique_ptr<Timer> timer = this->loop().CreateTimer([&] { ++fired; });
  this->loop().Post([&] { timer->Schedule(absl::Milliseconds(10)); });
  this->driver_.RunUntilIdle();
  this->driver_.AdvanceBy(absl::Milliseconds(10));
  EXPECT_EQ(fired, 1);
}

TYPED_TEST(EventLoopContractTest, ClockIsTheClockThatDrivesTimers) {
  const absl::Time before = this->loop().clock().MonotonicNow();
  absl::Time at_fire;
  std::unique_ptr<Timer> timer =
      this->loop().CreateTimer([&] { at_fire = this->loop().clock().MonotonicNow(); });
  timer->Schedule(absl::Milliseconds(40));
  this->driver_.AdvanceBy(absl::Milliseconds(40));
  EXPECT_EQ(at_fire - before, absl::Milliseconds(40));
}

// --- DeferredDelete ---

TYPED_TEST(EventLoopContractTest, DeferredDeleteRunsAfterTheCurrentCallback) {
  bool destroyed = false;
  bool alive_at_end_of_task = false;
  this->loop().Post([&] {
    this->loop().DeferredDelete(std::make_unique<Sentinel>(destroyed));
    alive_at_end_of_task = !destroyed;
  });
  EXPECT_FALSE(destroyed);
  this->driver_.RunUntilIdle();
  EXPECT_TRUE(alive_at_end_of_task);
  EXPECT_TRUE(destroyed);
}

// An object that releases itself from inside its own timer callback, then keeps using its
// members: the sanitizer build catches a premature delete.
class SelfReleasing final : public DeferredDeletable {
 public:
  SelfReleasing(EventLoop& loop, bool& destroyed, int& touched_after_release)
      : loop_(loop),
        destroyed_(destroyed),
        touched_(touched_after_release),
        timer_(loop.CreateTimer([this] { OnTimer(); })) {}
  ~SelfReleasing() override { destroyed_ = true; }
  void Start() { timer_->Schedule(absl::Milliseconds(1)); }

 private:
  void OnTimer() {
    loop_.DeferredDelete(std::unique_ptr<DeferredDeletable>(this));
    timer_->Cancel();
    ++touched_;
  }

  EventLoop& loop_;
  bool& destroyed_;
  int& touched_;
  std::unique_ptr<Timer> timer_;
};

TYPED_TEST(EventLoopContractTest, ObjectMayDeferDeleteItselfFromItsOwnTimer) {
  bool destroyed = false;
  int touched = 0;
  (new SelfReleasing(this->loop(), destroyed, touched))->Start();
  this->driver_.AdvanceBy(absl::Milliseconds(1));
  EXPECT_EQ(touched, 1);
  EXPECT_TRUE(destroyed);
}

// Deletes `next` when destroyed, through DeferredDelete again.
class ChainedDeletable final : public DeferredDeletable {
 public:
  ChainedDeletable(EventLoop& loop, int& destroyed, std::unique_ptr<DeferredDeletable> next)
      : loop_(loop), destroyed_(destroyed), next_(std::move(next)) {}
  ~ChainedDeletable() override {
    ++destroyed_;
    if (next_ != nullptr) loop_.DeferredDelete(std::move(next_));
  }

 private:
  EventLoop& loop_;
  int& destroyed_;
  std::unique_ptr<DeferredDeletable> next_;
};

TYPED_TEST(EventLoopContractTest, DeletionsQueuedByDestructorsAlsoRun) {
  int destroyed = 0;
  std::unique_ptr<DeferredDeletable> chain;
  for (int i = 0; i < 3; ++i) {
    chain = std::make_unique<ChainedDeletable>(this->loop(), destroyed, std::move(chain));
  }
  this->loop().Post([&] { this->loop().DeferredDelete(std::move(chain)); });
  this->driver_.RunOneIteration();
  EXPECT_EQ(destroyed, 3);
}

TYPED_TEST(EventLoopContractTest, PendingDeferredDeletesRunWhenTheLoopDies) {
  bool destroyed = false;
  {
    TypeParam driver;
    driver.loop().DeferredDelete(std::make_unique<Sentinel>(destroyed));
    EXPECT_FALSE(destroyed);
  }
  EXPECT_TRUE(destroyed);
}

}  // namespace
}  // namespace weft::reactor
