#include "gateways/http/http_gateway.h"

#include <utility>

#include "gateways/http/http_session.h"
#include "gateways/http/metrics.h"
#include "reactor/endpoint_factory.h"

namespace weft::gateways::http {

void HttpMetricsHub::Post(absl::AnyInvocable<void()> task) {
  if (home_loop_ == nullptr) {
    task();
    return;
  }
  home_loop_->Post(std::move(task));
}

std::string HttpMetricsHub::Render() const {
  std::string out;
  AppendHttpMetrics(counters_, out);
  if (broker_ != nullptr) AppendBrokerMetrics(*broker_, out);
  return out;
}

HttpGateway::HttpGateway(reactor::EpollEventLoop& loop, broker::BrokerShard& shard,
                         const HttpSessionOptions& options, HttpMetricsHub& hub)
    : loop_(loop), shard_(shard), context_(loop, options, hub), server_(loop, *this) {
  hub.Add(context_.counters());
}

HttpGateway::~HttpGateway() = default;

absl::Status HttpGateway::Listen(const reactor::ServerEndpoint& endpoint) {
  absl::StatusOr<std::unique_ptr<reactor::Listener>> listener =
      reactor::ListenEndpoint(loop_, endpoint, server_);
  if (!listener.ok()) return listener.status();
  listener_ = *std::move(listener);
  endpoint_ = endpoint;
  if (endpoint_->kind != reactor::EndpointKind::kUnix) endpoint_->port = listener_->port();
  return absl::OkStatus();
}

absl::Status HttpGateway::Resume() {
  if (listener_ != nullptr) return absl::OkStatus();
  if (!endpoint_.has_value()) return absl::FailedPreconditionError("gateway: never listened");
  return Listen(*endpoint_);
}

int HttpGateway::port() const { return listener_ == nullptr ? 0 : listener_->port(); }

void HttpGateway::Drain() {
  listener_.reset();
  context_.DrainAll();
}

std::unique_ptr<reactor::Protocol> HttpGateway::BuildProtocol(absl::string_view peer_address) {
  (void)peer_address;
  return std::make_unique<HttpSession>(shard_, context_);
}

}  // namespace weft::gateways::http
