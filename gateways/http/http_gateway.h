// HttpGateway: the HTTP listener on one loop, making an HttpSession per connection; and
// HttpMetricsHub, which gathers every loop's counters and the broker's for GET /metrics.
//
// Part of //gateways/http (docs/http.md). weftd makes one hub and one gateway per loop, all bound
// to the same port with SO_REUSEPORT, each feeding the BrokerShard of its loop. Loop thread only
// (Listen() may also run before the loop starts).
#ifndef WEFT_GATEWAYS_HTTP_HTTP_GATEWAY_H_
#define WEFT_GATEWAYS_HTTP_HTTP_GATEWAY_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "broker/broker.h"
#include "broker/broker_shard.h"
#include "gateways/http/http_loop_context.h"
#include "reactor/endpoint.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/protocol.h"
#include "reactor/resumable_listener.h"

namespace weft::gateways::http {

class HttpMetricsHub {
 public:
  // `broker` and `home_loop` (its loop 0) outlive the hub. Both null: /metrics has only the HTTP
  // counters (tests).
  HttpMetricsHub(broker::Broker* broker, reactor::EventLoop* home_loop)
      : broker_(broker), home_loop_(home_loop) {}
  HttpMetricsHub(const HttpMetricsHub&) = delete;
  HttpMetricsHub& operator=(const HttpMetricsHub&) = delete;

  // Adds a loop's counters, before the loops run. `counters` outlives the hub.
  void Add(const HttpCounters& counters) { counters_.push_back(&counters); }

  // Runs `task` on the loop that may read the broker's counters (the home loop), or at once when
  // there is no broker.
  void Post(absl::AnyInvocable<void()> task);
  // The Prometheus text of every loop's HTTP counters and the broker's. On that loop only.
  std::string Render() const;

 private:
  broker::Broker* const broker_;
  reactor::EventLoop* const home_loop_;
  std::vector<const HttpCounters*> counters_;
};

class HttpGateway final : public reactor::Factory {
 public:
  // `loop`, `shard`, `options` and `hub` outlive the gateway.
  HttpGateway(reactor::EpollEventLoop& loop, broker::BrokerShard& shard,
              const HttpSessionOptions& options, HttpMetricsHub& hub);
  ~HttpGateway() override;

  // Binds `endpoint` (see reactor::ListenEndpoint for the errors; a tls: endpoint serves HTTPS).
  absl::Status Listen(const reactor::ServerEndpoint& endpoint);
  // The bound port; 0 when not listening.
  int port() const { return listener_.port(); }
  // Closes the listener and drains every session: requests received are answered, then each
  // connection closes.
  void Drain();
  // Listens again, after Drain(), on the endpoint of the last Listen() with the port it bound
  // (the control plane's EnableGateway). OK when listening already; kFailedPrecondition before
  // any Listen(); else ListenEndpoint's errors (the port taken meanwhile: kUnavailable).
  absl::Status Resume() { return listener_.Resume(); }
  bool listening() const { return listener_.listening(); }
  std::size_t session_count() const { return context_.session_count(); }

  // reactor::Factory
  std::unique_ptr<reactor::Protocol> BuildProtocol(absl::string_view peer_address) override;

 private:
  broker::BrokerShard& shard_;
  HttpLoopContext context_;
  reactor::ProtocolServer server_;
  reactor::ResumableListener listener_;
};

}  // namespace weft::gateways::http

#endif  // WEFT_GATEWAYS_HTTP_HTTP_GATEWAY_H_
