// Routes from the configuration (weft.config.v1.Route) as the Broker takes them (RouteSpec).
//
// Part of //broker. Used by weftd at start; the control plane's reload uses the same mapping.
#ifndef WEFT_BROKER_ROUTE_CONFIG_H_
#define WEFT_BROKER_ROUTE_CONFIG_H_

#include "absl/status/status.h"
#include "broker/broker.h"
#include "weft/config/v1/config.pb.h"

namespace weft::broker {

// `route` must have passed ValidateConfig() with defaults applied.
RouteSpec RouteSpecFromConfig(const config::v1::Route& route);

// Puts every route of `config` into `broker` (home loop, or before the loops run), except webhook
// routes, which weftd serves through gateways/webhook. The first failure is returned as
// "routes[i]: ..." and stops there.
absl::Status ApplyConfigRoutes(Broker& broker, const config::v1::BrokerConfig& config);

}  // namespace weft::broker

#endif  // WEFT_BROKER_ROUTE_CONFIG_H_
