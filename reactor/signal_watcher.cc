#include "reactor/signal_watcher.h"

#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "reactor/base/check.h"

namespace weft::reactor {
namespace {

// Fills `set` with `signals`, refusing the ones no mask or signalfd can hold.
absl::Status MakeSet(absl::Span<const int> signals, sigset_t& set) {
  sigemptyset(&set);
  if (signals.empty()) return absl::InvalidArgumentError("signal: empty signal set");
  for (int signo : signals) {
    if (signo == SIGKILL || signo == SIGSTOP || sigaddset(&set, signo) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("signal: cannot watch signal ", signo));
    }
  }
  return absl::OkStatus();
}

// "SIGTERM", or "signal 34" for numbers without a name.
std::string SignalName(int signo) {
  const char* name = sigabbrev_np(signo);
  return name != nullptr ? absl::StrCat("SIG", name) : absl::StrCat("signal ", signo);
}

}  // namespace

absl::Status BlockSignals(absl::Span<const int> signals) {
  sigset_t set;
  if (absl::Status s = MakeSet(signals, set); !s.ok()) return s;
  if (const int error = pthread_sigmask(SIG_BLOCK, &set, nullptr); error != 0) {
    return absl::InternalError(absl::StrCat("signal: pthread_sigmask: ", strerror(error)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SignalWatcher>> SignalWatcher::Create(
    EpollEventLoop& loop, absl::Span<const int> signals,
    absl::AnyInvocable<void(int signo)> callback) {
  WEFT_DCHECK(loop.IsInLoopThread());
  sigset_t set;
  if (absl::Status s = MakeSet(signals, set); !s.ok()) return s;
  sigset_t blocked;
  pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
  for (int signo : signals) {
    if (sigismember(&blocked, signo) != 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "signal: ", SignalName(signo), " is not blocked; call BlockSignals() first"));
    }
  }
  const int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("signal: signalfd: ", strerror(errno)));
  std::unique_ptr<SignalWatcher> watcher(new SignalWatcher(loop, fd, std::move(callback)));
  if (absl::Status s = loop.AddFd(fd, EPOLLIN, *watcher); !s.ok()) {
    return absl::InternalError(absl::StrCat("signal: ", s.message()));
  }
  watcher->registered_ = true;
  return watcher;
}

SignalWatcher::SignalWatcher(EpollEventLoop& loop, int fd,
                             absl::AnyInvocable<void(int signo)> callback)
    : loop_(loop), fd_(fd), callback_(std::move(callback)) {}

SignalWatcher::~SignalWatcher() {
  if (registered_) loop_.RemoveFd(fd_, *this);
  close(fd_);
}

void SignalWatcher::OnFdEvents(uint32_t) {
  // One signal per wake-up: readiness is level-triggered, so the next one comes next iteration,
  // and nothing touches `this` after the callback, which may destroy it.
  signalfd_siginfo info;
  const ssize_t n = read(fd_, &info, sizeof(info));
  if (n != static_cast<ssize_t>(sizeof(info))) return;  // EAGAIN: another reader took it.
  callback_(static_cast<int>(info.ssi_signo));
}

}  // namespace weft::reactor
