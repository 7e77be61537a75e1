#include "gateways/wire/wire_gateway.h"

#include <utility>

#include "reactor/endpoint_factory.h"

namespace weft::gateways::wire {

WireGateway::WireGateway(reactor::EpollEventLoop& loop, broker::BrokerShard& shard,
                         const WireSessionOptions& options)
    : loop_(loop), shard_(shard), options_(options), server_(loop, *this) {}

WireGateway::~WireGateway() = default;

absl::Status WireGateway::Listen(const reactor::ServerEndpoint& endpoint) {
  absl::StatusOr<std::unique_ptr<reactor::Listener>> listener =
      reactor::ListenEndpoint(loop_, endpoint, server_);
  if (!listener.ok()) return listener.status();
  listener_ = *std::move(listener);
  endpoint_ = endpoint;
  if (endpoint_->kind != reactor::EndpointKind::kUnix) endpoint_->port = listener_->port();
  return absl::OkStatus();
}

absl::Status WireGateway::Resume() {
  if (listener_ != nullptr) return absl::OkStatus();
  if (!endpoint_.has_value()) return absl::FailedPreconditionError("gateway: never listened");
  return Listen(*endpoint_);
}

int WireGateway::port() const { return listener_ == nullptr ? 0 : listener_->port(); }

void WireGateway::Drain() {
  listener_.reset();
  sessions_.DrainAll();
}

std::unique_ptr<reactor::Protocol> WireGateway::BuildProtocol(absl::string_view peer_address) {
  (void)peer_address;
  return std::make_unique<WireSession>(loop_, shard_, options_, &sessions_);
}

}  // namespace weft::gateways::wire
