#include "gateways/webhook/webhook_routes.h"

#include <arpa/inet.h>

#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace weft::gateways::webhook {
namespace {

bool IsNumericHost(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return host == "localhost" || inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<WebhookRoutes>> WebhookRoutes::Start(
    reactor::EpollEventLoop& home_loop, broker::BrokerShard& home,
    const config::v1::BrokerConfig& config) {
  auto routes = std::unique_ptr<WebhookRoutes>(new WebhookRoutes());
  for (int i = 0; i < config.routes_size(); ++i) {
    const config::v1::Route& route = config.routes(i);
    if (!route.has_webhook()) continue;
    const std::string path = absl::StrCat("routes[", i, "]");
    absl::StatusOr<WebhookPeerOptions> options = WebhookPeerOptionsFromRoute(route);
    if (!options.ok()) {
      return absl::Status(options.status().code(),
                          absl::StrCat(path, ".webhook.url: ", options.status().message()));
    }
    if (routes->resolver_ == nullptr && !IsNumericHost(options->client.host)) {
      absl::StatusOr<std::unique_ptr<reactor::DnsResolver>> resolver =
          reactor::DnsResolver::Create(home_loop, reactor::DnsResolverOptions{});
      if (!resolver.ok()) {
        return absl::Status(resolver.status().code(),
                            absl::StrCat(path, ".webhook.url: ", resolver.status().message()));
      }
      routes->resolver_ = *std::move(resolver);
    }
    absl::StatusOr<std::unique_ptr<WebhookPeer>> peer =
        WebhookPeer::Create(home_loop, home, routes->resolver_.get(), *std::move(options));
    if (!peer.ok()) {
      const bool service = peer.status().code() == absl::StatusCode::kNotFound &&
                           absl::StrContains(peer.status().message(), "is not compiled in");
      return absl::Status(peer.status().code(),
                          absl::StrCat(path, service ? ".target: " : ".webhook.ca_file: ",
                                       peer.status().message()));
    }
    routes->peers_.push_back(*std::move(peer));
  }
  for (std::unique_ptr<WebhookPeer>& peer : routes->peers_) {
    peer->Start([service = peer->service()](const absl::Status& status) {
      if (status.ok()) return;
      std::fprintf(stderr, "weftd: webhook for %s not registered: %s\n", service.c_str(),
                   std::string(status.message()).c_str());
    });
  }
  return routes;
}

WebhookRoutes::~WebhookRoutes() { peers_.clear(); }

}  // namespace weft::gateways::webhook
