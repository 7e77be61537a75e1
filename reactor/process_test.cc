#include "reactor/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/transport.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::HasSubstr;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

class Recorder final : public ProcessCallbacks {
 public:
  // ProcessCallbacks
  void OnStdout(absl::string_view bytes) override {
    EXPECT_FALSE(exit.has_value());
    out.append(bytes.data(), bytes.size());
    if (on_stdout) on_stdout();
  }
  void OnStderr(absl::string_view bytes) override {
    EXPECT_FALSE(exit.has_value());
    err.append(bytes.data(), bytes.size());
  }
  void OnExited(ExitStatus status) override {
    EXPECT_FALSE(exit.has_value());
    exit = status;
    if (on_exited) on_exited();
  }

  std::string out;
  std::string err;
  std::optional<ExitStatus> exit;
  absl::AnyInvocable<void()> on_stdout;
  absl::AnyInvocable<void()> on_exited;
};

// Watches the stdin pipe's flow-control events.
class StdinRecorder final : public TransportCallbacks {
 public:
  // TransportCallbacks
  void OnData(absl::string_view) override {}
  void OnReadEof() override {}
  void OnWriteBufferHigh() override { ++highs; }
  void OnWriteBufferLow() override { ++lows; }
  void OnClosed(absl::Status status) override {
    ++closes;
    reason = std::move(status);
  }

  int highs = 0;
  int lows = 0;
  int closes = 0;
  absl::Status reason;
};

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    ASSERT_THAT(loop.status(), IsOk());
    loop_ = *std::move(loop);
  }

  absl::StatusOr<std::unique_ptr<Process>> Spawn(std::vector<std::string> argv) {
    ProcessOptions options;
    options.argv = std::move(argv);
    return SpawnProcess(*loop_, options, events_);
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

  bool RunUntilExited() {
    return RunUntil([&] { return events_.exit.has_value(); });
  }

  std::unique_ptr<EpollEventLoop> loop_;
  Recorder events_;
};

TEST_F(ProcessTest, CapturesEchoOutput) {
  absl::StatusOr<std::unique_ptr<Process>> process = Spawn({"echo", "hello", "world"});
  ASSERT_THAT(process.status(), IsOk());
  EXPECT_GT((*process)->pid(), 0);
  ASSERT_TRUE(RunUntilExited());
  EXPECT_EQ(events_.out, "hello world\n");
  EXPECT_EQ(events_.err, "");
  EXPECT_EQ(events_.exit->code, 0);
  EXPECT_TRUE(events_.exit->success());
  EXPECT_EQ(events_.exit->ToString(), "exit code 0");
  EXPECT_EQ((*process)->exit_status()->code, 0);
}

TEST_F(ProcessTest, ArgumentsAreNotInterpretedByAShell) {
  absl::StatusOr<std::unique_ptr<Process>> process = Spawn({"echo", "$HOME; `id` | *"});
  ASSERT_THAT(process.status(), IsOk());
  ASSERT_TRUE(RunUntilExited());
  EXPECT_EQ(events_.out, "$HOME; `id` | *\n");
}

TEST_F(ProcessTest, PipesStdinThroughCat) {
  absl::StatusOr<std::unique_ptr<Process>> process = Spawn({"cat"});
  ASSERT_THAT(process.status(), IsOk());
  Transport& in = (*process)->stdin_transport();
  ASSERT_THAT(in.Write("ping\n"), IsOk());
  ASSERT_TRUE(RunUntil([&] { return events_.out == "ping\n"; }));
  ASSERT_THAT(in.Write("pong\n"), IsOk());
  in.Close();  // End of file for cat.
  ASSERT_TRUE(RunUntilExited());
  EXPECT_EQ(events_.out, "ping\npong\n");
  EXPECT_EQ(events_.exit->code, 0);
}

TEST_F(ProcessTest, ReportsExitCode) {
  absl::StatusOr<std::unique_ptr<Process>> process = Spawn({"sh", "-c", "exit 3"});
  ASSERT_THAT(process.status(), IsOk());
  ASSERT_TRUE(RunUntilExited());
  EXPECT_EQ(events_.exit->code, 3);
  EXPECT_FALSE(events_.exit->signal.has_value());
  EXPECT_FALSE(events_.exit->success());
  EXPECT_EQ(events_.exit->ToString(), "exit code 3");
}

TEST_F(ProcessTest, SeparatesStdoutFromStderr) {
  absl::StatusOr<std::unique_ptr<Process>> process =
      Spawn({"sh", "-c", "echo out; echo err >&2; exit 1"});
  ASSERT_THAT(process.status(), IsOk());
  ASSERT_TRUE(RunUntilExited());
  EXPECT_EQ(events_.out, "out\n");
  EXPECT_EQ(events_.err, "err\n");
  EXPECT_EQ(events_.exit->code, 1);
}

TEST_F(ProcessTest, ReportsDeathBySignal) {
  absl::StatusOr<std::unique_ptr<Process>> process = Spawn({"sleep", "30"});
  ASSERT_THAT(process.status(), IsOk());
  ASSERT_THAT((*process)->Kill(0), IsOk());  // Probe only.
  ASSERT_THAT((*process)->Kill(SIGTERM), IsOk());
  ASSERT_TRUE(RunUntilExited());
  EXPECT_EQ(events_.exit->signal, SIGTERM);
  EXPECT_FALSE(events_.exit->code.has_value());
  EXPECT_EQ(events_.exit->ToString(), "killed by signal 15 (SIGTERM)");
  EXPECT_THAT((*process)->Kill(SIGKILL), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ProcessTest, KillWithBadSignalIsInvalidArgument) {
  absl::StatusOr<std::unique_ptr<Process>> process = Spawn({"sleep", "30"});
  ASSERT_THAT(process.status(), IsOk());
  EXPECT_THAT((*process)->Kill(12345), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ProcessTest, NonexistentBinaryIsNotFound) {
  EXPECT_THAT(Spawn({"/nonexistent/weft-no-such-binary"}).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("weft-no-such-binary")));
  // Looked up in PATH.
  EXPECT_THAT(Spawn({"weft-no-such-binary-on-path"}).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ProcessTest, NonExecutableFileIsPermissionDenied) {
  const char* tmpdir = getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(tmpdir != nullptr ? tmpdir : "/tmp", "/weft-not-executable");
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "#!/bin/sh\n", 10), 10);
  close(fd);
  EXPECT_THAT(Spawn({path}).status(), StatusIs(absl::StatusCode::kPermissionDenied));
  unlink(path.c_str());
}

TEST_F(ProcessTest, MissingWorkingDirectoryIsNotFound) {
  ProcessOptions options;
  options.argv = {"true"};
  options.working_dir = "/nonexistent/weft-dir";
  EXPECT_THAT(SpawnProcess(*loop_, options, events_).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("working directory")));
}

TEST_F(ProcessTest, RejectsEmptyArgvAndEmbeddedNul) {
  EXPECT_THAT(Spawn({}).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Spawn({std::string("ec\0ho", 5)}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ProcessTest, PassesEnvironmentAndWorkingDirectory) {
  ProcessOptions options;
  options.argv = {"/bin/sh", "-c", "echo \"$WEFT_TEST:$HOME:$(pwd)\""};
  options.env = std::vector<std::string>{"WEFT_TEST=42"};
  options.working_dir = "/";
  absl::StatusOr<std::unique_ptr<Process>> process = SpawnProcess(*loop_, options, events_);
  ASSERT_THAT(process.status(), IsOk());
  ASSERT_TRUE(RunUntilExited());
  EXPECT_EQ(events_.out, "42::/\n");
}

TEST_F(ProcessTest, ChildStartsWithCleanSignalState) {
  // The parent blocks a signal (as SignalWatcher users do) and ignores SIGPIPE.
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  sigset_t old_mask;
  pthread_sigmask(SIG_BLOCK, &usr2, &old_mask);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_action {};
  sigaction(SIGPIPE, &ignore, &old_action);
  absl::StatusOr<std::unique_ptr<Process>> process =
      Spawn({"sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status"});
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGPIPE, &old_action, nullptr);
  ASSERT_THAT(process.status(), IsOk());
  ASSERT_TRUE(RunUntilExited());
  EXPECT_THAT(events_.out, HasSubstr("SigBlk:\t0000000000000000"));
  // glibc's posix_spawn leaves its two internal signals (32, 33) ignored; SIGPIPE must not be.
  const std::size_t at = events_.out.find("SigIgn:\t");
  ASSERT_NE(at, std::string::npos);
  const uint64_t ignored = std::stoull(events_.out.substr(at + 8, 16), nullptr, 16);
  EXPECT_EQ(ignored & (uint64_t{1} << (SIGPIPE - 1)), 0u) << events_.out;
}

TEST_F(ProcessTest, ChildInheritsNoOtherDescriptors) {
  int leaky[2];
  ASSERT_EQ(pipe(leaky), 0);  // Deliberately without O_CLOEXEC.
  const std::string check = absl::StrCat("test -e /proc/$$/fd/", leaky[0], " && exit 7; exit 0");
  absl::StatusOr<std::unique_ptr<Process>> process = Spawn({"sh", "-c", check});
  close(leaky[0]);
  close(leaky[1]);
  ASSERT_THAT(process.status(), IsOk());
  ASSERT_TRUE(RunUntilExited());
  EXPECT_EQ(events_.exit->code, 0);
}

TEST_F(ProcessTest, LargeOutputIsHeldBackWhilePaused) {
  constexpr std::size_t kTotal = 1024 * 1024;
  absl::StatusOr<std::unique_ptr<Process>> process =
      Spawn({"head", "-c", std::to_string(kTotal), "/dev/zero"});
  ASSERT_THAT(process.status(), IsOk());
  Process& child = **process;
  events_.on_stdout = [&] {
    if (events_.out.size() >= 128 * 1024) {
      child.PauseOutput();
      events_.on_stdout = nullptr;
    }
  };
  ASSERT_TRUE(RunUntil([&] { return events_.on_stdout == nullptr; }));
  const std::size_t received = events_.out.size();
  ASSERT_LT(received, kTotal);
  // The pipe (64 KiB) fills and the child blocks in write(): it cannot finish while paused.
  for (int i = 0; i < 20; ++i) loop_->RunOnce(absl::Milliseconds(5));
  EXPECT_EQ(events_.out.size(), received);
  EXPECT_FALSE(child.exit_status().has_value());
  child.ResumeOutput();
  ASSERT_TRUE(RunUntilExited());
  EXPECT_EQ(events_.out, std::string(kTotal, '\0'));
  EXPECT_EQ(events_.exit->code, 0);
}

TEST_F(ProcessTest, LargeInputRoundTripsThroughCatWithWatermarks) {
  absl::StatusOr<std::unique_ptr<Process>> process = Spawn({"cat"});
  ASSERT_THAT(process.status(), IsOk());
  Transport& in = (*process)->stdin_transport();
  StdinRecorder stdin_events;
  in.SetCallbacks(stdin_events);
  in.SetWatermarks({.low = 16 * 1024, .high = 128 * 1024, .max = 4 * 1024 * 1024});
  std::string sent;
  for (std::size_t i = 0; i < 1024 * 1024; ++i) sent.push_back(static_cast<char>(i * 7 % 251));
  // A well-behaved producer: writes until the buffer is above the high watermark, then waits for
  // OnWriteBufferLow().
  std::size_t offset = 0;
  while (offset < sent.size()) {
    const int lows = stdin_events.lows;
    while (offset < sent.size() && stdin_events.highs == lows) {
      ASSERT_THAT(in.Write(absl::string_view(sent).substr(offset, 32 * 1024)), IsOk());
      offset += 32 * 1024;
    }
    if (offset < sent.size()) {
      ASSERT_TRUE(RunUntil([&] { return stdin_events.lows > lows; }));
    }
  }
  in.Close();
  ASSERT_TRUE(RunUntilExited());
  EXPECT_EQ(events_.out.size(), sent.size());
  EXPECT_TRUE(events_.out == sent);
  EXPECT_GE(stdin_events.highs, 1);
  EXPECT_EQ(in.buffered_bytes(), 0u);
  EXPECT_EQ(stdin_events.closes, 1);
  EXPECT_THAT(stdin_events.reason, IsOk());
  EXPECT_EQ(events_.exit->code, 0);
}

TEST_F(ProcessTest, WritingToChildThatClosedStdinIsUnavailable) {
  absl::StatusOr<std::unique_ptr<Process>> process = Spawn({"true"});
  ASSERT_THAT(process.status(), IsOk());
  ASSERT_TRUE(RunUntilExited());
  // The child is gone, so its stdin has no reader; no SIGPIPE may kill the test.
  EXPECT_THAT((*process)->stdin_transport().Write("late"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(ProcessTest, DestroyingRunningProcessKillsAndReapsIt) {
  absl::StatusOr<std::unique_ptr<Process>> process = Spawn({"sleep", "30"});
  ASSERT_THAT(process.status(), IsOk());
  const pid_t pid = (*process)->pid();
  process->reset();
  // Reaped: no longer our child, so no zombie is left.
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  for (int i = 0; i < 5; ++i) loop_->RunOnce(absl::Milliseconds(1));
  EXPECT_FALSE(events_.exit.has_value());
}

TEST_F(ProcessTest, MayBeDestroyedInsideOnExited) {
  absl::StatusOr<std::unique_ptr<Process>> process = Spawn({"echo", "bye"});
  ASSERT_THAT(process.status(), IsOk());
  std::unique_ptr<Process> owned = *std::move(process);
  events_.on_exited = [&] { owned.reset(); };
  ASSERT_TRUE(RunUntilExited());
  EXPECT_EQ(owned, nullptr);
  EXPECT_EQ(events_.out, "bye\n");
}

TEST_F(ProcessTest, MayBeDestroyedInsideOnStdout) {
  absl::StatusOr<std::unique_ptr<Process>> process = Spawn({"yes"});
  ASSERT_THAT(process.status(), IsOk());
  std::unique_ptr<Process> owned = *std::move(process);
  events_.on_stdout = [&] { owned.reset(); };
  ASSERT_TRUE(RunUntil([&] { return owned == nullptr; }));
  for (int i = 0; i < 5; ++i) loop_->RunOnce(absl::Milliseconds(1));
  EXPECT_FALSE(events_.exit.has_value());
}

}  // namespace
}  // namespace weft::reactor
