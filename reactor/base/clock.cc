#include "reactor/base/clock.h"

#include <time.h>

namespace weft::reactor {
namespace {

absl::Time Read(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return absl::TimeFromTimespec(ts);
}

}  // namespace

absl::Time SystemClock::Now() const { return Read(CLOCK_REALTIME); }

absl::Time SystemClock::MonotonicNow() const { return Read(CLOCK_MONOTONIC); }

}  // namespace weft::reactor
