#include "gateways/webhook/testing/test_http_server.h"

#include <optional>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "protocols/http/http_encoder.h"
#include "protocols/http/http_request_decoder.h"
#include "reactor/endpoint_factory.h"
#include "reactor/transport.h"

namespace weft::gateways::webhook::testing {

namespace http = protocols::http;

ScriptedReply Respond(int status, const std::string& body, bool close) {
  ScriptedReply reply;
  reply.raw = absl::StrCat("HTTP/1.1 ", status, " ", http::ReasonPhrase(status),
                           "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(),
                           "\r\n", close ? "Connection: close\r\n" : "", "\r\n", body);
  return reply;
}

ScriptedReply RespondChunked(int status, const std::string& body, std::size_t chunk) {
  ScriptedReply reply;
  reply.raw =
      absl::StrCat("HTTP/1.1 ", status, " ", http::ReasonPhrase(status),
                   "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    http::EncodeChunk(absl::string_view(body).substr(at, chunk), reply.raw);
  }
  http::EncodeLastChunk(reply.raw);
  return reply;
}

class TestHttpServer::Connection final : public reactor::TransportCallbacks {
 public:
  Connection(TestHttpServer& server, std::unique_ptr<reactor::Transport> transport, int number)
      : server_(server), transport_(std::move(transport)), number_(number) {
    transport_->SetCallbacks(*this);
  }

  bool idle() const { return !closed_ && !hanging_; }
  void Close() {
    if (!closed_) transport_->Close();
    closed_ = true;
  }

  // reactor::TransportCallbacks
  void OnData(absl::string_view bytes) override {
    if (closed_ || !decoder_.Feed(bytes).ok()) return Close();
    while (std::optional<http::HttpRequestEvent> event = decoder_.Next()) {
      auto* request = std::get_if<http::HttpRequest>(&*event);
      if (request == nullptr) continue;
      RecordedRequest recorded;
      recorded.method = std::string(request->method_name);
      recorded.target = std::string(request->target);
      for (const http::HttpHeader& header : request->headers) {
        recorded.headers[absl::AsciiStrToLower(header.name)] = std::string(header.value);
      }
      recorded.body = std::string(request->body);
      recorded.connection = number_;
      server_.requests_.push_back(std::move(recorded));
      Answer(server_.Next());
      if (closed_ || hanging_) return;
    }
  }
  void OnReadEof() override { Close(); }
  void OnWriteBufferHigh() override {}
  void OnWriteBufferLow() override {}
  void OnClosed(absl::Status) override { closed_ = true; }

 private:
  void Answer(const ScriptedReply& reply) {
    switch (reply.kind) {
      case ScriptedReply::Kind::kHang:
        hanging_ = true;
        return;
      case ScriptedReply::Kind::kClose:
        return Close();
      case ScriptedReply::Kind::kRespond:
        (void)transport_->Write(reply.raw);
        if (absl::StrContains(reply.raw, "Connection: close\r\n")) Close();
        return;
    }
  }

  TestHttpServer& server_;
  std::unique_ptr<reactor::Transport> transport_;
  http::HttpRequestDecoder decoder_;
  const int number_;
  bool hanging_ = false;
  bool closed_ = false;
};

absl::StatusOr<std::unique_ptr<TestHttpServer>> TestHttpServer::Start(reactor::EpollEventLoop& loop,
                                                                      const std::string& cert_file,
                                                                      const std::string& key_file) {
  auto server = std::unique_ptr<TestHttpServer>(new TestHttpServer(loop));
  reactor::ServerEndpoint endpoint;
  endpoint.interface = "127.0.0.1";
  endpoint.port = 0;
  if (!cert_file.empty()) {
    endpoint.kind = reactor::EndpointKind::kTls;
    endpoint.tls.cert_file = cert_file;
    endpoint.tls.key_file = key_file;
  }
  absl::StatusOr<std::unique_ptr<reactor::Listener>> listener =
      reactor::ListenEndpoint(loop, endpoint, *server);
  if (!listener.ok()) return listener.status();
  server->listener_ = *std::move(listener);
  return server;
}

TestHttpServer::TestHttpServer(reactor::EpollEventLoop& loop) : loop_(loop) {}

TestHttpServer::~TestHttpServer() = default;

void TestHttpServer::OnAccept(std::unique_ptr<reactor::Transport> transport) {
  connections_.push_back(std::make_unique<Connection>(*this, std::move(transport), ++accepted_));
}

ScriptedReply TestHttpServer::Next() {
  if (script_.empty()) return Respond(200, "{}");
  ScriptedReply reply = std::move(script_.front());
  script_.pop_front();
  return reply;
}

void TestHttpServer::CloseIdleConnections() {
  for (std::unique_ptr<Connection>& connection : connections_) {
    if (connection->idle()) connection->Close();
  }
}

bool TestHttpServer::Run(absl::FunctionRef<bool()> done, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    loop_.RunOnce(absl::Milliseconds(10));
  }
  return true;
}

}  // namespace weft::gateways::webhook::testing
