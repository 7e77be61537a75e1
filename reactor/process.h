// Child processes on the reactor: SpawnProcess() starts a program with its stdin, stdout and
// stderr on pipes, and reports output and exit through ProcessCallbacks, in the manner of
// Twisted's ProcessProtocol.
//
// Part of //reactor, on EpollEventLoop. The child is started with posix_spawn (argv goes straight
// to execve, never through a shell), with a clean signal mask and default dispositions, and with
// every fd above 2 closed. Its exit is watched through a pidfd registered with the loop, so no
// SIGCHLD handler is involved; the process must not set SIGCHLD to SIG_IGN (the kernel would
// reap children itself and their status would be lost).
#ifndef WEFT_REACTOR_PROCESS_H_
#define WEFT_REACTOR_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/pipe_transport.h"
#include "reactor/transport.h"

namespace weft::reactor {

struct ProcessOptions {
  // argv[0] is the program: a path when it contains '/', otherwise looked up in the parent's
  // PATH. Must not be empty.
  std::vector<std::string> argv;
  // The child's whole environment as "NAME=value" entries; unset inherits the parent's.
  std::optional<std::vector<std::string>> env;
  // The child's working directory; unset inherits the parent's.
  std::optional<std::string> working_dir;
};

// How a child ended. At most one field is set; both are empty only when something else in the
// process reaped the child first, so its status is unknown.
struct ExitStatus {
  std::optional<int> code;    // The child called exit(code).
  std::optional<int> signal;  // The child was killed by this signal.

  bool success() const { return code == 0; }
  // "exit code 3", "killed by signal 9 (SIGKILL)" or "unknown exit status".
  std::string ToString() const;
};

// Events from one child. All run on the loop thread, from the loop: never from inside a Process
// method. The Process may be destroyed inside any of them.
class ProcessCallbacks {
 public:
  ProcessCallbacks() = default;
  ProcessCallbacks(const ProcessCallbacks&) = delete;
  ProcessCallbacks& operator=(const ProcessCallbacks&) = delete;
  virtual ~ProcessCallbacks() = default;

  // The child wrote to stdout or stderr. `bytes` is valid only during the call.
  virtual void OnStdout(absl::string_view bytes) = 0;
  virtual void OnStderr(absl::string_view bytes) = 0;

  // Fires exactly once, last: after the child has exited and been reaped AND its stdout and
  // stderr have reached end of file, so every byte of output comes before it. A grandchild that
  // keeps the pipes open delays it; exit_status() is set as soon as the child itself is reaped.
  virtual void OnExited(ExitStatus status) = 0;
};

// A running (or finished) child, made by SpawnProcess(). Loop thread only.
//
// Destroying a Process whose child has not been reaped sends it SIGKILL and reaps it, blocking
// the loop until the kernel has torn it down (normally well under a millisecond; a child stuck in
// uninterruptible sleep delays it). No zombie and no fd outlives the Process, and OnExited() is
// not called.
class Process final : private FdHandler, private DeferredCall {
 public:
  ~Process() override;

  // The child's stdin. Write() to feed it; Close() to send end of file (after flushing). Its
  // watermarks and OnWriteBufferHigh()/Low() work as on any Transport: call SetCallbacks() to
  // receive them, and OnClosed() (kUnavailable when the child closed its stdin first). Valid as
  // long as the Process.
  Transport& stdin_transport() { return *stdin_; }

  // Stops and restarts reading stdout and stderr. While paused the pipes fill up, and a child
  // that keeps writing blocks: backpressure.
  void PauseOutput();
  void ResumeOutput();

  // Sends `signo` through the pidfd, so it can never reach a recycled pid; 0 only probes.
  // kFailedPrecondition once the child has been reaped; kInvalidArgument for a bad signal number;
  // kPermissionDenied when the kernel refuses.
  absl::Status Kill(int signo);

  pid_t pid() const { return pid_; }

  // Set once the child has been reaped, which may be before OnExited() (that also waits for the
  // output pipes to reach end of file).
  const std::optional<ExitStatus>& exit_status() const { return exit_status_; }

 private:
  friend absl::StatusOr<std::unique_ptr<Process>> SpawnProcess(EpollEventLoop&,
                                                               const ProcessOptions&,
                                                               ProcessCallbacks&);

  // Forwards one output pipe's events to ProcessCallbacks.
  class OutputSink final : public TransportCallbacks {
   public:
    OutputSink(Process& process, bool is_stderr) : process_(process), is_stderr_(is_stderr) {}
    // TransportCallbacks
    void OnData(absl::string_view bytes) override;
    void OnReadEof() override {}
    void OnWriteBufferHigh() override {}
    void OnWriteBufferLow() override {}
    void OnClosed(absl::Status reason) override;

   private:
    Process& process_;
    const bool is_stderr_;
  };

  Process(EpollEventLoop& loop, ProcessCallbacks& callbacks, pid_t pid, int pidfd, int stdin_fd,
          int stdout_fd, int stderr_fd);
  absl::Status Start();

  // FdHandler (the pidfd turns readable when the child exits)
  void OnFdEvents(uint32_t events) override;
  // DeferredCall (delivers OnExited())
  void RunDeferredCall() override;

  void Reap(bool block);
  void MaybeFinish();

  EpollEventLoop& loop_;
  ProcessCallbacks& callbacks_;
  const pid_t pid_;
  int pidfd_;  // -1 once the child is reaped.
  bool pidfd_registered_ = false;
  OutputSink stdout_sink_{*this, false};
  OutputSink stderr_sink_{*this, true};
  std::unique_ptr<PipeTransport> stdin_;
  std::unique_ptr<PipeTransport> stdout_;
  std::unique_ptr<PipeTransport> stderr_;
  bool stdout_done_ = false;
  bool stderr_done_ = false;
  bool finished_ = false;  // OnExited() scheduled or delivered.
  std::optional<ExitStatus> exit_status_;
};

// Starts `options.argv` as a child of this process. `callbacks` must outlive the Process.
// Errors: kInvalidArgument for an empty argv or a string containing NUL; kNotFound when the
// program or the working directory does not exist; kPermissionDenied when either is not
// accessible or executable; kResourceExhausted when out of processes, memory or fds; kUnimplemented
// when the kernel lacks pidfds; kInternal for other failures. On error no child is left behind.
absl::StatusOr<std::unique_ptr<Process>> SpawnProcess(EpollEventLoop& loop,
                                                      const ProcessOptions& options,
                                                      ProcessCallbacks& callbacks);

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_PROCESS_H_
