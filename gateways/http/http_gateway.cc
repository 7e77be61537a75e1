#include "gateways/http/http_gateway.h"

#include <utility>

#include "gateways/http/http_session.h"
#include "gateways/http/metrics.h"

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
    : shard_(shard), context_(loop, options, hub), server_(loop, *this), listener_(loop, server_) {
  hub.Add(context_.counters());
}

HttpGateway::~HttpGateway() = default;

absl::Status HttpGateway::Listen(const reactor::ServerEndpoint& endpoint) {
  return listener_.Listen(endpoint);
}

void HttpGateway::Drain() {
  listener_.Stop();
  context_.DrainAll();
}

std::unique_ptr<reactor::Protocol> HttpGateway::BuildProtocol(absl::string_view peer_address) {
  (void)peer_address;
  return std::make_unique<HttpSession>(shard_, context_);
}

}  // namespace weft::gateways::http
