// PlanReload: what reloading the configuration changes in a running weftd.
//
// Part of //broker/control. Pure: compares the config weftd runs with the one just loaded. Routes
// are the part that changes at run time: routes the new config drops are deleted, new or changed
// ones are put (routes added through the control plane are left alone unless the config names
// the same target). Only routing-table routes (to a service, a topic or a durable queue) are
// applied; a route of another kind (a webhook, served by its gateway) that changed needs a
// restart. Every other top-level section that differs needs a restart too, and is listed as
// such. `loops` is not compared: weftd's --loops flag overrides it.
#ifndef WEFT_BROKER_CONTROL_CONFIG_RELOAD_H_
#define WEFT_BROKER_CONTROL_CONFIG_RELOAD_H_

#include <string>
#include <vector>

#include "weft/config/v1/config.pb.h"

namespace weft::broker::control {

struct ReloadPlan {
  // Targets of routes to delete, then routes to put, in the new config's order.
  std::vector<std::string> deletes;
  std::vector<config::v1::Route> puts;
  // What differs but applies only at start: top-level fields ("listeners", "auth", ...) and
  // "routes: 'TARGET'" for routes that are not routing-table routes.
  std::vector<std::string> restart_needed;
};

// True for a route the broker's routing table holds: to a service, a topic, or a durable queue.
bool IsTableRoute(const config::v1::Route& route);

// Both configs resolved and validated (LoadConfigFile()).
ReloadPlan PlanReload(const config::v1::BrokerConfig& running,
                      const config::v1::BrokerConfig& next);

}  // namespace weft::broker::control

#endif  // WEFT_BROKER_CONTROL_CONFIG_RELOAD_H_
