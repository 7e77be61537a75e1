// Clock: the source of time for timers, deadlines and timestamps.
//
// Part of //reactor/base. Code that needs time takes a Clock& so tests can substitute
// //reactor/testing:manual_clock and never sleep.
#ifndef WEFT_REACTOR_BASE_CLOCK_H_
#define WEFT_REACTOR_BASE_CLOCK_H_

#include "absl/time/time.h"

namespace weft::reactor {

class Clock {
 public:
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  virtual ~Clock() = default;

  // Wall-clock time, for timestamps shown to people and peers (HTTP Date, mail headers).
  // May jump when the system clock is set.
  virtual absl::Time Now() const = 0;

  // Monotonic time, for timers and deadlines. Never goes backwards; its epoch is arbitrary, so
  // only differences between two readings mean anything.
  virtual absl::Time MonotonicNow() const = 0;
};

// The process's real clocks: CLOCK_REALTIME and CLOCK_MONOTONIC. Thread-safe.
class SystemClock final : public Clock {
 public:
  // Clock
  absl::Time Now() const override;
  absl::Time MonotonicNow() const override;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_BASE_CLOCK_H_
