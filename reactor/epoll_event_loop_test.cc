// EpollEventLoop behaviour beyond the shared EventLoop contract (event_loop_contract_test.cc):
// fd readiness, DeferredCall, Run()/Stop() across threads and the real clock.
#include "reactor/epoll_event_loop.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/testing/manual_clock.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::ElementsAre;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

// A pipe whose ends close with it.
class Pipe {
 public:
  Pipe() { EXPECT_EQ(pipe2(fds_, O_NONBLOCK | O_CLOEXEC), 0); }
  ~Pipe() {
    close(fds_[0]);
    close(fds_[1]);
  }
  int read_fd() const { return fds_[0]; }
  int write_fd() const { return fds_[1]; }
  void Fill() { ASSERT_EQ(write(fds_[1], "x", 1), 1); }

 private:
  int fds_[2] = {-1, -1};
};

// Counts events and runs an optional hook.
class CountingHandler final : public FdHandler {
 public:
  explicit CountingHandler(absl::AnyInvocable<void(uint32_t)> hook = nullptr)
      : hook_(std::move(hook)) {}
  // FdHandler
  void OnFdEvents(uint32_t events) override {
    ++calls_;
    last_events_ = events;
    if (hook_) hook_(events);
  }
  int calls() const { return calls_; }
  uint32_t last_events() const { return last_events_; }

 private:
  absl::AnyInvocable<void(uint32_t)> hook_;
  int calls_ = 0;
  uint32_t last_events_ = 0;
};

class RecordingCall final : public DeferredCall {
 public:
  explicit RecordingCall(absl::AnyInvocable<void()> body) : body_(std::move(body)) {}
  // DeferredCall
  void RunDeferredCall() override { body_(); }

 private:
  absl::AnyInvocable<void()> body_;
};

class EpollEventLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create(clock_);
    ASSERT_THAT(loop.status(), IsOk());
    loop_ = *std::move(loop);
  }
  void RunOnce() { loop_->RunOnce(absl::ZeroDuration()); }

  ManualClock clock_;
  std::unique_ptr<EpollEventLoop> loop_;
};

// --- fd readiness ---

TEST_F(EpollEventLoopTest, DeliversReadinessOfAnEventfd) {
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  CountingHandler handler([fd](uint32_t) {
    uint64_t value;
    ASSERT_EQ(read(fd, &value, sizeof(value)), static_cast<ssize_t>(sizeof(value)));
    EXPECT_EQ(value, 7u);
  });
  ASSERT_THAT(loop_->AddFd(fd, EPOLLIN, handler), IsOk());
  RunOnce();
  EXPECT_EQ(handler.calls(), 0);
  const uint64_t seven = 7;
  ASSERT_EQ(write(fd, &seven, sizeof(seven)), static_cast<ssize_t>(sizeof(seven)));
  loop_->RunOnce(absl::Seconds(10));  // Returns as soon as the fd is ready.
  EXPECT_EQ(handler.calls(), 1);
  EXPECT_NE(handler.last_events() & EPOLLIN, 0u);
  RunOnce();
  EXPECT_EQ(handler.calls(), 1);  // Drained.
  loop_->RemoveFd(fd, handler);
  close(fd);
}

TEST_F(EpollEventLoopTest, ReadinessIsLevelTriggered) {
  Pipe pipe;
  CountingHandler handler;  // Never reads.
  ASSERT_THAT(loop_->AddFd(pipe.read_fd(), EPOLLIN, handler), IsOk());
  pipe.Fill();
  RunOnce();
  RunOnce();
  EXPECT_EQ(handler.calls(), 2);
  loop_->RemoveFd(pipe.read_fd(), handler);
  RunOnce();
  EXPECT_EQ(handler.calls(), 2);
}

TEST_F(EpollEventLoopTest, ModifyFdChangesTheInterest) {
  Pipe pipe;
  CountingHandler handler;
  ASSERT_THAT(loop_->AddFd(pipe.write_fd(), EPOLLOUT, handler), IsOk());
  RunOnce();
  EXPECT_EQ(handler.calls(), 1);
  EXPECT_NE(handler.last_events() & EPOLLOUT, 0u);
  ASSERT_THAT(loop_->ModifyFd(pipe.write_fd(), EPOLLIN, handler), IsOk());
  RunOnce();
  EXPECT_EQ(handler.calls(), 1);
  loop_->RemoveFd(pipe.write_fd(), handler);
}

TEST_F(EpollEventLoopTest, AddFdReportsKernelRefusalAsInternal) {
  CountingHandler handler;
  EXPECT_THAT(loop_->AddFd(-1, EPOLLIN, handler), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(loop_->ModifyFd(-1, EPOLLIN, handler), StatusIs(absl::StatusCode::kInternal));
}

// Two fds ready in the same batch; whichever handler runs first removes and deletes the other.
// The deleted handler's event, already fetched, must not be delivered (ASan catches a
// use-after-free if it is).
TEST_F(EpollEventLoopTest, RemovedHandlerIsNotCalledForAnEventAlreadyInTheBatch) {
  Pipe first_pipe;
  Pipe second_pipe;
  std::unique_ptr<CountingHandler> handlers[2];
  const int fds[2] = {first_pipe.read_fd(), second_pipe.read_fd()};
  int calls = 0;
  for (int i = 0; i < 2; ++i) {
    handlers[i] = std::make_unique<CountingHandler>([&, other = 1 - i](uint32_t) {
      ++calls;
      ASSERT_NE(handlers[other], nullptr) << "deleted handler was called";
      loop_->RemoveFd(fds[other], *handlers[other]);
      handlers[other].reset();
    });
    ASSERT_THAT(loop_->AddFd(fds[i], EPOLLIN, *handlers[i]), IsOk());
  }
  first_pipe.Fill();
  second_pipe.Fill();
  RunOnce();
  EXPECT_EQ(calls, 1);
  for (int i = 0; i < 2; ++i) {
    if (handlers[i] != nullptr) loop_->RemoveFd(fds[i], *handlers[i]);
  }
}

TEST_F(EpollEventLoopTest, HandlerMayRemoveItself) {
  Pipe pipe;
  std::unique_ptr<CountingHandler> handler;
  handler = std::make_unique<CountingHandler>([&](uint32_t) {
    loop_->RemoveFd(pipe.read_fd(), *handler);
    handler.reset();
  });
  ASSERT_THAT(loop_->AddFd(pipe.read_fd(), EPOLLIN, *handler), IsOk());
  pipe.Fill();
  RunOnce();
  RunOnce();
  EXPECT_EQ(handler, nullptr);
}

// --- DeferredCall ---

TEST_F(EpollEventLoopTest, DeferredCallRunsOnceOnTheNextIteration) {
  int runs = 0;
  RecordingCall call([&] { ++runs; });
  loop_->Schedule(call);
  loop_->Schedule(call);  // Already queued: no-op.
  EXPECT_TRUE(call.pending());
  EXPECT_EQ(runs, 0);
  RunOnce();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(call.pending());
  RunOnce();
  EXPECT_EQ(runs, 1);
}

TEST_F(EpollEventLoopTest, DeferredCallsRunInScheduleOrderAfterPostedTasks) {
  std::vector<std::string> ran;
  RecordingCall a([&] { ran.push_back("a"); });
  RecordingCall b([&] { ran.push_back("b"); });
  loop_->Schedule(b);
  loop_->Schedule(a);
  loop_->Post([&] { ran.push_back("task"); });
  RunOnce();
  EXPECT_THAT(ran, ElementsAre("task", "b", "a"));
}

TEST_F(EpollEventLoopTest, DestroyingAPendingDeferredCallCancelsIt) {
  int runs = 0;
  auto call = std::make_unique<RecordingCall>([&] { ++runs; });
  loop_->Schedule(*call);
  call.reset();
  RunOnce();
  EXPECT_EQ(runs, 0);
}

TEST_F(EpollEventLoopTest, CallsScheduledWhileRunningWaitForTheNextIteration) {
  std::vector<std::string> ran;
  RecordingCall later([&] { ran.push_back("later"); });
  std::unique_ptr<RecordingCall> again;
  again = std::make_unique<RecordingCall>([&] {
    ran.push_back("again");
    loop_->Schedule(*again);  // Re-schedules itself.
    loop_->Schedule(later);
  });
  loop_->Schedule(*again);
  RunOnce();
  EXPECT_THAT(ran, ElementsAre("again"));
  RunOnce();
  EXPECT_THAT(ran, ElementsAre("again", "again", "later"));
  again.reset();  // Pending: cancelled by destruction.
  RunOnce();
  EXPECT_THAT(ran, ElementsAre("again", "again", "later"));
}

// The last call of the batch is destroyed by an earlier one, which also schedules a new call:
// the batch must end there and leave the new call for the next iteration.
TEST_F(EpollEventLoopTest, DestroyingTheLastCallOfTheBatchKeepsNewCallsForTheNextIteration) {
  std::vector<std::string> ran;
  RecordingCall fresh([&] { ran.push_back("fresh"); });
  std::unique_ptr<RecordingCall> last =
      std::make_unique<RecordingCall>([&] { ran.push_back("last"); });
  RecordingCall first([&] {
    ran.push_back("first");
    loop_->Schedule(fresh);
    last.reset();
  });
  loop_->Schedule(first);
  loop_->Schedule(*last);
  RunOnce();
  EXPECT_THAT(ran, ElementsAre("first"));
  RunOnce();
  EXPECT_THAT(ran, ElementsAre("first", "fresh"));
}

TEST_F(EpollEventLoopTest, DeferredCallMayDestroyItself) {
  int runs = 0;
  std::unique_ptr<RecordingCall> call;
  call = std::make_unique<RecordingCall>([&] {
    ++runs;
    call.reset();
  });
  loop_->Schedule(*call);
  RunOnce();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(call, nullptr);
}

TEST(EpollEventLoopLifetimeTest, DeferredCallMayOutliveTheLoop) {
  ManualClock clock;
  int runs = 0;
  RecordingCall call([&] { ++runs; });
  {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create(clock);
    ASSERT_THAT(loop.status(), IsOk());
    (*loop)->Schedule(call);
  }
  EXPECT_FALSE(call.pending());
  EXPECT_EQ(runs, 0);
}

// --- Run(), Stop() and threads ---

TEST_F(EpollEventLoopTest, StopFromAnotherThreadEndsRun) {
  std::thread stopper;
  // Started from inside the loop so that Stop() usually arrives while Run() blocks; if it comes
  // earlier, Run() must still return.
  loop_->Post([&] { stopper = std::thread([&] { loop_->Stop(); }); });
  loop_->Run();
  stopper.join();
}

TEST_F(EpollEventLoopTest, StopBeforeRunStillEndsRunAndIsConsumed) {
  bool ran = false;
  loop_->Post([&] { ran = true; });
  loop_->Stop();
  loop_->Run();
  loop_->Post([&] { loop_->Stop(); });
  loop_->Run();  // Stop() was consumed: this Run() runs until the new Stop().
  EXPECT_TRUE(ran);
}

TEST_F(EpollEventLoopTest, RunBindsTheLoopToTheRunningThread) {
  bool in_loop_thread_inside_run = false;
  bool creator_is_loop_thread_during_run = true;
  std::thread runner([&] {
    loop_->Post([&] {
      in_loop_thread_inside_run = loop_->IsInLoopThread();
      loop_->Stop();
    });
    loop_->Run();
  });
  runner.join();
  creator_is_loop_thread_during_run = loop_->IsInLoopThread();
  EXPECT_TRUE(in_loop_thread_inside_run);
  EXPECT_FALSE(creator_is_loop_thread_during_run);
}

// A loop built on one thread and handed to another that runs it (LoopGroup does this) must not
// lose a Post() made while the runner is starting.
TEST(EpollEventLoopThreadsTest, PostRacingWithRunOnAnotherThreadIsNotLost) {
  for (int round = 0; round < 300; ++round) {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> created = EpollEventLoop::Create();
    ASSERT_THAT(created.status(), IsOk());
    EpollEventLoop& loop = **created;
    std::thread runner([&] { loop.Run(); });
    loop.Post([&] { loop.Stop(); });
    runner.join();
  }
}

TEST(EpollEventLoopThreadsTest, TimerFiresOnTheSystemClock) {
  absl::StatusOr<std::unique_ptr<EpollEventLoop>> created = EpollEventLoop::Create();
  ASSERT_THAT(created.status(), IsOk());
  EpollEventLoop& loop = **created;
  const absl::Time start = loop.clock().MonotonicNow();
  std::unique_ptr<Timer> timer = loop.CreateTimer([&] { loop.Stop(); });
  timer->Schedule(absl::Milliseconds(2));
  loop.Run();
  EXPECT_GE(loop.clock().MonotonicNow() - start, absl::Milliseconds(2));
}

}  // namespace
}  // namespace weft::reactor
