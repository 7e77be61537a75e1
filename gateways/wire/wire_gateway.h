// WireGateway: the native wire protocol's listener on one loop, making a WireSession per
// connection.
//
// Part of //gateways/wire. weftd makes one per loop, all bound to the same port with
// SO_REUSEPORT, each feeding the BrokerShard of its loop. Loop thread only (Listen() may also run
// before the loop starts).
#ifndef WEFT_GATEWAYS_WIRE_WIRE_GATEWAY_H_
#define WEFT_GATEWAYS_WIRE_WIRE_GATEWAY_H_

#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "broker/broker_shard.h"
#include "gateways/wire/wire_session.h"
#include "reactor/endpoint.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/protocol.h"
#include "reactor/resumable_listener.h"

namespace weft::gateways::wire {

class WireGateway final : public reactor::Factory {
 public:
  // `loop`, `shard` and `options` outlive the gateway.
  WireGateway(reactor::EpollEventLoop& loop, broker::BrokerShard& shard,
              const WireSessionOptions& options);
  ~WireGateway() override;

  // Binds `endpoint` (see reactor::ListenEndpoint for the errors).
  absl::Status Listen(const reactor::ServerEndpoint& endpoint);
  // The bound port; 0 when not listening.
  int port() const { return listener_.port(); }
  // Closes the listener and drains every session (WireSession::Drain()).
  void Drain();
  // Listens again, after Drain(), on the endpoint of the last Listen() with the port it bound
  // (the control plane's EnableGateway). OK when listening already; kFailedPrecondition before
  // any Listen(); else ListenEndpoint's errors (the port taken meanwhile: kUnavailable).
  absl::Status Resume() { return listener_.Resume(); }
  bool listening() const { return listener_.listening(); }
  std::size_t session_count() const { return sessions_.size(); }

  // reactor::Factory
  std::unique_ptr<reactor::Protocol> BuildProtocol(absl::string_view peer_address) override;

 private:
  reactor::EpollEventLoop& loop_;
  broker::BrokerShard& shard_;
  const WireSessionOptions& options_;
  WireSessionSet sessions_;
  reactor::ProtocolServer server_;
  reactor::ResumableListener listener_;
};

}  // namespace weft::gateways::wire

#endif  // WEFT_GATEWAYS_WIRE_WIRE_GATEWAY_H_
