#include "reactor/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "reactor/base/check.h"

extern char** environ;

namespace weft::reactor {
namespace {

// glibc 2.36's <sys/pidfd.h> lacks C linkage for C++, so call the kernel directly.
int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }
int PidfdSendSignal(int pidfd, int signo) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, signo, nullptr, 0));
}

// Owns an fd until released.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// The child's end of each stdio pipe and the parent's end.
struct StdioPipe {
  UniqueFd child;
  UniqueFd parent;
};

absl::Status ErrnoToStatus(int error, absl::string_view what) {
  std::string message = absl::StrCat("process: ", what, ": ", strerror(error));
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EAGAIN:
    case ENOMEM:
    case EMFILE:
    case ENFILE:
    case E2BIG:
      return absl::ResourceExhaustedError(message);
    case ENOEXEC:
    case EINVAL:
      return absl::InvalidArgumentError(message);
    case ENOSYS:
      return absl::UnimplementedError(message);
    default:
      return absl::InternalError(message);
  }
}

// Moves `fd` above 2 so that installing the child's stdio with dup2() cannot clobber it.
absl::Status RaiseAboveStdio(UniqueFd& fd) {
  if (fd.get() > 2) return absl::OkStatus();
  const int raised = fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (raised < 0) return ErrnoToStatus(errno, "fcntl");
  fd.reset(raised);
  return absl::OkStatus();
}

// A pipe whose ends are both close-on-exec; the child's end is installed with dup2(), which
// clears the flag on the copy only. `child_reads` says which end the child gets.
absl::Status MakeStdioPipe(bool child_reads, StdioPipe& pipe) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe2");
  pipe.child.reset(child_reads ? fds[0] : fds[1]);
  pipe.parent.reset(child_reads ? fds[1] : fds[0]);
  if (absl::Status s = RaiseAboveStdio(pipe.child); !s.ok()) return s;
  return RaiseAboveStdio(pipe.parent);
}

// NUL-terminated pointers into `strings`, which must outlive the result.
absl::StatusOr<std::vector<char*>> ToCStrings(const std::vector<std::string>& strings,
                                              absl::string_view what) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& s : strings) {
    if (s.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("process: ", what, " contains NUL"));
    }
    pointers.push_back(const_cast<char*>(s.c_str()));
  }
  pointers.push_back(nullptr);
  return pointers;
}

// Explains a failed spawn, naming the working directory when that is what is missing.
absl::Status SpawnError(int error, const ProcessOptions& options) {
  if (options.working_dir.has_value() && (error == ENOENT || error == ENOTDIR || error == EACCES)) {
    struct stat info;
    if (stat(options.working_dir->c_str(), &info) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("working directory ", *options.working_dir));
    }
    if (!S_ISDIR(info.st_mode)) {
      return ErrnoToStatus(ENOTDIR, absl::StrCat("working directory ", *options.working_dir));
    }
  }
  return ErrnoToStatus(error, options.argv[0]);
}

// posix_spawn with stdio on the pipes, every other fd closed, an empty signal mask (the parent
// blocks signals for SignalWatcher) and default dispositions (the parent may ignore SIGPIPE).
int Spawn(const ProcessOptions& options, StdioPipe (&stdio)[3], char* const* argv,
          char* const* envp, pid_t& pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int i = 0; i < 3; ++i) posix_spawn_file_actions_adddup2(&actions, stdio[i].child.get(), i);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (options.working_dir.has_value()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.working_dir->c_str());
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const bool has_slash = options.argv[0].find('/') != std::string::npos;
  const int error = has_slash ? posix_spawn(&pid, argv[0], &actions, &attr, argv, envp)
                              : posix_spawnp(&pid, argv[0], &actions, &attr, argv, envp);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return error;
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (code.has_value()) return absl::StrCat("exit code ", *code);
  if (signal.has_value()) {
    const char* name = sigabbrev_np(*signal);
    return absl::StrCat("killed by signal ", *signal, name != nullptr ? " (SIG" : "",
                        name != nullptr ? name : "", name != nullptr ? ")" : "");
  }
  return "unknown exit status";
}

absl::StatusOr<std::unique_ptr<Process>> SpawnProcess(EpollEventLoop& loop,
                                                      const ProcessOptions& options,
                                                      ProcessCallbacks& callbacks) {
  WEFT_DCHECK(loop.IsInLoopThread());
  if (options.argv.empty() || options.argv[0].empty()) {
    return absl::InvalidArgumentError("process: empty argv");
  }
  absl::StatusOr<std::vector<char*>> argv = ToCStrings(options.argv, "argv");
  if (!argv.ok()) return argv.status();
  std::vector<char*> env;
  if (options.env.has_value()) {
    absl::StatusOr<std::vector<char*>> pointers = ToCStrings(*options.env, "env");
    if (!pointers.ok()) return pointers.status();
    env = *std::move(pointers);
  }
  if (options.working_dir.has_value() && options.working_dir->find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("process: working_dir contains NUL");
  }
  StdioPipe stdio[3];
  for (int i = 0; i < 3; ++i) {
    if (absl::Status s = MakeStdioPipe(/*child_reads=*/i == 0, stdio[i]); !s.ok()) return s;
  }
  pid_t pid = 0;
  const int error =
      Spawn(options, stdio, argv->data(), options.env.has_value() ? env.data() : environ, pid);
  if (error != 0) return SpawnError(error, options);
  for (StdioPipe& pipe : stdio) pipe.child.reset(-1);
  const int pidfd = PidfdOpen(pid);
  if (pidfd < 0) {
    const int pidfd_error = errno;
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return ErrnoToStatus(pidfd_error, "pidfd_open");
  }
  std::unique_ptr<Process> process(new Process(loop, callbacks, pid, pidfd,
                                               stdio[0].parent.release(), stdio[1].parent.release(),
                                               stdio[2].parent.release()));
  if (absl::Status s = process->Start(); !s.ok()) return s;  // The destructor kills and reaps.
  return process;
}

Process::Process(EpollEventLoop& loop, ProcessCallbacks& callbacks, pid_t pid, int pidfd,
                 int stdin_fd, int stdout_fd, int stderr_fd)
    : loop_(loop),
      callbacks_(callbacks),
      pid_(pid),
      pidfd_(pidfd),
      stdin_(std::make_unique<PipeTransport>(loop, stdin_fd, PipeEnd::kWrite,
                                             absl::StrCat("process ", pid, " stdin"))),
      stdout_(std::make_unique<PipeTransport>(loop, stdout_fd, PipeEnd::kRead,
                                              absl::StrCat("process ", pid, " stdout"))),
      stderr_(std::make_unique<PipeTransport>(loop, stderr_fd, PipeEnd::kRead,
                                              absl::StrCat("process ", pid, " stderr"))) {}

absl::Status Process::Start() {
  if (absl::Status s = loop_.AddFd(pidfd_, EPOLLIN, *this); !s.ok()) {
    return absl::InternalError(absl::StrCat("process: ", s.message()));
  }
  pidfd_registered_ = true;
  stdout_->SetCallbacks(stdout_sink_);
  stderr_->SetCallbacks(stderr_sink_);
  return absl::OkStatus();
}

Process::~Process() {
  if (pidfd_ >= 0) {
    PidfdSendSignal(pidfd_, SIGKILL);
    Reap(/*block=*/true);
  }
}

void Process::PauseOutput() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  stdout_->PauseReading();
  stderr_->PauseReading();
}

void Process::ResumeOutput() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  stdout_->ResumeReading();
  stderr_->ResumeReading();
}

absl::Status Process::Kill(int signo) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (pidfd_ < 0) return absl::FailedPreconditionError("process: already exited");
  if (PidfdSendSignal(pidfd_, signo) == 0) return absl::OkStatus();
  if (errno == ESRCH) return absl::FailedPreconditionError("process: already exited");
  return ErrnoToStatus(errno, absl::StrCat("kill ", pid_));
}

void Process::OnFdEvents(uint32_t) {
  Reap(/*block=*/false);
  if (pidfd_ < 0) MaybeFinish();
}

void Process::Reap(bool block) {
  siginfo_t info{};
  int result;
  do {
    result = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_), &info,
                    WEXITED | (block ? 0 : WNOHANG));
  } while (result < 0 && errno == EINTR);
  if (result == 0 && info.si_pid == 0) return;  // Not exited yet (spurious wake-up).
  ExitStatus status;
  if (result == 0 && info.si_code == CLD_EXITED) {
    status.code = info.si_status;
  } else if (result == 0 && (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED)) {
    status.signal = info.si_status;
  }
  // Otherwise (ECHILD) someone else reaped the child and its status is lost.
  exit_status_ = status;
  if (pidfd_registered_) loop_.RemoveFd(pidfd_, *this);
  pidfd_registered_ = false;
  close(pidfd_);
  pidfd_ = -1;
}

void Process::MaybeFinish() {
  if (finished_ || !exit_status_.has_value() || !stdout_done_ || !stderr_done_) return;
  finished_ = true;
  loop_.Schedule(*this);
}

void Process::RunDeferredCall() {
  callbacks_.OnExited(*exit_status_);  // May destroy `this`.
}

void Process::OutputSink::OnData(absl::string_view bytes) {
  if (is_stderr_) {
    process_.callbacks_.OnStderr(bytes);  // May destroy the process.
  } else {
    process_.callbacks_.OnStdout(bytes);  // May destroy the process.
  }
}

void Process::OutputSink::OnClosed(absl::Status) {
  // A read error ends the stream as surely as end of file does; the exit status tells the rest.
  (is_stderr_ ? process_.stderr_done_ : process_.stdout_done_) = true;
  process_.MaybeFinish();
}

}  // namespace weft::reactor
