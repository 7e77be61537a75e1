// WebhookRoutes: the webhook peers of a config's webhook routes, as weftd runs them.
//
// Part of //gateways/webhook. weftd creates them on the home loop after the broker (and before
// `weftd: ready`) and destroys them before the broker. Each webhook route gets a WebhookPeer that
// registers the route's service on the home shard; a DNS resolver is made when some URL names a
// host that is not an IP address.
#ifndef WEFT_GATEWAYS_WEBHOOK_WEBHOOK_ROUTES_H_
#define WEFT_GATEWAYS_WEBHOOK_WEBHOOK_ROUTES_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/broker_shard.h"
#include "gateways/webhook/webhook_peer.h"
#include "reactor/dns_resolver.h"
#include "reactor/epoll_event_loop.h"
#include "weft/config/v1/config.pb.h"

namespace weft::gateways::webhook {

class WebhookRoutes final {
 public:
  // Starts a peer for each webhook route of `config` (validated, defaults applied). `home_loop`
  // and `home` outlive the result. Errors name the route: "routes[2].webhook.ca_file: tls: ..."
  // (a CA file that does not load), "routes[2].target: ..." (a service not compiled in). A
  // registration refused later (another connection registered the service first) is reported on
  // stderr. Home loop thread (or before it runs).
  static absl::StatusOr<std::unique_ptr<WebhookRoutes>> Start(
      reactor::EpollEventLoop& home_loop, broker::BrokerShard& home,
      const config::v1::BrokerConfig& config);
  WebhookRoutes(const WebhookRoutes&) = delete;
  WebhookRoutes& operator=(const WebhookRoutes&) = delete;
  // Disconnects every peer (their calls in flight fail for the callers).
  ~WebhookRoutes();

  std::size_t size() const { return peers_.size(); }

 private:
  WebhookRoutes() = default;

  std::unique_ptr<reactor::DnsResolver> resolver_;   // Null when every host is numeric.
  std::vector<std::unique_ptr<WebhookPeer>> peers_;  // Destroyed before the resolver.
};

}  // namespace weft::gateways::webhook

#endif  // WEFT_GATEWAYS_WEBHOOK_WEBHOOK_ROUTES_H_
