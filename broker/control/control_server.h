// StartControlServer: the gRPC server weftd runs for the control plane (docs/control.md):
// weft.control.v1.Control, the standard health service (grpc.health.v1.Health) and server
// reflection, on the config's listeners.control endpoint.
//
// Part of //broker/control. The endpoint binds loopback unless the config names another
// interface; a tls: endpoint (or a tcp: one with `tls` settings) serves TLS from the config's
// certificate and key, requiring client certificates when client_ca_file is set. When the
// config's auth.require_auth is true, every control call needs one of the config's bearer
// tokens, unless the listener requires client certificates: a caller that passed that handshake
// is authenticated already (config.proto's TlsSettings.client_ca_file). gRPC's own threads run the
// handlers, which reach the broker only through its home loop (control_service.h).
#ifndef WEFT_BROKER_CONTROL_CONTROL_SERVER_H_
#define WEFT_BROKER_CONTROL_CONTROL_SERVER_H_

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/broker.h"
#include "broker/control/config_reloader.h"
#include "broker/control/control_service.h"
#include "broker/control/gateway_control.h"
#include "grpcpp/grpcpp.h"
#include "reactor/event_loop.h"
#include "weft/config/v1/config.pb.h"

namespace weft::broker::control {

// The running server. Destroying it stops it: pending calls get UNAVAILABLE and the server
// shuts down (it may block briefly for gRPC's threads; never call it on a loop thread that a
// pending call waits on, i.e. destroy it after the loops stopped or from a thread of its own).
class ControlServer {
 public:
  ControlServer(std::unique_ptr<ControlService> service, std::unique_ptr<grpc::Server> server,
                std::string endpoint)
      : service_(std::move(service)), server_(std::move(server)), endpoint_(std::move(endpoint)) {}
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  ~ControlServer();

  // Stops accepting calls and lets those in progress finish, without blocking the caller (the
  // shutdown runs on a thread of its own). For weftd's drain, on the home loop. Idempotent.
  void Shutdown();
  // The bound endpoint, e.g. "tcp:7701:interface=127.0.0.1".
  const std::string& endpoint() const { return endpoint_; }

 private:
  std::unique_ptr<ControlService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string endpoint_;
  std::thread shutdown_;
};

// A port another gateway is bound to, for GetStatus: its listener's name in the config
// ("wire") and the port (0: not listening, left out).
struct BoundListener {
  std::string gateway;
  int port = 0;
};

// Starts the control server as `config` (resolved and validated) says, and prints
// `weftd: control listening on <endpoint>` (the real port when the config asks for port 0).
// Returns null when listeners.control is disabled. `tokens` are the config's bearer tokens
// (LoadAuthTokens); `reloader` serves ReloadConfig and `gateways` (nullable) DrainGateway and
// EnableGateway. `broker`, `home` (its loop 0), `reloader` and `gateways` outlive the server.
// kUnavailable when the endpoint cannot be bound; kInvalidArgument when a TLS file cannot be
// read.
absl::StatusOr<std::unique_ptr<ControlServer>> StartControlServer(
    const config::v1::BrokerConfig& config, const std::vector<std::string>& tokens, Broker& broker,
    reactor::EventLoop& home, std::vector<BoundListener> bound, ConfigReloader& reloader,
    GatewayControl* gateways);

}  // namespace weft::broker::control

#endif  // WEFT_BROKER_CONTROL_CONTROL_SERVER_H_
