// FakeEventLoop: a deterministic, single-threaded EventLoop on a ManualClock.
//
// Part of //reactor/testing (testonly). Session, gateway and broker tests run on it instead of
// EpollEventLoop: nothing happens until the test calls RunUntilIdle() or AdvanceBy(), and time
// moves only through AdvanceBy(). The event_loop_contract_test runs the same suite against both
// loops, so code tested here behaves the same in production. There is no I/O; pair it with
// InMemoryTransport / TransportPair (in_memory_transport.h).
#ifndef WEFT_REACTOR_TESTING_FAKE_EVENT_LOOP_H_
#define WEFT_REACTOR_TESTING_FAKE_EVENT_LOOP_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "reactor/event_loop.h"
#include "reactor/testing/manual_clock.h"

namespace weft::reactor {

// Work runs in *iterations*, each one modelled on EpollEventLoop::RunOnce() without I/O: due
// timers armed before the iteration began fire in (deadline, arm order) order, then the posted
// tasks queued before that step, then deferred deletions (until none is left). Timer semantics
// match EpollEventLoop: Schedule() re-arms, Cancel() and destroying the handle disarm, and a
// callback may destroy its own timer.
//
// The loop thread is the constructing thread; every method except Post() must be called on it.
class FakeEventLoop final : public EventLoop {
 public:
  // RunUntilIdle() aborts the test after this many iterations without going idle: some work
  // re-creates itself forever (a task that re-posts itself, two timers re-arming each other with
  // zero delay). Real code would spin the CPU there too.
  static constexpr int kMaxIterationsPerRun = 100000;

  FakeEventLoop();
  // Runs pending deferred deletions, disarms the timers that are still armed (their handles may
  // outlive the loop but must not be re-armed) and destroys queued tasks without running them.
  ~FakeEventLoop() override;

  // EventLoop
  void Post(absl::AnyInvocable<void()> task) override;
  std::unique_ptr<Timer> CreateTimer(absl::AnyInvocable<void()> callback) override;
  void DeferredDelete(std::unique_ptr<DeferredDeletable> object) override;
  const Clock& clock() const override { return clock_; }
  bool IsInLoopThread() const override;

  // The clock behind clock(). Advancing it directly moves time without running anything; prefer
  // AdvanceBy().
  ManualClock& manual_clock() { return clock_; }

  // Runs iterations at the current instant, without moving time, until one finds nothing to do:
  // posted tasks (including ones posted meanwhile), due timers (including ones armed meanwhile
  // with a non-positive delay) and deferred deletions. Bounded: a timer re-armed with a
  // non-positive delay from its own callback stays armed and fires at the next RunUntilIdle()
  // (or AdvanceBy() step), never twice in one call; see also kMaxIterationsPerRun. Tasks another
  // thread posts are picked up if they arrive before the loop goes idle. Not re-entrant: do not
  // call from a callback.
  void RunUntilIdle();

  // Runs what is due now (RunUntilIdle()), then moves time forward to each armed timer deadline
  // that is no later than now + `delta` in turn, in (deadline, arm order) order, running
  // RunUntilIdle() at each one, so timers armed by callbacks within the window fire at their own
  // deadlines and clock() reads the deadline inside a callback. Finally moves time to
  // now + `delta` and runs RunUntilIdle() once more. `delta` must be finite and not negative.
  void AdvanceBy(absl::Duration delta);

  // Armed timers, for tests that check nothing was left behind.
  std::size_t armed_timer_count() const { return timers_.size(); }

 private:
  class FakeTimer;

  struct TimerKey {
    absl::Time deadline;
    uint64_t sequence;
    bool operator<(const TimerKey& other) const {
      return deadline < other.deadline || (deadline == other.deadline && sequence < other.sequence);
    }
  };

  // One iteration; returns false when it found nothing to do.
  bool RunIteration();
  bool FireDueTimers();
  bool RunPosted();
  bool RunDeferredDeletes();
  FakeTimer* NextDueTimer(absl::Time now, uint64_t sequence_limit) const;
  std::optional<absl::Time> NextDeadlineAfterNow() const;

  ManualClock clock_;
  const std::thread::id thread_id_;
  bool running_ = false;  // Inside RunUntilIdle().

  std::map<TimerKey, FakeTimer*> timers_;  // Armed timers.
  uint64_t next_sequence_ = 0;
  uint64_t generation_ = 0;      // RunUntilIdle() calls so far.
  FakeTimer* firing_ = nullptr;  // Timer whose callback is running; may dangle, compare only.

  absl::Mutex posted_mutex_;
  std::vector<absl::AnyInvocable<void()>> posted_ ABSL_GUARDED_BY(posted_mutex_);
  std::vector<absl::AnyInvocable<void()>> running_posted_;

  std::vector<std::unique_ptr<DeferredDeletable>> to_delete_;
  std::vector<std::unique_ptr<DeferredDeletable>> deleting_;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TESTING_FAKE_EVENT_LOOP_H_
