#include "reactor/testing/manual_clock.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace weft::reactor {
namespace {

TEST(ManualClockTest, StartsAtAFixedWallTimeAndMonotonicOrigin) {
  ManualClock clock;
  EXPECT_EQ(clock.Now(),
            absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(clock.MonotonicNow(), ManualClock::MonotonicOrigin());
  EXPECT_NE(clock.Now(), clock.MonotonicNow());
  EXPECT_EQ(clock.elapsed(), absl::ZeroDuration());
}

TEST(ManualClockTest, StandsStillUntilAdvanced) {
  ManualClock clock;
  const absl::Time wall = clock.Now();
  const absl::Time mono = clock.MonotonicNow();
  EXPECT_EQ(clock.Now(), wall);
  EXPECT_EQ(clock.MonotonicNow(), mono);
}

TEST(ManualClockTest, AdvanceByMovesBothClocksTogether) {
  ManualClock clock;
  const absl::Time wall = clock.Now();
  const absl::Time mono = clock.MonotonicNow();
  clock.AdvanceBy(absl::Seconds(90));
  clock.AdvanceBy(absl::Milliseconds(5));
  clock.AdvanceBy(absl::ZeroDuration());
  EXPECT_EQ(clock.Now() - wall, absl::Milliseconds(90005));
  EXPECT_EQ(clock.MonotonicNow() - mono, absl::Milliseconds(90005));
  EXPECT_EQ(clock.elapsed(), absl::Milliseconds(90005));
}

TEST(ManualClockTest, CustomWallStart) {
  const absl::Time start = absl::FromUnixSeconds(1234567890);
  ManualClock clock(start);
  EXPECT_EQ(clock.Now(), start);
  EXPECT_EQ(clock.MonotonicNow(), ManualClock::MonotonicOrigin());
}

TEST(ManualClockDeathTest, GoingBackwardsIsABug) {
  ManualClock clock;
  EXPECT_DEATH(clock.AdvanceBy(absl::Seconds(-1)), "check failed");
}

}  // namespace
}  // namespace weft::reactor
