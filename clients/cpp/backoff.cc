#include "clients/cpp/backoff.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/random/random.h"

namespace weft::clients::internal {

Backoff::Backoff(const ReconnectPolicy& policy, absl::AnyInvocable<double()> uniform01)
    : policy_(policy), uniform01_(std::move(uniform01)) {
  if (uniform01_ == nullptr) {
    uniform01_ = [gen = absl::BitGen()]() mutable { return absl::Uniform<double>(gen, 0.0, 1.0); };
  }
  policy_.multiplier = std::max(1.0, policy_.multiplier);
  policy_.jitter = std::clamp(policy_.jitter, 0.0, 1.0);
  policy_.initial_backoff = std::max(policy_.initial_backoff, absl::ZeroDuration());
  policy_.max_backoff = std::max(policy_.max_backoff, policy_.initial_backoff);
}

std::optional<absl::Duration> Backoff::NextDelay() {
  if (policy_.max_attempts != ReconnectPolicy::kUnlimited && attempts_ >= policy_.max_attempts) {
    return std::nullopt;
  }
  const double factor = std::pow(policy_.multiplier, std::min(attempts_, 1000));
  ++attempts_;
  double seconds = absl::ToDoubleSeconds(policy_.initial_backoff) * factor;
  seconds = std::min(seconds, absl::ToDoubleSeconds(policy_.max_backoff));
  const double scale = 1.0 - policy_.jitter + 2.0 * policy_.jitter * uniform01_();
  return absl::Seconds(std::max(0.0, seconds * scale));
}

}  // namespace weft::clients::internal
