// TestHttpServer: a scripted HTTP/1.1 server on a real loopback socket, for the webhook tests.
//
// Part of //gateways/webhook/testing (testonly). It listens on port 0 (tcp, or tls with the
// given certificate), decodes requests with protocols/http, records each one, and answers from a
// script of replies queued by the test (a 200 `{}` when the script is empty). A reply can also
// hang (never answer) or close the connection without answering. Runs on the test's
// EpollEventLoop; Run() turns it until a condition holds, bounded, with no fixed sleep.
#ifndef WEFT_GATEWAYS_WEBHOOK_TESTING_TEST_HTTP_SERVER_H_
#define WEFT_GATEWAYS_WEBHOOK_TESTING_TEST_HTTP_SERVER_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "reactor/endpoint.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/listener.h"

namespace weft::gateways::webhook::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  absl::flat_hash_map<std::string, std::string> headers;  // Names lowercased.
  std::string body;
  int connection = 0;  // Which accepted connection carried it (1, 2, ...).
};

struct ScriptedReply {
  enum class Kind { kRespond, kHang, kClose };
  Kind kind = Kind::kRespond;
  std::string raw;  // kRespond: the whole response, as bytes.
};

// A response with a Content-Length body (and Connection: close when `close`).
ScriptedReply Respond(int status, const std::string& body, bool close = false);
// The same body in chunks of `chunk` bytes.
ScriptedReply RespondChunked(int status, const std::string& body, std::size_t chunk);

class TestHttpServer final : public reactor::ListenerCallbacks {
 public:
  // tls: the server's certificate and key ("" for plain tcp).
  static absl::StatusOr<std::unique_ptr<TestHttpServer>> Start(reactor::EpollEventLoop& loop,
                                                               const std::string& cert_file = "",
                                                               const std::string& key_file = "");
  ~TestHttpServer() override;

  int port() const { return listener_->port(); }
  void Push(ScriptedReply reply) { script_.push_back(std::move(reply)); }
  const std::vector<RecordedRequest>& requests() const { return requests_; }
  int connections() const { return accepted_; }
  // Closes every idle (answered) connection, as a server's keep-alive timeout does.
  void CloseIdleConnections();

  // Runs the loop until `done()` or 10 s; returns done().
  bool Run(absl::FunctionRef<bool()> done, absl::Duration limit = absl::Seconds(10));

  // reactor::ListenerCallbacks
  void OnAccept(std::unique_ptr<reactor::Transport> transport) override;

 private:
  class Connection;
  friend class Connection;

  explicit TestHttpServer(reactor::EpollEventLoop& loop);
  ScriptedReply Next();

  reactor::EpollEventLoop& loop_;
  std::unique_ptr<reactor::Listener> listener_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::deque<ScriptedReply> script_;
  std::vector<RecordedRequest> requests_;
  int accepted_ = 0;
};

}  // namespace weft::gateways::webhook::testing

#endif  // WEFT_GATEWAYS_WEBHOOK_TESTING_TEST_HTTP_SERVER_H_
