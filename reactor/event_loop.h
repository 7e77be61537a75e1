// EventLoop: the reactor interface every loop-bound object is written against.
//
// Part of //reactor. The production implementation is EpollEventLoop (epoll_event_loop.h); tests
// use FakeEventLoop (//reactor/testing:fake_event_loop), which runs the same contract on a
// ManualClock. The broker and gateways depend on this interface, never on epoll.
#ifndef WEFT_REACTOR_EVENT_LOOP_H_
#define WEFT_REACTOR_EVENT_LOOP_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "reactor/base/clock.h"

namespace weft::reactor {

// A one-shot timer owned by its creator. Destroying the handle cancels it. Loop thread only.
class Timer {
 public:
  Timer() = default;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  virtual ~Timer() = default;

  // Arms (or re-arms) the timer to fire once, `delay` from now on the loop's monotonic clock.
  // A non-positive delay fires on the next loop iteration. Timers due at the same instant fire in
  // the order they were armed.
  virtual void Schedule(absl::Duration delay) = 0;

  // Disarms the timer; its callback will not run until Schedule() is called again.
  virtual void Cancel() = 0;

  virtual bool armed() const = 0;
};

// Base for objects handed to EventLoop::DeferredDelete().
class DeferredDeletable {
 public:
  DeferredDeletable() = default;
  DeferredDeletable(const DeferredDeletable&) = delete;
  DeferredDeletable& operator=(const DeferredDeletable&) = delete;
  virtual ~DeferredDeletable() = default;
};

class EventLoop {
 public:
  EventLoop() = default;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  virtual ~EventLoop() = default;

  // Queues `task` to run on the loop thread after the current callback returns. Thread-safe: the
  // only EventLoop method another thread may call. Tasks posted from one thread run in order.
  // Tasks still queued when the loop is destroyed are destroyed without running.
  virtual void Post(absl::AnyInvocable<void()> task) = 0;

  // Creates a disarmed timer whose callback runs on the loop thread each time it fires. The
  // callback may destroy the timer. Loop thread only.
  virtual std::unique_ptr<Timer> CreateTimer(absl::AnyInvocable<void()> callback) = 0;

  // Destroys `object` after the current callback returns, so an object may be released from
  // inside its own callback. Loop thread only.
  virtual void DeferredDelete(std::unique_ptr<DeferredDeletable> object) = 0;

  // The clock that drives this loop's timers.
  virtual const Clock& clock() const = 0;

  // True when called from the thread running this loop.
  virtual bool IsInLoopThread() const = 0;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_EVENT_LOOP_H_
