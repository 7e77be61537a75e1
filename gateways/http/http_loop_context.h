// What the HTTP sessions of one loop share: their options, the live-session set (for draining),
// the per-loop counters /metrics prints, the Date cache, the message factory and the decoders'
// scratch state.
//
// Part of //gateways/http. One HttpLoopContext per loop (HttpGateway owns it); loop thread only,
// except the counters, which the home loop reads for /metrics (each has one writer, its loop).
#ifndef WEFT_GATEWAYS_HTTP_HTTP_LOOP_CONTEXT_H_
#define WEFT_GATEWAYS_HTTP_HTTP_LOOP_CONTEXT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "gateways/http/json_mapping.h"
#include "gateways/http/rest_routes.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "protocols/http/http_date.h"
#include "protocols/http/limits.h"
#include "protocols/jsonrpc/limits.h"
#include "protocols/xmlrpc/limits.h"
#include "protocols/xmlrpc/multicall.h"
#include "protocols/xmlrpc/xmlrpc_decoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"
#include "reactor/event_loop.h"

namespace weft::gateways::http {

struct HttpSessionOptions {
  protocols::http::HttpLimits limits;
  protocols::jsonrpc::JsonRpcLimits jsonrpc;
  protocols::xmlrpc::XmlRpcLimits xmlrpc;
  // A request whose first byte arrived this long ago and is still incomplete gets 408 and the
  // connection closes, however steadily its bytes trickle in (slowloris).
  absl::Duration request_timeout = absl::Seconds(30);
  // A keep-alive connection with nothing received and nothing to answer this long is closed.
  absl::Duration idle_timeout = absl::Seconds(60);
  // > 0: the deadline of each broker call; 0: the broker's default.
  int64_t call_timeout_micros = 0;
  // Requests received but not yet answered (pipelining) before the session stops reading.
  std::size_t max_queued_responses = 32;
  // Not null: every request but GET /healthz needs "Authorization: Bearer <one of these>", or it
  // gets 401. Outlives the sessions.
  const absl::flat_hash_set<std::string>* tokens = nullptr;
  // REST routes from the config, before those of method options (rest_routes.h).
  std::vector<RestRouteSpec> rest;
};

// The paths /metrics counts requests of.
enum class HttpPath : int { kJsonRpc, kRpc2, kHealthz, kMetrics, kRest, kOther, kCount };

// One loop's counters. Only that loop writes them (Add()); the home loop reads them for /metrics.
struct HttpCounters {
  using Counter = std::atomic<uint64_t>;
  // One writer: a plain load and store, no locked instruction.
  static void Add(Counter& counter, uint64_t n = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  static uint64_t Get(const Counter& counter) { return counter.load(std::memory_order_relaxed); }

  // [path][status class 1xx..5xx as 1..5; 0 unused]
  Counter requests[static_cast<int>(HttpPath::kCount)][6] = {};
  Counter rpc_calls = 0;
  Counter rpc_errors = 0;
  Counter bytes_in = 0;
  Counter bytes_out = 0;
  Counter connections_opened = 0;
  Counter open_connections = 0;
  Counter request_timeouts = 0;
};

class HttpSession;
class HttpMetricsHub;

class HttpLoopContext {
 public:
  // `hub` outlives the context.
  HttpLoopContext(reactor::EventLoop& loop, const HttpSessionOptions& options, HttpMetricsHub& hub)
      : loop_(loop), options_(options), hub_(hub), xmlrpc_(options.xmlrpc), rest_(options.rest) {
    factory_.SetDelegateToGeneratedFactory(true);
  }
  HttpLoopContext(const HttpLoopContext&) = delete;
  HttpLoopContext& operator=(const HttpLoopContext&) = delete;

  // Drain() on every session.
  void DrainAll();
  std::size_t session_count() const { return sessions_.size(); }
  const HttpCounters& counters() const { return counters_; }

 private:
  friend class HttpSession;
  reactor::EventLoop& loop_;
  const HttpSessionOptions& options_;
  HttpMetricsHub& hub_;
  absl::flat_hash_set<HttpSession*> sessions_;
  HttpCounters counters_;
  protocols::http::HttpDateCache date_;
  google::protobuf::DynamicMessageFactory factory_;
  // Shared by the loop's sessions: a request's XML is parsed and mapped before the next one.
  protocols::xmlrpc::XmlRpcDecoder xmlrpc_;
  protocols::xmlrpc::MethodCall xml_call_;
  // Request and response messages per method, reused by every call (built and read at once).
  struct MethodMessages {
    std::unique_ptr<google::protobuf::Message> request;
    std::unique_ptr<google::protobuf::Message> response;
  };
  absl::flat_hash_map<const google::protobuf::MethodDescriptor*, MethodMessages> messages_;
  std::vector<absl::StatusOr<protocols::xmlrpc::MulticallEntry>> multicall_;
  RestRoutes rest_;
  JsonMappingSupport json_support_;
  std::vector<protocols::http::PathTemplate::Binding> bindings_;
  std::string request_bytes_;  // The serialized request of the call being made.
  std::string scratch_;
  std::string json_;
  std::string json_buffer_;  // JsonToMessage()'s in-place copy.
};

}  // namespace weft::gateways::http

#endif  // WEFT_GATEWAYS_HTTP_HTTP_LOOP_CONTEXT_H_
