// GatewayControl: how the control plane drains and re-enables weftd's gateways (DrainGateway,
// EnableGateway in docs/control.md).
//
// Part of //broker/control. weftd owns the gateways (one per event loop and protocol) and
// implements this interface over them; the control service only names a gateway ("wire",
// "http") and waits for the answer. Methods may be called from any thread; `done` runs exactly
// once, on whichever event loop finished last (or is destroyed unrun when the loops stopped
// first).
#ifndef WEFT_BROKER_CONTROL_GATEWAY_CONTROL_H_
#define WEFT_BROKER_CONTROL_GATEWAY_CONTROL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::broker::control {

class GatewayControl {
 public:
  GatewayControl() = default;
  GatewayControl(const GatewayControl&) = delete;
  GatewayControl& operator=(const GatewayControl&) = delete;
  virtual ~GatewayControl() = default;

  // The gateways that can be drained, by name ("wire", "http").
  virtual std::vector<std::string> names() const = 0;
  // Closes `gateway`'s listeners on every loop (new connections are refused) and drains its
  // sessions: they answer what they received, then close. `done` gets the sessions still open
  // when every loop had drained (they finish on their own). Draining a drained gateway is fine.
  // kNotFound when weftd serves no such gateway.
  virtual void Drain(absl::string_view gateway,
                     absl::AnyInvocable<void(absl::StatusOr<int64_t>)> done) = 0;
  // Listens again on the endpoint (and port) `gateway` had, on every loop; OK when it listens
  // already. kNotFound for an unknown gateway; kUnavailable when the port cannot be bound again;
  // kCancelled once weftd is shutting down.
  virtual void Enable(absl::string_view gateway, absl::AnyInvocable<void(absl::Status)> done) = 0;
};

}  // namespace weft::broker::control

#endif  // WEFT_BROKER_CONTROL_GATEWAY_CONTROL_H_
