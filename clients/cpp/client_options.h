// Options for weft::clients::Client and BlockingClient, and per-call options.
//
// Part of //clients/cpp:client. Plain copyable structs; every field has a working default, so
// `ClientOptions{}` connects with no token, no call timeout and reconnection on.
#ifndef WEFT_CLIENTS_CPP_CLIENT_OPTIONS_H_
#define WEFT_CLIENTS_CPP_CLIENT_OPTIONS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace weft::reactor {
class DnsResolver;
}  // namespace weft::reactor

namespace weft::clients {

// How the client reconnects after an established connection drops (never after Close(), never
// for the first Connect(), whose failure is reported to its caller). The n-th delay (n from 0)
// is min(max_backoff, initial_backoff * multiplier^n), then scaled by a uniform random factor
// in [1 - jitter, 1 + jitter]. The count restarts after each successful handshake.
struct ReconnectPolicy {
  static constexpr int kUnlimited = -1;

  bool enabled = true;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(30);
  double multiplier = 2.0;
  // Fraction in [0, 1].
  double jitter = 0.2;
  // Attempts after a drop before giving up (state kClosed); kUnlimited never gives up.
  int max_attempts = kUnlimited;
};

struct ClientOptions {
  // Sent in Hello (logs, control plane).
  std::string client_name = "weft-cpp";
  // Bearer token sent in Hello; empty when the broker needs none.
  std::string token;
  ReconnectPolicy reconnect;
  // Timeout of calls whose CallOptions / Controller set none. InfiniteDuration(): no timeout.
  absl::Duration default_timeout = absl::InfiniteDuration();
  // Bounds one connection attempt: transport connect plus Hello/Welcome.
  absl::Duration connect_timeout = absl::Seconds(10);
  // When positive, the client sends a Ping this often and drops the connection (then reconnects)
  // when the previous Ping is still unanswered at the next tick. Zero: off (broker Pings are
  // always answered).
  absl::Duration keepalive_interval = absl::ZeroDuration();
  // Largest frame body accepted from the broker; a larger one is a connection error
  // (GoAway RESOURCE_EXHAUSTED is sent, the connection closes, reconnection follows).
  uint32_t max_incoming_frame_bytes = 4 * 1024 * 1024;
  // Resolves host names in the endpoint; nullable borrow that must outlive the client. Null is
  // fine for numeric hosts, "localhost" and unix: endpoints.
  reactor::DnsResolver* resolver = nullptr;
};

// Options of one typed call (Client::Call, BlockingClient::Call).
struct CallOptions {
  // Unset (nullopt-like: negative) uses ClientOptions::default_timeout; InfiniteDuration() for
  // none. Sent as timeout_micros and enforced locally (DEADLINE_EXCEEDED plus a Cancel frame).
  absl::Duration timeout = -absl::InfiniteDuration();
  std::vector<std::pair<std::string, std::string>> metadata;
};

}  // namespace weft::clients

#endif  // WEFT_CLIENTS_CPP_CLIENT_OPTIONS_H_
