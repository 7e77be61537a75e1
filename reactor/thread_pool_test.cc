// ThreadPool and DeferToThread() against a real EpollEventLoop. No fixed sleeps: the loop runs in
// short RunOnce() steps until the awaited condition holds, with a generous upper bound.
#include "reactor/thread_pool.h"

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/deferred.h"
#include "reactor/epoll_event_loop.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::Optional;
using ::weft::testing::IsOk;
using ::weft::testing::IsOkAndHolds;
using ::weft::testing::StatusIs;

template <typename T>
struct Recorded {
  std::optional<DeferredResult<T>> result;
  bool on_loop_thread = false;
};

template <typename T>
Deferred<void> Record(EventLoop& loop, Deferred<T> d, Recorded<T>& out) {
  return std::move(d).Handle([&loop, &out](DeferredResult<T> r) {
    out.result = std::move(r);
    out.on_loop_thread = loop.IsInLoopThread();
  });
}

// Destroyed on the loop thread or not: records where its last live copy died.
struct Payload {
  Payload(std::atomic<int>& destroyed, EventLoop& loop) : destroyed(&destroyed), loop(&loop) {}
  Payload(Payload&& other) noexcept
      : destroyed(std::exchange(other.destroyed, nullptr)), loop(other.loop) {}
  Payload& operator=(Payload&&) = delete;
  ~Payload() {
    if (destroyed == nullptr) return;
    died_on_loop_thread = loop->IsInLoopThread();
    destroyed->fetch_add(1);
  }
  std::atomic<int>* destroyed;
  EventLoop* loop;
  static inline std::atomic<bool> died_on_loop_thread{false};
};

class ThreadPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = *std::move(loop);
  }

  // Runs the loop until `done` or ten seconds pass; returns `done()`.
  bool RunUntil(absl::FunctionRef<bool()> done) {
    const absl::Time limit = absl::Now() + absl::Seconds(10);
    while (!done() && absl::Now() < limit) loop_->RunOnce(absl::Milliseconds(10));
    return done();
  }

  std::unique_ptr<EpollEventLoop> loop_;
};

TEST(ThreadPoolBasicsTest, RunsEverySubmittedTaskBeforeDestruction) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(4);
    EXPECT_EQ(pool.size(), 4);
    for (int i = 0; i < 1000; ++i) pool.Submit([&ran] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 1000);
}

TEST(ThreadPoolBasicsTest, DestructorDrainsQueuedWorkBehindABusyWorker) {
  std::atomic<int> ran{0};
  absl::Notification release;
  {
    ThreadPool pool(1);
    pool.Submit([&release] { release.WaitForNotification(); });
    for (int i = 0; i < 10; ++i) pool.Submit([&ran] { ran.fetch_add(1); });
    release.Notify();
  }
  EXPECT_EQ(ran.load(), 10);
}

TEST(ThreadPoolBasicsTest, TasksRunOffTheCallingThread) {
  std::atomic<bool> same_thread{true};
  const std::thread::id caller = std::this_thread::get_id();
  {
    ThreadPool pool(2);
    pool.Submit([&] { same_thread = std::this_thread::get_id() == caller; });
  }
  EXPECT_FALSE(same_thread.load());
}

TEST_F(ThreadPoolTest, DeferToThreadFiresOnTheLoopThread) {
  ThreadPool pool(2);
  std::atomic<bool> ran_on_loop_thread{true};
  Recorded<int> got;
  Record(*loop_,
         DeferToThread(*loop_, pool,
                       [&] {
                         ran_on_loop_thread = loop_->IsInLoopThread();
                         return 42;
                       }),
         got);
  ASSERT_TRUE(RunUntil([&] { return got.result.has_value(); }));
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(42)));
  EXPECT_TRUE(got.on_loop_thread);
  EXPECT_FALSE(ran_on_loop_thread.load());
}

TEST_F(ThreadPoolTest, DeferToThreadCarriesErrorsAndVoid) {
  ThreadPool pool(2);
  Recorded<int> failed;
  Recorded<void> status, done;
  Record(*loop_,
         DeferToThread(*loop_, pool,
                       []() -> absl::StatusOr<int> { return absl::NotFoundError("disk: gone"); }),
         failed);
  Record(*loop_, DeferToThread(*loop_, pool, [] { return absl::InternalError("x"); }), status);
  Record(*loop_, DeferToThread(*loop_, pool, [] {}), done);
  ASSERT_TRUE(RunUntil([&] {
    return failed.result.has_value() && status.result.has_value() && done.result.has_value();
  }));
  EXPECT_THAT(failed.result, Optional(StatusIs(absl::StatusCode::kNotFound)));
  EXPECT_THAT(status.result, Optional(StatusIs(absl::StatusCode::kInternal)));
  EXPECT_THAT(done.result, Optional(IsOk()));
}

TEST_F(ThreadPoolTest, ManyTasksAllArrive) {
  constexpr int kTasks = 2000;
  ThreadPool pool(4);
  std::vector<Deferred<int>> work;
  for (int i = 0; i < kTasks; ++i) {
    work.push_back(DeferToThread(*loop_, pool, [i] { return i; }));
  }
  Recorded<std::vector<int>> got;
  Record(*loop_, WhenAll(std::move(work)), got);
  ASSERT_TRUE(RunUntil([&] { return got.result.has_value(); }));
  ASSERT_THAT(got.result, Optional(IsOk()));
  long sum = 0;
  for (int v : **got.result) sum += v;
  EXPECT_EQ(sum, static_cast<long>(kTasks) * (kTasks - 1) / 2);
}

TEST_F(ThreadPoolTest, ResultArrivingAfterCancelIsDroppedOnTheLoopThread) {
  std::atomic<int> destroyed{0};
  absl::Notification started, release;
  Recorded<std::atomic<int>*> got;
  {
    ThreadPool pool(1);
    Deferred<std::atomic<int>*> d = DeferToThread(*loop_, pool, [&] {
                                      started.Notify();
                                      release.WaitForNotification();
                                      return Payload(destroyed, *loop_);
                                    }).Then([](Payload p) { return p.destroyed; });
    Deferred<void> tail = Record(*loop_, std::move(d), got);
    started.WaitForNotification();
    tail.Cancel();
    EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
    release.Notify();
  }  // The pool drains: the result is posted to the loop.
  ASSERT_TRUE(RunUntil([&] { return destroyed.load() == 1; }));
  EXPECT_TRUE(Payload::died_on_loop_thread.load());
  EXPECT_THAT(got.result, Optional(StatusIs(absl::StatusCode::kCancelled)));
}

Deferred<int> SquareOnPool(EventLoop& loop, ThreadPool& pool, int x) {
  absl::StatusOr<int> squared = co_await DeferToThread(loop, pool, [x] { return x * x; });
  if (!squared.ok()) co_return squared.status();
  absl::StatusOr<int> plus_one = co_await DeferToThread(loop, pool, [&] { return *squared + 1; });
  co_return plus_one;
}

TEST_F(ThreadPoolTest, CoroutinesAwaitPoolWork) {
  ThreadPool pool(2);
  Recorded<int> got;
  Record(*loop_, SquareOnPool(*loop_, pool, 7), got);
  ASSERT_TRUE(RunUntil([&] { return got.result.has_value(); }));
  EXPECT_THAT(got.result, Optional(IsOkAndHolds(50)));
}

}  // namespace
}  // namespace weft::reactor
