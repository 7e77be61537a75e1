// TlsTransport over real loopback TCP (TcpListener + TlsListener, ConnectStream) on an
// EpollEventLoop: the production pairing of TLS with TcpTransport's watermarks and read buffer.
// Every wait is bounded (RunUntil); none is a fixed sleep.
#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/socket_address.h"
#include "reactor/tcp_listener.h"
#include "reactor/tcp_test_util.h"
#include "reactor/testing/test_certs.h"
#include "reactor/tls_context.h"
#include "reactor/tls_listener.h"
#include "reactor/tls_transport.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::HasSubstr;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

class TlsTcpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    ASSERT_THAT(loop, IsOk());
    loop_ = *std::move(loop);
    TlsServerOptions options;
    options.cert_file = SharedTestPki().localhost.cert_file;
    options.key_file = SharedTestPki().localhost.key_file;
    options.alpn = {"weft-echo"};
    absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateServer(options);
    ASSERT_THAT(ctx, IsOk());
    listener_ = std::make_unique<TlsListener>(*loop_, *std::move(ctx), accepted_);
    absl::StatusOr<SocketAddress> address = SocketAddress::FromIp("127.0.0.1", 0);
    ASSERT_THAT(address, IsOk());
    absl::StatusOr<std::unique_ptr<TcpListener>> tcp =
        TcpListener::Create(*loop_, *address, ListenOptions{}, *listener_);
    ASSERT_THAT(tcp, IsOk());
    listener_->SetInner(*std::move(tcp));
  }

  // Connects a TLS client to the listener and waits for the server side to be accepted.
  void Connect(const std::string& ca_file) {
    TlsClientOptions options;
    options.ca_file = ca_file;
    options.alpn = {"weft-echo"};
    absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateClient(options);
    ASSERT_THAT(ctx, IsOk());
    absl::StatusOr<SocketAddress> address = SocketAddress::FromIp("127.0.0.1", listener_->port());
    ASSERT_THAT(address, IsOk());
    std::unique_ptr<ConnectRequest> request =
        ConnectStream(*loop_, *address, absl::Seconds(10),
                      [&](absl::StatusOr<std::unique_ptr<TcpTransport>> tcp) {
                        ASSERT_THAT(tcp, IsOk());
                        // The context is not retained: the transport holds its SSL_CTX.
                        client_ = TlsTransport::Wrap(*loop_, *std::move(tcp), **ctx,
                                                     TlsRole::kClient, "localhost");
                        client_->SetCallbacks(client_events_);
                      });
    ASSERT_TRUE(
        RunUntil(*loop_, [&] { return client_ != nullptr && !accepted_.accepted.empty(); }));
    server_ = std::move(accepted_.accepted.front());
    accepted_.accepted.clear();
    server_->SetCallbacks(server_events_);
  }

  std::unique_ptr<EpollEventLoop> loop_;
  AcceptQueue accepted_;
  std::unique_ptr<TlsListener> listener_;
  std::unique_ptr<TlsTransport> client_;
  std::unique_ptr<Transport> server_;
  RecordingCallbacks client_events_;
  RecordingCallbacks server_events_;
};

TEST_F(TlsTcpTest, EchoesFourMebibytesWithFlowControlThenClosesCleanly) {
  Connect(SharedTestPki().ca_file);
  // The server echoes, pausing its reads while its own writes are above the high mark.
  server_events_.on_data = [this](absl::string_view bytes) {
    ASSERT_THAT(server_->Write(bytes), IsOk());
  };
  server_events_.on_high = [this] { server_->PauseReading(); };
  server_events_.on_low = [this] { server_->ResumeReading(); };
  server_events_.on_read_eof = [this] { server_->Close(); };

  const std::string payload = Payload(4 * 1024 * 1024);
  std::size_t sent = 0;
  bool blocked = false;
  auto produce = [&] {
    while (sent < payload.size() && !blocked) {
      const std::size_t n = std::min<std::size_t>(16 * 1024, payload.size() - sent);
      ASSERT_THAT(client_->Write(absl::string_view(payload).substr(sent, n)), IsOk());
      sent += n;
    }
  };
  client_events_.on_high = [&] { blocked = true; };
  client_events_.on_low = [&] {
    blocked = false;
    produce();
  };
  produce();
  ASSERT_TRUE(RunUntil(
      *loop_,
      [&] { return client_events_.data.size() >= payload.size() || client_events_.closed(); },
      absl::Seconds(60)));
  EXPECT_TRUE(client_events_.data == payload) << "echo differs";
  EXPECT_EQ(client_->alpn_protocol(), "weft-echo");
  EXPECT_EQ(client_->protocol_version(), "TLSv1.3");

  client_->Close();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return client_events_.closed() && server_events_.closed(); }));
  EXPECT_THAT(client_events_.close_reason(), IsOk());
  EXPECT_THAT(server_events_.close_reason(), IsOk());
  EXPECT_EQ(server_events_.eof_count, 1);
  EXPECT_EQ(client_events_.events_after_close + server_events_.events_after_close, 0);
}

TEST_F(TlsTcpTest, UntrustedServerIsUnauthenticatedOverTcp) {
  Connect(SharedTestPki().other_ca_file);
  ASSERT_THAT(client_->Write("hello"), IsOk());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return client_events_.closed() && server_events_.closed(); }));
  EXPECT_THAT(client_events_.close_reason(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(client_events_.close_reason().message()),
              HasSubstr("certificate verify failed"));
  EXPECT_THAT(server_events_.close_reason(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(server_events_.data, "");
}

}  // namespace
}  // namespace weft::reactor
