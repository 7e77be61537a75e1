#include "broker/route_config.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace weft::broker {

RouteSpec RouteSpecFromConfig(const config::v1::Route& route) {
  RouteSpec spec;
  spec.pattern = route.target();
  if (route.destination_case() == config::v1::Route::kTopic) {
    spec.kind = RouteTarget::Kind::kTopic;
    spec.destination = route.topic();
  } else {
    spec.destination = route.service();
  }
  if (!route.has_durable()) return spec;
  const config::v1::DurableDelivery& durable = route.durable();
  spec.kind = RouteTarget::Kind::kQueue;
  spec.queue = durable.queue();
  spec.durable.max_attempts = durable.max_attempts();
  spec.durable.initial_backoff = absl::Milliseconds(durable.initial_backoff_ms());
  spec.durable.max_backoff = absl::Milliseconds(durable.max_backoff_ms());
  spec.durable.attempt_timeout = absl::Milliseconds(durable.attempt_timeout_ms());
  spec.durable.idempotency_metadata = durable.idempotency_metadata();
  spec.durable.idempotency_field = durable.idempotency_field();
  spec.durable.ordered = !durable.unordered();
  spec.durable.max_in_flight = durable.max_in_flight();
  return spec;
}

absl::Status ApplyConfigRoutes(Broker& broker, const config::v1::BrokerConfig& config) {
  for (int i = 0; i < config.routes_size(); ++i) {
    // A webhook route is a service hosted by a webhook peer (gateways/webhook), not a table entry.
    if (config.routes(i).has_webhook()) continue;
    absl::Status put = broker.PutRoute(RouteSpecFromConfig(config.routes(i)));
    if (!put.ok()) {
      return absl::Status(put.code(), absl::StrCat("routes[", i, "]: ", put.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace weft::broker
