// WebhookClient: the HTTP/1.1 client a webhook route POSTs through (docs/http.md "Webhooks").
//
// Part of //gateways/webhook. One client per webhook URL, on one EpollEventLoop: requests go out
// over tcp or tls (verified against a CA file or the system's CAs, with the URL host as SNI and
// the name to match), one request per connection at a time, with a small pool of idle keep-alive
// connections reused for later requests. Bodies are sent with Content-Length; responses are read
// with protocols/http's HttpResponseDecoder (Content-Length, chunked, or until close) up to a
// size cap. Nothing blocks: the TLS context (the CA file) is loaded in Create().
#ifndef WEFT_GATEWAYS_WEBHOOK_WEBHOOK_CLIENT_H_
#define WEFT_GATEWAYS_WEBHOOK_WEBHOOK_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "reactor/dns_resolver.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/tcp_listener.h"
#include "reactor/tls_context.h"
#include "reactor/transport.h"

namespace weft::gateways::webhook {

struct WebhookClientOptions {
  bool tls = false;
  std::string host;  // Name or IP address (no brackets): connect, SNI, certificate name.
  int port = 0;
  std::string target;     // Request-target: "/path?query".
  std::string authority;  // Host field value.
  std::string ca_file;    // tls only; empty: the system's trust store.
  // Sent with every request, after the client's own fields. Validated by the config.
  std::vector<std::pair<std::string, std::string>> headers;
  // Idle keep-alive connections kept for reuse; an idle one is closed after idle_timeout.
  std::size_t max_idle_connections = 4;
  absl::Duration idle_timeout = absl::Seconds(30);
  // Largest response body; a larger one fails the request with kResourceExhausted.
  uint64_t max_response_bytes = 16 << 20;
};

struct WebhookResponse {
  int status_code = 0;
  std::string body;
};

using WebhookCallback = absl::AnyInvocable<void(absl::StatusOr<WebhookResponse>)>;

class WebhookClient;
class WebhookConnection;

// One request in flight. Destroying it abandons the request: the callback never runs and the
// connection it used is closed (its response will never be read). Loop thread only.
class WebhookRequest final {
 public:
  WebhookRequest(const WebhookRequest&) = delete;
  WebhookRequest& operator=(const WebhookRequest&) = delete;
  ~WebhookRequest();

 private:
  friend class WebhookClient;
  friend class WebhookConnection;

  WebhookRequest(WebhookClient& client, std::string bytes, WebhookCallback done)
      : client_(client), bytes_(std::move(bytes)), done_(std::move(done)) {}

  // Sends on `connection` (already connected). `reused`: it came from the idle pool.
  void SendOn(WebhookConnection& connection, bool reused);
  // Reports `result` (unless already done); the owner may destroy `this` inside.
  void Finish(absl::StatusOr<WebhookResponse> result);
  // `connection` closed before any byte of the response: when it was a reused one (the server
  // may have closed it while idle), tries once more on a new connection.
  void OnConnectionLost(const absl::Status& reason, bool nothing_received);

  WebhookClient& client_;
  const std::string bytes_;  // The encoded request.
  WebhookCallback done_;
  std::unique_ptr<reactor::ConnectRequest> connecting_;
  std::unique_ptr<reactor::Timer> timer_;
  WebhookConnection* connection_ = nullptr;  // Nullable: the connection carrying the request.
  bool reused_ = false;
};

class WebhookClient final {
 public:
  // Loads the TLS context for https (kNotFound / kInvalidArgument for a bad ca_file). `loop`
  // and `resolver` (nullable: then the host must be numeric or "localhost") outlive the client.
  // Call before the loop runs or on its thread.
  static absl::StatusOr<std::unique_ptr<WebhookClient>> Create(reactor::EpollEventLoop& loop,
                                                               reactor::DnsResolver* resolver,
                                                               WebhookClientOptions options);
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;
  // Every WebhookRequest must be gone first. Closes the connections.
  ~WebhookClient();

  // POSTs `body` as application/json with `extra_headers` (valid field names and values; the
  // caller's) within `timeout` (connect, send, the whole response). `done` runs exactly once, on
  // the loop and never inside this call, unless the returned handle is destroyed first; it may
  // destroy the handle. Any status code is a response; errors: kUnavailable (cannot connect, TLS
  // refused the server, connection lost, malformed response), kDeadlineExceeded (timeout),
  // kResourceExhausted (response too large), kNotFound (unknown host).
  std::unique_ptr<WebhookRequest> Post(
      absl::string_view body, const std::vector<std::pair<std::string, std::string>>& extra_headers,
      absl::Duration timeout, WebhookCallback done);

  // Connections open now, idle or busy. For tests.
  std::size_t connection_count() const { return connections_.size(); }
  std::size_t idle_count() const { return idle_.size(); }
  // Connections made so far. For tests.
  uint64_t connects() const { return connects_; }

 private:
  friend class WebhookRequest;
  friend class WebhookConnection;

  WebhookClient(reactor::EpollEventLoop& loop, reactor::DnsResolver* resolver,
                WebhookClientOptions options, std::unique_ptr<reactor::TlsContext> tls);

  // Sends `request` on an idle connection, or connects a new one.
  void Dispatch(WebhookRequest& request, bool allow_reuse);
  void Connected(WebhookRequest& request, std::unique_ptr<reactor::Transport> transport);
  // `connection` finished a response and may carry another.
  void Release(WebhookConnection& connection);
  // Closes `connection` and forgets it (deferred: it may be in its own callback).
  void Drop(WebhookConnection& connection);

  reactor::EpollEventLoop& loop_;
  reactor::DnsResolver* resolver_;
  const WebhookClientOptions options_;
  std::unique_ptr<reactor::TlsContext> tls_;  // Null for http.
  absl::flat_hash_map<WebhookConnection*, std::unique_ptr<WebhookConnection>> connections_;
  std::vector<WebhookConnection*> idle_;
  uint64_t connects_ = 0;
};

}  // namespace weft::gateways::webhook

#endif  // WEFT_GATEWAYS_WEBHOOK_WEBHOOK_CLIENT_H_
