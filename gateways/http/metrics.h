// The Prometheus text (exposition format 0.0.4) of GET /metrics: the HTTP counters of every loop
// and the broker's counters.
//
// Part of //gateways/http. docs/http.md lists every metric.
#ifndef WEFT_GATEWAYS_HTTP_METRICS_H_
#define WEFT_GATEWAYS_HTTP_METRICS_H_

#include <string>

#include "absl/types/span.h"
#include "broker/broker.h"
#include "gateways/http/http_loop_context.h"

namespace weft::gateways::http {

// Appends the weft_http_* metrics: the sums of every loop's `counters`.
void AppendHttpMetrics(absl::Span<const HttpCounters* const> counters, std::string& out);

// Appends the weft_broker_*, weft_durable_* and weft_store_* metrics. Home loop only (it reads
// Broker::stats() and the durable queues).
void AppendBrokerMetrics(broker::Broker& broker, std::string& out);

}  // namespace weft::gateways::http

#endif  // WEFT_GATEWAYS_HTTP_METRICS_H_
