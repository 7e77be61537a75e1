#include "reactor/testing/manual_clock.h"

#include "reactor/base/check.h"

namespace weft::reactor {

absl::Time ManualClock::DefaultWallStart() {
  return absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0), absl::UTCTimeZone());
}

absl::Time ManualClock::MonotonicOrigin() { return absl::UnixEpoch() + absl::Hours(1000); }

absl::Time ManualClock::Now() const { return wall_start_ + elapsed(); }

absl::Time ManualClock::MonotonicNow() const { return MonotonicOrigin() + elapsed(); }

void ManualClock::AdvanceBy(absl::Duration delta) {
  WEFT_CHECK(delta >= absl::ZeroDuration());
  absl::MutexLock lock(&mutex_);
  elapsed_ += delta;
}

absl::Duration ManualClock::elapsed() const {
  absl::MutexLock lock(&mutex_);
  return elapsed_;
}

}  // namespace weft::reactor
