// ManualClock: a Clock that moves only when a test tells it to.
//
// Part of //reactor/testing (testonly). FakeEventLoop owns one and advances it from AdvanceBy();
// a test may also hand one to EpollEventLoop::Create(const Clock&) to run the real loop's timers
// deterministically. Wall time and monotonic time always advance together, so Now() -
// MonotonicNow() is constant.
#ifndef WEFT_REACTOR_TESTING_MANUAL_CLOCK_H_
#define WEFT_REACTOR_TESTING_MANUAL_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "reactor/base/clock.h"

namespace weft::reactor {

// Thread-safe: reads and AdvanceBy() may come from any thread.
class ManualClock final : public Clock {
 public:
  // 2026-01-01T00:00:00Z.
  static absl::Time DefaultWallStart();
  // An arbitrary fixed origin for MonotonicNow(), deliberately far from the wall start so tests
  // that mix the two clocks up fail.
  static absl::Time MonotonicOrigin();

  ManualClock() : ManualClock(DefaultWallStart()) {}
  explicit ManualClock(absl::Time wall_start) : wall_start_(wall_start) {}

  // Clock
  absl::Time Now() const override;
  absl::Time MonotonicNow() const override;

  // Moves both clocks forward by `delta`, which must not be negative (a monotonic clock never
  // goes backwards; that would be a bug in the test).
  void AdvanceBy(absl::Duration delta);

  // Time advanced since construction.
  absl::Duration elapsed() const;

 private:
  const absl::Time wall_start_;
  mutable absl::Mutex mutex_;
  absl::Duration elapsed_ ABSL_GUARDED_BY(mutex_) = absl::ZeroDuration();
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TESTING_MANUAL_CLOCK_H_
