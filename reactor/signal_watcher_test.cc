#include "reactor/signal_watcher.h"

#include <signal.h>
#include <unistd.h>

#include <memory>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

class SignalWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // As main() would, before any thread starts.
    ASSERT_THAT(BlockSignals({SIGUSR1, SIGUSR2, SIGHUP, SIGURG}), IsOk());
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    ASSERT_THAT(loop.status(), IsOk());
    loop_ = *std::move(loop);
  }

  std::unique_ptr<SignalWatcher> Watch(absl::Span<const int> signals) {
    absl::StatusOr<std::unique_ptr<SignalWatcher>> watcher =
        SignalWatcher::Create(*loop_, signals, [this](int signo) { received_.push_back(signo); });
    EXPECT_THAT(watcher.status(), IsOk());
    return watcher.ok() ? *std::move(watcher) : nullptr;
  }

  // Runs the loop until `done` holds; false after 10 seconds.
  bool RunUntil(absl::FunctionRef<bool()> done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!done()) {
      if (absl::Now() > deadline) return false;
      loop_->RunOnce(absl::Milliseconds(10));
    }
    return true;
  }

  void RunBriefly() {
    for (int i = 0; i < 5; ++i) loop_->RunOnce(absl::Milliseconds(2));
  }

  static bool IsPending(int signo) {
    sigset_t pending;
    sigpending(&pending);
    return sigismember(&pending, signo) == 1;
  }

  std::unique_ptr<EpollEventLoop> loop_;
  std::vector<int> received_;
};

TEST_F(SignalWatcherTest, DeliversSignalRaisedInThisThread) {
  std::unique_ptr<SignalWatcher> watcher = Watch({SIGUSR1});
  ASSERT_NE(watcher, nullptr);
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_TRUE(received_.empty());  // Never synchronously.
  ASSERT_TRUE(RunUntil([&] { return !received_.empty(); }));
  EXPECT_THAT(received_, ElementsAre(SIGUSR1));
  EXPECT_FALSE(IsPending(SIGUSR1));
}

TEST_F(SignalWatcherTest, DeliversEachProcessDirectedSignalOfTheSet) {
  std::unique_ptr<SignalWatcher> watcher = Watch({SIGUSR2, SIGHUP});
  ASSERT_NE(watcher, nullptr);
  ASSERT_EQ(kill(getpid(), SIGHUP), 0);
  ASSERT_EQ(kill(getpid(), SIGUSR2), 0);
  ASSERT_TRUE(RunUntil([&] { return received_.size() == 2; }));
  EXPECT_THAT(received_, UnorderedElementsAre(SIGHUP, SIGUSR2));
  RunBriefly();
  EXPECT_EQ(received_.size(), 2u);
}

TEST_F(SignalWatcherTest, RepeatedSignalsBeforeTheLoopRunsCoalesce) {
  std::unique_ptr<SignalWatcher> watcher = Watch({SIGUSR1});
  ASSERT_NE(watcher, nullptr);
  ASSERT_EQ(raise(SIGUSR1), 0);
  ASSERT_EQ(raise(SIGUSR1), 0);
  ASSERT_TRUE(RunUntil([&] { return !received_.empty(); }));
  RunBriefly();
  EXPECT_THAT(received_, ElementsAre(SIGUSR1));
}

TEST_F(SignalWatcherTest, RefusesSignalThatIsNotBlocked) {
  sigset_t winch;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  pthread_sigmask(SIG_UNBLOCK, &winch, nullptr);
  EXPECT_THAT(SignalWatcher::Create(*loop_, {SIGUSR1, SIGWINCH}, [](int) {}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::HasSubstr("SIGWINCH")));
}

TEST_F(SignalWatcherTest, RejectsEmptyAndUnwatchableSignals) {
  EXPECT_THAT(SignalWatcher::Create(*loop_, {}, [](int) {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SignalWatcher::Create(*loop_, {SIGKILL}, [](int) {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SignalWatcher::Create(*loop_, {0}, [](int) {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BlockSignals({SIGSTOP}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(BlockSignals({1000}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SignalWatcherTest, MayBeDestroyedInsideItsCallback) {
  std::unique_ptr<SignalWatcher> watcher;
  absl::StatusOr<std::unique_ptr<SignalWatcher>> created =
      SignalWatcher::Create(*loop_, {SIGUSR1}, [&](int signo) {
        received_.push_back(signo);
        watcher.reset();
      });
  ASSERT_THAT(created.status(), IsOk());
  watcher = *std::move(created);
  ASSERT_EQ(raise(SIGUSR1), 0);
  ASSERT_TRUE(RunUntil([&] { return watcher == nullptr; }));
  EXPECT_THAT(received_, ElementsAre(SIGUSR1));
}

TEST_F(SignalWatcherTest, SignalsStayPendingWhileNobodyWatches) {
  std::unique_ptr<SignalWatcher> first = Watch({SIGURG});
  ASSERT_NE(first, nullptr);
  first.reset();
  ASSERT_EQ(raise(SIGURG), 0);
  RunBriefly();
  EXPECT_TRUE(received_.empty());
  EXPECT_TRUE(IsPending(SIGURG));
  std::unique_ptr<SignalWatcher> second = Watch({SIGURG});
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(RunUntil([&] { return !received_.empty(); }));
  EXPECT_THAT(received_, ElementsAre(SIGURG));
}

}  // namespace
}  // namespace weft::reactor
