#include "gateways/http/metrics.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "broker/durable_queues.h"
#include "broker/store/store_executor.h"

namespace weft::gateways::http {
namespace {

constexpr absl::string_view kPathNames[] = {"/jsonrpc", "/RPC2", "/healthz",
                                            "/metrics", "rest",  "other"};

void Header(absl::string_view name, absl::string_view type, absl::string_view help,
            std::string& out) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void Metric(absl::string_view name, absl::string_view type, absl::string_view help, uint64_t value,
            std::string& out) {
  Header(name, type, help, out);
  absl::StrAppend(&out, name, " ", value, "\n");
}

}  // namespace

void AppendHttpMetrics(absl::Span<const HttpCounters* const> counters, std::string& out) {
  auto sum = [&](auto field) {
    uint64_t total = 0;
    for (const HttpCounters* c : counters) total += HttpCounters::Get(field(*c));
    return total;
  };
  Header("weft_http_requests_total", "counter", "HTTP requests answered, by path and status class",
         out);
  for (int path = 0; path < static_cast<int>(HttpPath::kCount); ++path) {
    for (int cls = 1; cls <= 5; ++cls) {
      absl::StrAppend(
          &out, "weft_http_requests_total{path=\"", kPathNames[path], "\",code=\"", cls, "xx\"} ",
          sum([&](const HttpCounters& c) -> auto& { return c.requests[path][cls]; }), "\n");
    }
  }
  Metric("weft_http_rpc_calls_total", "counter", "JSON-RPC and XML-RPC calls made to the broker",
         sum([](const HttpCounters& c) -> auto& { return c.rpc_calls; }), out);
  Metric("weft_http_rpc_errors_total", "counter",
         "JSON-RPC errors and XML-RPC faults answered, the codec's own included",
         sum([](const HttpCounters& c) -> auto& { return c.rpc_errors; }), out);
  Metric("weft_http_received_bytes_total", "counter", "Bytes received on HTTP connections",
         sum([](const HttpCounters& c) -> auto& { return c.bytes_in; }), out);
  Metric("weft_http_sent_bytes_total", "counter", "Bytes written to HTTP connections",
         sum([](const HttpCounters& c) -> auto& { return c.bytes_out; }), out);
  Metric("weft_http_connections_total", "counter", "HTTP connections accepted",
         sum([](const HttpCounters& c) -> auto& { return c.connections_opened; }), out);
  Metric("weft_http_open_connections", "gauge", "HTTP connections open now",
         sum([](const HttpCounters& c) -> auto& { return c.open_connections; }), out);
  Metric("weft_http_request_timeouts_total", "counter",
         "Requests not received in full within the request timeout (408)",
         sum([](const HttpCounters& c) -> auto& { return c.request_timeouts; }), out);
}

void AppendBrokerMetrics(broker::Broker& broker, std::string& out) {
  const broker::BrokerStats stats = broker.stats();
  Metric("weft_broker_objects", "gauge", "Exported objects the broker tracks", stats.objects, out);
  Metric("weft_broker_services", "gauge", "Registered services", stats.services, out);
  Metric("weft_broker_pending_calls", "gauge", "Calls waiting for replies", stats.pending_calls,
         out);
  Metric("weft_broker_connections", "gauge", "Connections of every gateway", stats.connections,
         out);
  if (const broker::DurableQueues* queues = broker.durable_queues(); queues != nullptr) {
    const broker::DurableStats& d = queues->stats();
    Metric("weft_durable_accepted_total", "counter", "Durable calls committed", d.accepted, out);
    Metric("weft_durable_duplicates_total", "counter", "Durable calls with a known key",
           d.duplicates, out);
    Metric("weft_durable_refused_total", "counter", "Durable calls refused", d.refused, out);
    Metric("weft_durable_delivered_total", "counter", "Durable messages delivered", d.delivered,
           out);
    Metric("weft_durable_retries_total", "counter", "Durable delivery retries", d.retries, out);
    Metric("weft_durable_dead_lettered_total", "counter", "Durable messages dead-lettered",
           d.dead_lettered, out);
    Metric("weft_durable_store_errors_total", "counter", "Failed durable store commits",
           d.store_errors, out);
  }
  if (const broker::store::StoreExecutor* store = broker.options().store; store != nullptr) {
    const broker::store::StoreStats s = store->stats();
    Metric("weft_store_commits_total", "counter", "Store transactions", s.commits, out);
    Metric("weft_store_batches_total", "counter", "Store write batches", s.batches, out);
    Metric("weft_store_failed_commits_total", "counter", "Store transactions that failed",
           s.failed_commits, out);
    Metric("weft_store_reads_total", "counter", "Store reads", s.reads, out);
    Metric("weft_store_commit_micros_total", "counter", "Time spent committing, microseconds",
           s.commit_micros_total, out);
    Metric("weft_store_commit_micros_max", "gauge", "Longest commit, microseconds",
           s.commit_micros_max, out);
  }
}

}  // namespace weft::gateways::http
