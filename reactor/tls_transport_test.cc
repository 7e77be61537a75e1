// TlsTransport over an in-memory TransportPair: handshake, data both ways, flow control,
// pausing, orderly and abrupt close, and STARTTLS. Certificate, SNI and ALPN behaviour is in
// tls_transport_verify_test.cc.
#include "reactor/tls_transport.h"

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/testing/fake_event_loop.h"
#include "reactor/testing/in_memory_transport.h"
#include "reactor/testing/tls_test_harness.h"
#include "reactor/tls_context.h"
#include "reactor/transport.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::HasSubstr;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

using TlsTransportTest = TlsTestHarness;

TEST_F(TlsTransportTest, HandshakeCompletesAndDataFlowsBothWays) {
  Start();
  server_events_.on_data = [this](absl::string_view bytes) {
    ASSERT_THAT(server_->Write(absl::StrCat("echo:", bytes)), IsOk());
  };
  EXPECT_FALSE(client_->handshake_complete());
  ASSERT_THAT(client_->Write("hello"), IsOk());
  Settle();

  EXPECT_TRUE(client_->handshake_complete());
  EXPECT_TRUE(server_->handshake_complete());
  EXPECT_EQ(server_events_.data, "hello");
  EXPECT_EQ(client_events_.data, "echo:hello");
  EXPECT_EQ(client_->protocol_version(), "TLSv1.3");
  EXPECT_THAT(client_->peer_subject(), HasSubstr("CN=localhost"));
  EXPECT_EQ(server_->peer_subject(), "");  // No client certificate was requested.
  EXPECT_EQ(server_->server_name(), "localhost");
  EXPECT_EQ(server_->alpn_protocol(), "");
  EXPECT_EQ(client_->peer_address(), "memory:b");
  EXPECT_EQ(server_events_.closed_count + client_events_.closed_count, 0);
}

TEST_F(TlsTransportTest, CiphertextOnTheWireIsNotPlaintext) {
  Start();
  Settle();
  ASSERT_THAT(client_->Write("top secret payload"), IsOk());
  // Before pumping, the client's bytes sit in its inner transport's written() buffer.
  EXPECT_FALSE(client_inner_->written().empty());
  EXPECT_THAT(client_inner_->written(), ::testing::Not(HasSubstr("top secret")));
  Settle();
  EXPECT_EQ(server_events_.data, "top secret payload");
}

TEST_F(TlsTransportTest, WritesBeforeHandshakeAreHeldThenSentInOrder) {
  Start();
  ASSERT_THAT(client_->Write("one,"), IsOk());
  ASSERT_THAT(client_->Write("two,"), IsOk());
  EXPECT_EQ(client_->buffered_bytes() >= 8, true);
  ASSERT_THAT(server_->Write("server first"), IsOk());
  Settle();
  EXPECT_EQ(server_events_.data, "one,two,");
  EXPECT_EQ(client_events_.data, "server first");
}

TEST_F(TlsTransportTest, LargeTransferHonoursWatermarksAndPauses) {
  constexpr std::size_t kTotal = 4 * 1024 * 1024;
  constexpr std::size_t kChunk = 8 * 1024;
  std::string pattern(kTotal, '\0');
  for (std::size_t i = 0; i < kTotal; ++i) pattern[i] = static_cast<char>((i * 131 + 7) % 251);

  Start();
  pair_.SetWindow(TransportPair::Side::kA, 32 * 1024);
  client_->SetWatermarks({.low = 16 * 1024, .high = 64 * 1024, .max = 1024 * 1024});
  std::size_t sent = 0;
  bool blocked = false;
  std::size_t max_buffered = 0;
  auto produce = [&] {
    while (sent < kTotal && !blocked) {
      const std::size_t n = std::min(kChunk, kTotal - sent);
      ASSERT_THAT(client_->Write(absl::string_view(pattern).substr(sent, n)), IsOk());
      sent += n;
      max_buffered = std::max(max_buffered, client_->buffered_bytes());
    }
  };
  client_events_.on_high = [&] { blocked = true; };
  client_events_.on_low = [&] {
    blocked = false;
    produce();
  };
  // The server pauses after every 512 KiB and the test resumes it, checking nothing arrives
  // (and nothing is lost) meanwhile.
  std::size_t next_pause = 512 * 1024;
  server_events_.on_data = [&](absl::string_view) {
    if (server_events_.data.size() >= next_pause) {
      next_pause += 512 * 1024;
      server_->PauseReading();
    }
  };
  produce();
  for (int round = 0; round < 1000 && server_events_.data.size() < kTotal; ++round) {
    Settle();
    const std::size_t received = server_events_.data.size();
    Settle();
    ASSERT_EQ(server_events_.data.size(), received) << "data arrived while paused";
    server_->ResumeReading();
  }
  ASSERT_EQ(server_events_.data.size(), kTotal);
  EXPECT_TRUE(server_events_.data == pattern) << "payload corrupted";
  EXPECT_GT(client_events_.high_count, 0);
  EXPECT_EQ(client_events_.high_count, client_events_.low_count);
  // Producers stop at the high mark, so the buffer overshoots by at most one chunk plus
  // record overhead.
  EXPECT_LE(max_buffered, 64 * 1024 + kChunk + 1024);
  EXPECT_EQ(client_->buffered_bytes(), 0u);
}

TEST_F(TlsTransportTest, WriteBeyondMaxIsResourceExhausted) {
  Start();
  client_->SetWatermarks({.low = 1, .high = 2, .max = 100});
  EXPECT_THAT(client_->Write(std::string(101, 'x')),
              StatusIs(absl::StatusCode::kResourceExhausted));
  ASSERT_THAT(client_->Write(std::string(100, 'x')), IsOk());
  EXPECT_EQ(client_events_.high_count, 1);
  Settle();
  EXPECT_EQ(server_events_.data, std::string(100, 'x'));
  EXPECT_EQ(client_events_.low_count, 1);
}

TEST_F(TlsTransportTest, PauseHoldsDecryptedDataUntilResumed) {
  Start();
  Settle();
  client_events_.on_data = [this](absl::string_view) { client_->PauseReading(); };
  ASSERT_THAT(server_->Write("first"), IsOk());
  Settle();
  ASSERT_THAT(server_->Write("second"), IsOk());
  ASSERT_THAT(server_->Write("third"), IsOk());
  Settle();
  EXPECT_EQ(client_events_.data, "first");
  EXPECT_TRUE(client_inner_->reading_paused());

  client_events_.on_data = nullptr;
  client_->ResumeReading();
  EXPECT_EQ(client_events_.data, "first");  // Never delivered inside ResumeReading().
  Settle();
  EXPECT_EQ(client_events_.data, "firstsecondthird");
  EXPECT_FALSE(client_inner_->reading_paused());
}

TEST_F(TlsTransportTest, PauseInsideARecordBatchKeepsTheRest) {
  Start();
  Settle();
  // Many records arrive in one inner OnData(); the consumer pauses after the first.
  client_events_.on_data = [this](absl::string_view) { client_->PauseReading(); };
  for (int i = 0; i < 50; ++i) ASSERT_THAT(server_->Write(std::string(1000, 'a' + i % 26)), IsOk());
  Settle();
  EXPECT_EQ(client_events_.data.size(), 1000u);
  for (int i = 1; i < 50 && client_events_.data.size() < 50000; ++i) {
    client_->ResumeReading();
    Settle();
  }
  ASSERT_EQ(client_events_.data.size(), 50000u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(client_events_.data.substr(i * 1000, 1000), std::string(1000, 'a' + i % 26));
  }
}

TEST_F(TlsTransportTest, CloseSendsCloseNotifyWhichArrivesAsReadEof) {
  Start();
  Settle();
  ASSERT_THAT(client_->Write("last words"), IsOk());
  client_->Close();
  EXPECT_EQ(client_events_.closed_count, 0);  // Never inside Close().
  EXPECT_THAT(client_->Write("more"), StatusIs(absl::StatusCode::kFailedPrecondition));
  Settle();
  EXPECT_EQ(server_events_.data, "last words");
  EXPECT_EQ(server_events_.eof_count, 1);
  EXPECT_EQ(server_events_.closed_count, 0);  // The server decides when to close.
  ASSERT_EQ(client_events_.closed_count, 1);
  EXPECT_THAT(*client_events_.closed, IsOk());

  server_->Close();
  Settle();
  ASSERT_EQ(server_events_.closed_count, 1);
  EXPECT_THAT(*server_events_.closed, IsOk());
  EXPECT_EQ(client_events_.closed_count, 1);
}

TEST_F(TlsTransportTest, ShutdownWriteKeepsReading) {
  Start();
  Settle();
  client_->ShutdownWrite();
  EXPECT_THAT(client_->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  Settle();
  EXPECT_EQ(server_events_.eof_count, 1);
  ASSERT_THAT(server_->Write("reply after eof"), IsOk());
  server_->Close();
  Settle();
  EXPECT_EQ(client_events_.data, "reply after eof");
  EXPECT_EQ(client_events_.eof_count, 1);
  ASSERT_EQ(client_events_.closed_count, 1);
  EXPECT_THAT(*client_events_.closed, IsOk());
  ASSERT_EQ(server_events_.closed_count, 1);
  EXPECT_THAT(*server_events_.closed, IsOk());
}

TEST_F(TlsTransportTest, CloseBeforeHandshakeFlushesHeldWrites) {
  Start();
  ASSERT_THAT(client_->Write("early"), IsOk());
  client_->Close();
  Settle();
  EXPECT_EQ(server_events_.data, "early");
  EXPECT_EQ(server_events_.eof_count, 1);
  ASSERT_EQ(client_events_.closed_count, 1);
  EXPECT_THAT(*client_events_.closed, IsOk());
}

TEST_F(TlsTransportTest, PeerEofWithoutCloseNotifyIsUnavailable) {
  Start();
  Settle();
  client_inner_->ShutdownWrite();  // A FIN under TLS's feet: a truncation.
  Settle();
  EXPECT_EQ(server_events_.eof_count, 0);
  ASSERT_EQ(server_events_.closed_count, 1);
  EXPECT_THAT(*server_events_.closed, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(server_events_.closed->message()), HasSubstr("without close_notify"));
}

TEST_F(TlsTransportTest, PeerEofDuringHandshakeIsUnavailable) {
  Start();
  client_inner_->ShutdownWrite();  // A FIN right after the ClientHello.
  Settle();
  ASSERT_EQ(server_events_.closed_count, 1);
  EXPECT_THAT(*server_events_.closed, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(server_events_.closed->message()), HasSubstr("during handshake"));
}

TEST_F(TlsTransportTest, AbortIsCancelledAndResetsThePeer) {
  Start();
  Settle();
  ASSERT_THAT(client_->Write("dropped?"), IsOk());
  client_->Abort();
  EXPECT_EQ(client_events_.closed_count, 0);
  Settle();
  ASSERT_EQ(client_events_.closed_count, 1);
  EXPECT_THAT(*client_events_.closed, StatusIs(absl::StatusCode::kCancelled));
  ASSERT_EQ(server_events_.closed_count, 1);
  EXPECT_THAT(*server_events_.closed, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TlsTransportTest, ResetByPeerPassesThroughAsUnavailable) {
  Start();
  Settle();
  server_inner_->Abort();
  Settle();
  ASSERT_EQ(client_events_.closed_count, 1);
  EXPECT_THAT(*client_events_.closed, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(client_->Write("x"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TlsTransportTest, ConsumerMayDestroyTheTransportInsideOnData) {
  Start();
  Settle();
  client_events_.on_data = [this](absl::string_view) { client_.reset(); };
  ASSERT_THAT(server_->Write("a"), IsOk());
  ASSERT_THAT(server_->Write("b"), IsOk());
  Settle();
  EXPECT_EQ(client_, nullptr);
  EXPECT_EQ(client_events_.data, "a");
}

TEST_F(TlsTransportTest, ConsumerMayDestroyTheTransportWhenHeldWritesDrain) {
  Start();
  client_->SetWatermarks({.low = 10, .high = 20, .max = 1000});
  ASSERT_THAT(client_->Write(std::string(100, 'x')), IsOk());  // Held: above the high mark.
  EXPECT_EQ(client_events_.high_count, 1);
  client_events_.on_low = [this] { client_.reset(); };  // Fires as the handshake completes.
  Settle();
  EXPECT_EQ(client_, nullptr);
  EXPECT_EQ(client_events_.low_count, 1);
  EXPECT_EQ(server_events_.data, std::string(100, 'x'));
}

TEST_F(TlsTransportTest, CallbacksSetLateStillReceiveEverything) {
  absl::StatusOr<std::unique_ptr<TlsContext>> server_ctx =
      TlsContext::CreateServer(ServerOptions());
  absl::StatusOr<std::unique_ptr<TlsContext>> client_ctx =
      TlsContext::CreateClient(ClientOptions());
  ASSERT_THAT(server_ctx, IsOk());
  ASSERT_THAT(client_ctx, IsOk());
  client_ = TlsTransport::Wrap(loop_, pair_.TakeA(), **client_ctx, TlsRole::kClient, "localhost");
  server_ = TlsTransport::Wrap(loop_, pair_.TakeB(), **server_ctx, TlsRole::kServer);
  ASSERT_THAT(client_->Write("before callbacks"), IsOk());
  server_->SetCallbacks(server_events_);
  client_->Close();
  Settle();  // The client has no consumer yet; its OnClosed() waits for one.
  EXPECT_EQ(server_events_.data, "before callbacks");
  client_->SetCallbacks(client_events_);
  EXPECT_EQ(client_events_.closed_count, 0);
  Settle();
  ASSERT_EQ(client_events_.closed_count, 1);
  EXPECT_THAT(*client_events_.closed, IsOk());
}

// A plain-text line session that upgrades to TLS on "STARTTLS", as SMTP and IMAP do.
class StartTlsSession final : public TransportCallbacks {
 public:
  StartTlsSession(EventLoop& loop, std::unique_ptr<Transport> transport, const TlsContext& ctx,
                  TlsRole role)
      : loop_(loop), transport_(std::move(transport)), ctx_(ctx), role_(role) {
    transport_->SetCallbacks(*this);
  }

  void Upgrade() {
    transport_ = TlsTransport::Wrap(loop_, std::move(transport_), ctx_, role_, "localhost");
    transport_->SetCallbacks(*this);
    tls_ = static_cast<TlsTransport*>(transport_.get());
  }

  // TransportCallbacks
  void OnData(absl::string_view bytes) override {
    received.append(bytes.data(), bytes.size());
    if (role_ == TlsRole::kServer && tls_ == nullptr && received == "STARTTLS\r\n") {
      ASSERT_THAT(transport_->Write("220 ready\r\n"), IsOk());
      received.clear();
      Upgrade();
    } else if (role_ == TlsRole::kServer && tls_ != nullptr) {
      ASSERT_THAT(transport_->Write(absl::StrCat("tls-echo:", bytes)), IsOk());
    }
  }
  void OnReadEof() override {}
  void OnWriteBufferHigh() override {}
  void OnWriteBufferLow() override {}
  void OnClosed(absl::Status reason) override { closed = std::move(reason); }

  Transport& transport() { return *transport_; }

  std::string received;
  TlsTransport* tls_ = nullptr;  // Set after Upgrade(); owned by transport_.
  std::optional<absl::Status> closed;

 private:
  EventLoop& loop_;
  std::unique_ptr<Transport> transport_;
  const TlsContext& ctx_;
  const TlsRole role_;
};

TEST_F(TlsTransportTest, StartTlsUpgradesAPlainConnectionMidStream) {
  absl::StatusOr<std::unique_ptr<TlsContext>> server_ctx =
      TlsContext::CreateServer(ServerOptions());
  absl::StatusOr<std::unique_ptr<TlsContext>> client_ctx =
      TlsContext::CreateClient(ClientOptions());
  ASSERT_THAT(server_ctx, IsOk());
  ASSERT_THAT(client_ctx, IsOk());
  StartTlsSession client(loop_, pair_.TakeA(), **client_ctx, TlsRole::kClient);
  StartTlsSession server(loop_, pair_.TakeB(), **server_ctx, TlsRole::kServer);

  ASSERT_THAT(client.transport().Write("STARTTLS\r\n"), IsOk());
  Settle();
  EXPECT_EQ(client.received, "220 ready\r\n");
  ASSERT_NE(server.tls_, nullptr);
  client.received.clear();
  client.Upgrade();
  ASSERT_THAT(client.transport().Write("secret"), IsOk());
  Settle();

  ASSERT_TRUE(client.tls_->handshake_complete());
  EXPECT_TRUE(server.tls_->handshake_complete());
  EXPECT_EQ(server.received, "secret");
  EXPECT_EQ(client.received, "tls-echo:secret");
  client.transport().Close();
  Settle();
  ASSERT_TRUE(client.closed.has_value());
  EXPECT_THAT(*client.closed, IsOk());
}

}  // namespace
}  // namespace weft::reactor
