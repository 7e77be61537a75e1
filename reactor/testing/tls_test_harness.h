// TlsTestHarness: a TLS client and server over a TransportPair on a FakeEventLoop, for the
// TlsTransport tests, plus TlsTestCallbacks, which records every TransportCallbacks event.
//
// Part of //reactor/testing (testonly). Header-only; certificates come from SharedTestPki().
#ifndef WEFT_REACTOR_TESTING_TLS_TEST_HARNESS_H_
#define WEFT_REACTOR_TESTING_TLS_TEST_HARNESS_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "reactor/testing/fake_event_loop.h"
#include "reactor/testing/in_memory_transport.h"
#include "reactor/testing/test_certs.h"
#include "reactor/tls_context.h"
#include "reactor/tls_transport.h"
#include "reactor/transport.h"

namespace weft::reactor {

// Records events; optional hooks run after recording.
class TlsTestCallbacks final : public TransportCallbacks {
 public:
  // TransportCallbacks
  void OnData(absl::string_view bytes) override {
    data.append(bytes.data(), bytes.size());
    if (on_data) on_data(bytes);
  }
  void OnReadEof() override {
    ++eof_count;
    if (on_eof) on_eof();
  }
  void OnWriteBufferHigh() override {
    ++high_count;
    if (on_high) on_high();
  }
  void OnWriteBufferLow() override {
    ++low_count;
    if (on_low) on_low();
  }
  void OnClosed(absl::Status reason) override {
    ++closed_count;
    closed = std::move(reason);
  }

  std::string data;
  int eof_count = 0;
  int high_count = 0;
  int low_count = 0;
  int closed_count = 0;
  std::optional<absl::Status> closed;
  absl::AnyInvocable<void(absl::string_view)> on_data;
  absl::AnyInvocable<void()> on_eof;
  absl::AnyInvocable<void()> on_high;
  absl::AnyInvocable<void()> on_low;
};

class TlsTestHarness : public ::testing::Test {
 protected:
  static TlsServerOptions ServerOptions() {
    TlsServerOptions options;
    options.cert_file = pki().localhost.cert_file;
    options.key_file = pki().localhost.key_file;
    return options;
  }

  static TlsClientOptions ClientOptions() {
    TlsClientOptions options;
    options.ca_file = pki().ca_file;
    return options;
  }

  static const TestPki& pki() { return SharedTestPki(); }

  // Creates the contexts, wraps side A as the client (SNI / expected name `server_name`) and
  // side B as the server, and sets the recording callbacks. Nothing moves until Settle().
  void Start(const TlsServerOptions& server_options, const TlsClientOptions& client_options,
             absl::string_view server_name = "localhost") {
    absl::StatusOr<std::unique_ptr<TlsContext>> server_ctx =
        TlsContext::CreateServer(server_options);
    ASSERT_TRUE(server_ctx.ok()) << server_ctx.status();
    absl::StatusOr<std::unique_ptr<TlsContext>> client_ctx =
        TlsContext::CreateClient(client_options);
    ASSERT_TRUE(client_ctx.ok()) << client_ctx.status();
    server_ctx_ = *std::move(server_ctx);
    client_ctx_ = *std::move(client_ctx);
    Connect(server_name);
  }

  // Like Start(), with contexts the test made (and may have tuned through ssl_ctx()).
  void Connect(absl::string_view server_name = "localhost") {
    std::unique_ptr<Transport> a = pair_.TakeA();
    std::unique_ptr<Transport> b = pair_.TakeB();
    client_inner_ = static_cast<InMemoryTransport*>(a.get());
    server_inner_ = static_cast<InMemoryTransport*>(b.get());
    client_ = TlsTransport::Wrap(loop_, std::move(a), *client_ctx_, TlsRole::kClient, server_name);
    server_ = TlsTransport::Wrap(loop_, std::move(b), *server_ctx_, TlsRole::kServer);
    client_->SetCallbacks(client_events_);
    server_->SetCallbacks(server_events_);
  }

  void Start() { Start(ServerOptions(), ClientOptions()); }

  // Moves bytes and runs the loop until nothing happens any more.
  void Settle() {
    for (int i = 0; i < 10000; ++i) {
      loop_.RunUntilIdle();
      if (pair_.Pump() == 0) {
        loop_.RunUntilIdle();
        if (pair_.Pump() == 0) return;
      }
    }
    FAIL() << "TLS peers never went quiet";
  }

  FakeEventLoop loop_;
  TransportPair pair_{loop_};
  std::unique_ptr<TlsContext> server_ctx_;
  std::unique_ptr<TlsContext> client_ctx_;
  std::unique_ptr<TlsTransport> client_;
  std::unique_ptr<TlsTransport> server_;
  InMemoryTransport* client_inner_ = nullptr;  // Owned by client_.
  InMemoryTransport* server_inner_ = nullptr;  // Owned by server_.
  TlsTestCallbacks client_events_;
  TlsTestCallbacks server_events_;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TESTING_TLS_TEST_HARNESS_H_
