// Backoff: the delays between reconnection attempts (ReconnectPolicy in client_options.h).
//
// Part of //clients/cpp (internal). Pure: no loop, no clock; the random source is injected so
// tests are deterministic.
#ifndef WEFT_CLIENTS_CPP_BACKOFF_H_
#define WEFT_CLIENTS_CPP_BACKOFF_H_

#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "clients/cpp/client_options.h"

namespace weft::clients::internal {

class Backoff {
 public:
  // `uniform01` returns a uniform double in [0, 1); by default an absl::BitGen.
  explicit Backoff(const ReconnectPolicy& policy, absl::AnyInvocable<double()> uniform01 = nullptr);

  // The delay before the next attempt, or nullopt once max_attempts were used.
  std::optional<absl::Duration> NextDelay();
  // Restarts the sequence (after a successful connection).
  void Reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  ReconnectPolicy policy_;
  absl::AnyInvocable<double()> uniform01_;
  int attempts_ = 0;
};

}  // namespace weft::clients::internal

#endif  // WEFT_CLIENTS_CPP_BACKOFF_H_
