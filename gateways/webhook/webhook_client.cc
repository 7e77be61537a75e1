#include "gateways/webhook/webhook_client.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "protocols/http/http_encoder.h"
#include "protocols/http/http_response_decoder.h"
#include "protocols/http/http_types.h"
#include "reactor/base/check.h"
#include "reactor/endpoint.h"
#include "reactor/endpoint_factory.h"
#include "reactor/tls_transport.h"
#include "reactor/transport.h"

namespace weft::gateways::webhook {

namespace http = protocols::http;

// One connection to the webhook's server: carries one request at a time; idle in the client's
// pool between requests.
class WebhookConnection final : public reactor::DeferredDeletable,
                                public reactor::TransportCallbacks {
 public:
  WebhookConnection(WebhookClient& client, std::unique_ptr<reactor::Transport> transport)
      : client_(client), transport_(std::move(transport)), decoder_(Limits(client.options_)) {
    transport_->SetCallbacks(*this);
    idle_timer_ = client.loop_.CreateTimer([this] { client_.Drop(*this); });
  }

  // Writes the request of `request`, whose response this connection reads next.
  absl::Status Send(WebhookRequest& request) {
    idle_timer_->Cancel();
    request_ = &request;
    received_ = 0;
    decoder_.ExpectResponse(http::HttpMethod::kPost);
    return transport_->Write(request.bytes_);
  }
  // The request was abandoned: nobody reads its response, so the connection cannot be reused.
  void Abandon() {
    request_ = nullptr;
    client_.Drop(*this);
  }
  void StartIdle() { idle_timer_->Schedule(client_.options_.idle_timeout); }
  // Called by the client once forgotten: no callback reaches the client any more.
  void Kill() {
    dead_ = true;
    request_ = nullptr;
    idle_timer_.reset();
  }

  // reactor::TransportCallbacks
  void OnData(absl::string_view bytes) override {
    if (dead_) return;
    received_ += bytes.size();
    if (request_ == nullptr) {  // Nothing asked: an idle connection must stay silent.
      client_.Drop(*this);
      return;
    }
    if (absl::Status fed = decoder_.Feed(bytes); !fed.ok()) return Fail(fed);
    TakeResponse();
  }
  void OnReadEof() override {
    if (dead_) return;
    // Nothing received yet: Lost() tells the request, which may retry a stale kept-alive one.
    if (request_ != nullptr && received_ > 0) {
      (void)decoder_.FeedEof();  // A body read until close ends here; errors come from Next().
      TakeResponse();
    }
    if (!dead_) Lost(absl::UnavailableError("connection closed by the server"));
  }
  void OnWriteBufferHigh() override {}
  void OnWriteBufferLow() override {}
  void OnClosed(absl::Status reason) override {
    if (dead_) return;
    if (reason.ok()) reason = absl::UnavailableError("connection closed by the server");
    Lost(reason);
  }

 private:
  static http::HttpLimits Limits(const WebhookClientOptions& options) {
    http::HttpLimits limits;
    limits.max_body_bytes = options.max_response_bytes;
    return limits;
  }

  // Delivers the final response, if one is complete.
  void TakeResponse() {
    for (;;) {
      std::optional<http::HttpResponse> response = decoder_.Next();
      if (!response.has_value()) {
        if (!decoder_.status().ok()) Fail(decoder_.status());
        return;
      }
      if (response->status_code < 200) continue;  // Interim (100 Continue and the like).
      WebhookResponse out{response->status_code, std::string(response->body)};
      // Bytes after the response would arrive while idle, which drops the connection.
      const bool reusable = response->keep_alive;
      WebhookRequest* request = request_;
      request_ = nullptr;
      request->connection_ = nullptr;
      if (reusable) {
        client_.Release(*this);
      } else {
        client_.Drop(*this);
      }
      request->Finish(std::move(out));  // May destroy the request (never this connection).
      return;
    }
  }

  void Fail(const absl::Status& status) {
    const absl::Status reported =
        status.code() == absl::StatusCode::kResourceExhausted
            ? absl::ResourceExhaustedError(absl::StrCat("response too large: ", status.message()))
            : absl::UnavailableError(absl::StrCat("bad response: ", status.message()));
    WebhookRequest* request = request_;
    request_ = nullptr;
    client_.Drop(*this);
    if (request != nullptr) {
      request->connection_ = nullptr;
      request->Finish(reported);
    }
  }

  void Lost(const absl::Status& reason) {
    WebhookRequest* request = request_;
    const bool nothing_received = received_ == 0;
    request_ = nullptr;
    client_.Drop(*this);
    if (request != nullptr) {
      request->connection_ = nullptr;
      request->OnConnectionLost(reason, nothing_received);
    }
  }

  WebhookClient& client_;
  std::unique_ptr<reactor::Transport> transport_;
  http::HttpResponseDecoder decoder_;
  std::unique_ptr<reactor::Timer> idle_timer_;
  WebhookRequest* request_ = nullptr;  // Nullable: the request whose response comes next.
  uint64_t received_ = 0;              // Bytes received for the current request.
  bool dead_ = false;
};

// --- WebhookRequest ------------------------------------------------------------------------

WebhookRequest::~WebhookRequest() {
  if (connection_ != nullptr) connection_->Abandon();
}

void WebhookRequest::SendOn(WebhookConnection& connection, bool reused) {
  connection_ = &connection;
  reused_ = reused;
  absl::Status sent = connection.Send(*this);
  if (!sent.ok()) {
    connection_ = nullptr;
    connection.Abandon();
    // Not inside Post(): the connection was taken from the pool or made by a loop callback.
    OnConnectionLost(sent, true);
  }
}

void WebhookRequest::Finish(absl::StatusOr<WebhookResponse> result) {
  if (!done_) return;
  timer_.reset();
  connecting_.reset();
  if (connection_ != nullptr) {
    connection_->Abandon();
    connection_ = nullptr;
  }
  WebhookCallback done = std::move(done_);
  done_ = nullptr;
  done(std::move(result));  // May destroy `this`.
}

void WebhookRequest::OnConnectionLost(const absl::Status& reason, bool nothing_received) {
  if (reused_ && nothing_received) {
    // A kept-alive connection the server closed while it was idle: not an attempt of its own.
    reused_ = false;
    client_.Dispatch(*this, /*allow_reuse=*/false);
    return;
  }
  Finish(absl::UnavailableError(
      absl::StrCat("connection to ", client_.options_.authority, " failed: ", reason.message())));
}

// --- WebhookClient -------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<WebhookClient>> WebhookClient::Create(reactor::EpollEventLoop& loop,
                                                                     reactor::DnsResolver* resolver,
                                                                     WebhookClientOptions options) {
  std::unique_ptr<reactor::TlsContext> tls;
  if (options.tls) {
    reactor::TlsClientOptions tls_options;
    tls_options.ca_file = options.ca_file;
    absl::StatusOr<std::unique_ptr<reactor::TlsContext>> context =
        reactor::TlsContext::CreateClient(tls_options);
    if (!context.ok()) return context.status();
    tls = *std::move(context);
  }
  return std::unique_ptr<WebhookClient>(
      new WebhookClient(loop, resolver, std::move(options), std::move(tls)));
}

WebhookClient::WebhookClient(reactor::EpollEventLoop& loop, reactor::DnsResolver* resolver,
                             WebhookClientOptions options, std::unique_ptr<reactor::TlsContext> tls)
    : loop_(loop), resolver_(resolver), options_(std::move(options)), tls_(std::move(tls)) {}

WebhookClient::~WebhookClient() {
  for (auto& [raw, connection] : connections_) connection->Kill();
}

std::unique_ptr<WebhookRequest> WebhookClient::Post(
    absl::string_view body, const std::vector<std::pair<std::string, std::string>>& extra_headers,
    absl::Duration timeout, WebhookCallback done) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  std::vector<http::HttpHeader> headers;
  headers.push_back({"Content-Type", "application/json"});
  headers.push_back({"Accept", "application/json"});
  headers.push_back({"User-Agent", "weftd"});
  for (const auto& [name, value] : extra_headers) headers.push_back({name, value});
  for (const auto& [name, value] : options_.headers) headers.push_back({name, value});
  http::OutgoingRequest out;
  out.method = "POST";
  out.target = options_.target;
  out.host = options_.authority;
  out.headers = headers;
  out.body = body;
  std::string bytes;
  absl::Status encoded = http::EncodeRequest(out, bytes);
  auto request =
      std::unique_ptr<WebhookRequest>(new WebhookRequest(*this, std::move(bytes), std::move(done)));
  WebhookRequest& handle = *request;
  handle.timer_ = loop_.CreateTimer([&handle, timeout] {
    handle.Finish(absl::DeadlineExceededError(
        absl::StrCat("no response within ", absl::FormatDuration(timeout))));
  });
  if (!encoded.ok()) {
    // Config validation keeps header names and values encodable; report rather than crash.
    handle.timer_ = loop_.CreateTimer([&handle, encoded] { handle.Finish(encoded); });
    handle.timer_->Schedule(absl::ZeroDuration());
    return request;
  }
  handle.timer_->Schedule(timeout);
  // `done` cannot run inside: a write refused on an idle connection falls back to connecting.
  Dispatch(handle, /*allow_reuse=*/true);
  return request;
}

void WebhookClient::Dispatch(WebhookRequest& request, bool allow_reuse) {
  if (allow_reuse && !idle_.empty()) {
    WebhookConnection* connection = idle_.back();
    idle_.pop_back();
    request.SendOn(*connection, /*reused=*/true);
    return;
  }
  reactor::ClientEndpoint endpoint;
  endpoint.kind = reactor::EndpointKind::kTcp;
  endpoint.host = options_.host;
  endpoint.port = options_.port;
  endpoint.timeout = absl::InfiniteDuration();  // The request's own timer bounds it.
  request.connecting_ = reactor::ConnectEndpoint(
      loop_, resolver_, endpoint,
      [this, &request](absl::StatusOr<std::unique_ptr<reactor::Transport>> transport) {
        if (!transport.ok()) {
          request.Finish(absl::Status(transport.status().code() == absl::StatusCode::kNotFound
                                          ? absl::StatusCode::kNotFound
                                          : absl::StatusCode::kUnavailable,
                                      absl::StrCat("cannot connect to ", options_.authority, ": ",
                                                   transport.status().message())));
          return;
        }
        Connected(request, *std::move(transport));
      });
}

void WebhookClient::Connected(WebhookRequest& request,
                              std::unique_ptr<reactor::Transport> transport) {
  ++connects_;
  if (tls_ != nullptr) {
    transport = reactor::TlsTransport::Wrap(loop_, std::move(transport), *tls_,
                                            reactor::TlsRole::kClient, options_.host);
  }
  auto connection = std::make_unique<WebhookConnection>(*this, std::move(transport));
  WebhookConnection& raw = *connection;
  connections_.emplace(&raw, std::move(connection));
  // Runs inside ConnectEndpoint's callback: connecting_ must not be destroyed here.
  request.SendOn(raw, /*reused=*/false);
}

void WebhookClient::Release(WebhookConnection& connection) {
  if (idle_.size() >= options_.max_idle_connections) return Drop(connection);
  idle_.push_back(&connection);
  connection.StartIdle();
}

void WebhookClient::Drop(WebhookConnection& connection) {
  idle_.erase(std::remove(idle_.begin(), idle_.end(), &connection), idle_.end());
  auto it = connections_.find(&connection);
  if (it == connections_.end()) return;
  std::unique_ptr<WebhookConnection> owned = std::move(it->second);
  connections_.erase(it);
  owned->Kill();
  loop_.DeferredDelete(std::move(owned));
}

}  // namespace weft::gateways::webhook
