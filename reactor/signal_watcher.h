// SignalWatcher: delivers POSIX signals as ordinary loop callbacks, through a signalfd.
//
// Part of //reactor, on EpollEventLoop. A signal reaches a signalfd only while it is blocked, and
// a signal the kernel sends to the process goes to any thread that has it unblocked. So the
// watched signals must be blocked in EVERY thread: call BlockSignals() in main() before starting
// any thread (threads inherit the mask), then create the watcher on one loop. Child processes
// from SpawnProcess() start with an empty mask regardless.
//
//   int main() {
//     if (!weft::reactor::BlockSignals({SIGTERM, SIGINT, SIGHUP}).ok()) return 1;
//     ... start loops ...
//     auto watcher = SignalWatcher::Create(loop, {SIGTERM, SIGINT}, [&](int) { Shutdown(); });
//   }
#ifndef WEFT_REACTOR_SIGNAL_WATCHER_H_
#define WEFT_REACTOR_SIGNAL_WATCHER_H_

#include <cstdint>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "reactor/epoll_event_loop.h"

namespace weft::reactor {

// Adds `signals` to the calling thread's signal mask. kInvalidArgument for a number that is not
// a signal, or for SIGKILL/SIGSTOP, which cannot be blocked.
absl::Status BlockSignals(absl::Span<const int> signals);

// Watches a set of signals until destroyed. Loop thread only.
class SignalWatcher final : private FdHandler {
 public:
  // Starts watching `signals` on `loop`; `callback` runs on the loop thread once per delivered
  // signal, with its number. Like any standard signal, several deliveries of one signal before
  // the loop reads them coalesce into one callback. The callback may destroy the watcher.
  // Two watchers of the same signal compete for it; keep one per signal.
  //
  // kFailedPrecondition when a signal is not blocked in the calling thread (see BlockSignals());
  // kInvalidArgument for an empty set, a bad number, SIGKILL or SIGSTOP; kInternal when the
  // kernel refuses the signalfd.
  static absl::StatusOr<std::unique_ptr<SignalWatcher>> Create(
      EpollEventLoop& loop, absl::Span<const int> signals,
      absl::AnyInvocable<void(int signo)> callback);

  // Stops watching. The signals stay blocked, so later ones stay pending.
  ~SignalWatcher() override;

 private:
  SignalWatcher(EpollEventLoop& loop, int fd, absl::AnyInvocable<void(int signo)> callback);

  // FdHandler
  void OnFdEvents(uint32_t events) override;

  EpollEventLoop& loop_;
  const int fd_;
  bool registered_ = false;
  absl::AnyInvocable<void(int signo)> callback_;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_SIGNAL_WATCHER_H_
