#include "clients/cpp/backoff.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::clients::internal {
namespace {

ReconnectPolicy Policy() {
  ReconnectPolicy policy;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.max_backoff = absl::Seconds(1);
  policy.multiplier = 2;
  policy.jitter = 0;
  return policy;
}

TEST(BackoffTest, GrowsGeometricallyUpToTheCap) {
  Backoff backoff(Policy());
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(100));
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(200));
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(400));
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(800));
  EXPECT_EQ(backoff.NextDelay(), absl::Seconds(1));
  EXPECT_EQ(backoff.NextDelay(), absl::Seconds(1));
  backoff.Reset();
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(100));
}

TEST(BackoffTest, JitterScalesWithinBounds) {
  ReconnectPolicy policy = Policy();
  policy.jitter = 0.5;
  double next = 0.0;
  Backoff low(policy, [&] { return next; });
  EXPECT_EQ(low.NextDelay(), absl::Milliseconds(50));
  next = 0.999999;
  EXPECT_NEAR(absl::ToDoubleMilliseconds(*low.NextDelay()), 300, 0.01);
  Backoff random(policy);
  for (int i = 0; i < 100; ++i) {
    absl::Duration d = *random.NextDelay();
    EXPECT_GE(d, absl::Milliseconds(50));
    EXPECT_LE(d, absl::Milliseconds(1500));
  }
}

TEST(BackoffTest, StopsAfterMaxAttempts) {
  ReconnectPolicy policy = Policy();
  policy.max_attempts = 2;
  Backoff backoff(policy);
  EXPECT_TRUE(backoff.NextDelay().has_value());
  EXPECT_TRUE(backoff.NextDelay().has_value());
  EXPECT_FALSE(backoff.NextDelay().has_value());
}

TEST(BackoffTest, NormalizesNonsensePolicies) {
  ReconnectPolicy policy = Policy();
  policy.multiplier = 0.1;
  policy.jitter = 7;
  policy.max_backoff = absl::ZeroDuration();
  Backoff backoff(policy, [] { return 0.5; });
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(100));
}

}  // namespace
}  // namespace weft::clients::internal
