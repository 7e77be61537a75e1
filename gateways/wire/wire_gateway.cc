#include "gateways/wire/wire_gateway.h"

#include <utility>

namespace weft::gateways::wire {

WireGateway::WireGateway(reactor::EpollEventLoop& loop, broker::BrokerShard& shard,
                         const WireSessionOptions& options)
    : loop_(loop),
      shard_(shard),
      options_(options),
      server_(loop, *this),
      listener_(loop, server_) {}

WireGateway::~WireGateway() = default;

absl::Status WireGateway::Listen(const reactor::ServerEndpoint& endpoint) {
  return listener_.Listen(endpoint);
}

void WireGateway::Drain() {
  listener_.Stop();
  sessions_.DrainAll();
}

std::unique_ptr<reactor::Protocol> WireGateway::BuildProtocol(absl::string_view peer_address) {
  (void)peer_address;
  return std::make_unique<WireSession>(loop_, shard_, options_, &sessions_);
}

}  // namespace weft::gateways::wire
