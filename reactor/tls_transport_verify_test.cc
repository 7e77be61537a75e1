// TlsTransport handshake policy over an in-memory TransportPair: certificate verification,
// hostname checks, client certificates, SNI, ALPN, and what a broken handshake reports.
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/testing/in_memory_transport.h"
#include "reactor/testing/tls_test_harness.h"
#include "reactor/tls_context.h"
#include "reactor/tls_transport.h"
#include "reactor/transport.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

using TlsVerifyTest = TlsTestHarness;

// Both sides closed, neither saw data, and no message leaks key material.
void ExpectFailedBothWays(const TlsTestCallbacks& client, const TlsTestCallbacks& server) {
  ASSERT_EQ(client.closed_count, 1);
  ASSERT_EQ(server.closed_count, 1);
  EXPECT_FALSE(client.closed->ok());
  EXPECT_FALSE(server.closed->ok());
  EXPECT_EQ(client.data, "");
  EXPECT_EQ(server.data, "");
  for (const absl::Status* status : {&*client.closed, &*server.closed}) {
    EXPECT_THAT(status->message(), HasSubstr("tls: "));
    EXPECT_THAT(status->message(), Not(HasSubstr("PRIVATE")));
  }
}

TEST_F(TlsVerifyTest, RejectsCertificateFromUnknownCa) {
  TlsServerOptions server = ServerOptions();
  server.cert_file = pki().untrusted.cert_file;
  server.key_file = pki().untrusted.key_file;
  Start(server, ClientOptions());
  ASSERT_THAT(client_->Write("never sent"), IsOk());
  Settle();
  ExpectFailedBothWays(client_events_, server_events_);
  EXPECT_THAT(*client_events_.closed, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(client_events_.closed->message(),
              HasSubstr("tls: certificate verify failed: unable to get local issuer certificate"));
  // The server hears the client's unknown_ca alert.
  EXPECT_THAT(*server_events_.closed, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(server_events_.closed->message()), HasSubstr("unknown ca"));
  EXPECT_FALSE(client_->handshake_complete());
}

TEST_F(TlsVerifyTest, RejectsHostnameMismatch) {
  Start(ServerOptions(), ClientOptions(), "alt.weft.test");
  Settle();
  ExpectFailedBothWays(client_events_, server_events_);
  EXPECT_THAT(*client_events_.closed, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(client_events_.closed->message()), HasSubstr("hostname mismatch"));
}

TEST_F(TlsVerifyTest, MatchesIpAddressInSubjectAltName) {
  Start(ServerOptions(), ClientOptions(), "127.0.0.1");
  Settle();
  EXPECT_TRUE(client_->handshake_complete());
  EXPECT_EQ(server_->server_name(), "");  // No SNI for address literals (RFC 6066 §3).
  EXPECT_EQ(client_events_.closed_count, 0);
}

TEST_F(TlsVerifyTest, RejectsExpiredCertificate) {
  TlsServerOptions server = ServerOptions();
  server.cert_file = pki().expired.cert_file;
  server.key_file = pki().expired.key_file;
  Start(server, ClientOptions());
  Settle();
  ExpectFailedBothWays(client_events_, server_events_);
  EXPECT_THAT(*client_events_.closed, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(client_events_.closed->message()), HasSubstr("certificate has expired"));
}

TEST_F(TlsVerifyTest, VerifyPeerOffAcceptsAnyCertificate) {
  TlsServerOptions server = ServerOptions();
  server.cert_file = pki().untrusted.cert_file;
  server.key_file = pki().untrusted.key_file;
  TlsClientOptions client = ClientOptions();
  client.verify_peer = false;
  Start(server, client, "wrong.name");
  ASSERT_THAT(client_->Write("ok"), IsOk());
  Settle();
  EXPECT_TRUE(client_->handshake_complete());
  EXPECT_EQ(server_events_.data, "ok");
}

TEST_F(TlsVerifyTest, RequiredClientCertificateIsVerified) {
  TlsServerOptions server = ServerOptions();
  server.ca_file = pki().ca_file;
  server.require_client_cert = true;
  TlsClientOptions client = ClientOptions();
  client.cert_file = pki().client.cert_file;
  client.key_file = pki().client.key_file;
  Start(server, client);
  ASSERT_THAT(client_->Write("authenticated"), IsOk());
  Settle();
  EXPECT_EQ(server_events_.data, "authenticated");
  EXPECT_EQ(server_->peer_subject(), "CN=weft-test-client,O=Weft Test");
}

TEST_F(TlsVerifyTest, MissingRequiredClientCertificateIsUnauthenticated) {
  TlsServerOptions server = ServerOptions();
  server.ca_file = pki().ca_file;
  server.require_client_cert = true;
  Start(server, ClientOptions());
  ASSERT_THAT(client_->Write("anonymous"), IsOk());
  Settle();
  ExpectFailedBothWays(client_events_, server_events_);
  EXPECT_THAT(*server_events_.closed, StatusIs(absl::StatusCode::kUnauthenticated));
  // In TLS 1.3 the client learns of the rejection only after its handshake finished.
  EXPECT_THAT(*client_events_.closed, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(client_events_.closed->message()), HasSubstr("certificate required"));
}

TEST_F(TlsVerifyTest, ClientCertificateFromUnknownCaIsUnauthenticated) {
  TlsServerOptions server = ServerOptions();
  server.ca_file = pki().ca_file;
  TlsClientOptions client = ClientOptions();
  client.cert_file = pki().untrusted.cert_file;
  client.key_file = pki().untrusted.key_file;
  Start(server, client);
  Settle();
  ASSERT_EQ(server_events_.closed_count, 1);
  EXPECT_THAT(*server_events_.closed, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(server_events_.closed->message()),
              HasSubstr("certificate verify failed"));
}

TEST_F(TlsVerifyTest, SniSelectsTheMatchingCertificate) {
  TlsServerOptions server = ServerOptions();
  server.sni_certificates.push_back(
      {"ALT.weft.test", pki().alternate.cert_file, pki().alternate.key_file});
  Start(server, ClientOptions(), "alt.weft.test");
  Settle();
  ASSERT_TRUE(client_->handshake_complete());
  EXPECT_EQ(server_->server_name(), "alt.weft.test");
  EXPECT_EQ(client_->server_name(), "alt.weft.test");
  EXPECT_THAT(client_->peer_subject(), HasSubstr("CN=alt.weft.test"));
}

TEST_F(TlsVerifyTest, SniWithUnknownNameGetsTheDefaultCertificate) {
  TlsServerOptions server = ServerOptions();
  server.sni_certificates.push_back(
      {"alt.weft.test", pki().alternate.cert_file, pki().alternate.key_file});
  Start(server, ClientOptions(), "localhost");
  Settle();
  ASSERT_TRUE(client_->handshake_complete());
  EXPECT_EQ(server_->server_name(), "localhost");
  EXPECT_THAT(client_->peer_subject(), HasSubstr("CN=localhost"));
}

TEST_F(TlsVerifyTest, NegotiatesAlpnInServerPreferenceOrder) {
  TlsServerOptions server = ServerOptions();
  server.alpn = {"h2", "http/1.1"};
  TlsClientOptions client = ClientOptions();
  client.alpn = {"http/1.1", "h2"};
  Start(server, client);
  Settle();
  ASSERT_TRUE(client_->handshake_complete());
  EXPECT_EQ(client_->alpn_protocol(), "h2");
  EXPECT_EQ(server_->alpn_protocol(), "h2");
}

TEST_F(TlsVerifyTest, NoAlpnWhenTheClientOffersNone) {
  TlsServerOptions server = ServerOptions();
  server.alpn = {"h2"};
  Start(server, ClientOptions());
  Settle();
  ASSERT_TRUE(client_->handshake_complete());
  EXPECT_EQ(server_->alpn_protocol(), "");
}

TEST_F(TlsVerifyTest, AlpnWithoutCommonProtocolFailsHandshake) {
  TlsServerOptions server = ServerOptions();
  server.alpn = {"h2"};
  TlsClientOptions client = ClientOptions();
  client.alpn = {"imap"};
  Start(server, client);
  Settle();
  ExpectFailedBothWays(client_events_, server_events_);
  EXPECT_THAT(*server_events_.closed, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(*client_events_.closed, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(client_events_.closed->message()), HasSubstr("no application protocol"));
}

TEST_F(TlsVerifyTest, GarbageInsteadOfClientHelloClosesWithInvalidArgument) {
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateServer(ServerOptions());
  ASSERT_THAT(ctx, IsOk());
  std::unique_ptr<Transport> raw = pair_.TakeA();
  TlsTestCallbacks raw_events;
  raw->SetCallbacks(raw_events);
  server_ = TlsTransport::Wrap(loop_, pair_.TakeB(), **ctx, TlsRole::kServer);
  server_->SetCallbacks(server_events_);
  ASSERT_THAT(raw->Write("GET / HTTP/1.1\r\nHost: example\r\n\r\n"), IsOk());
  Settle();
  ASSERT_EQ(server_events_.closed_count, 1);
  EXPECT_THAT(*server_events_.closed, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(server_events_.closed->message()), HasSubstr("tls: handshake failed: "));
  EXPECT_THAT(std::string(server_events_.closed->message()), HasSubstr("SSL routines"));
  EXPECT_EQ(server_events_.data, "");
  // The raw peer gets at most an alert, then the connection ends.
  EXPECT_EQ(raw_events.eof_count, 1);
}

TEST_F(TlsVerifyTest, GarbageAfterHandshakeIsAProtocolError) {
  Start();
  Settle();
  ASSERT_TRUE(server_->handshake_complete());
  // Bytes injected under the client's TLS layer: not a valid record for the server.
  ASSERT_THAT(client_inner_->Write(std::string(64, '\x17')), IsOk());
  Settle();
  ASSERT_EQ(server_events_.closed_count, 1);
  EXPECT_THAT(*server_events_.closed, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(server_events_.closed->message()), HasSubstr("tls: protocol error: "));
}

// Creates the default contexts without connecting, so a test can tune them first.
absl::Status MakeContexts(std::unique_ptr<TlsContext>& server, std::unique_ptr<TlsContext>& client,
                          const TlsServerOptions& server_options,
                          const TlsClientOptions& client_options) {
  absl::StatusOr<std::unique_ptr<TlsContext>> s = TlsContext::CreateServer(server_options);
  if (!s.ok()) return s.status();
  absl::StatusOr<std::unique_ptr<TlsContext>> c = TlsContext::CreateClient(client_options);
  if (!c.ok()) return c.status();
  server = *std::move(s);
  client = *std::move(c);
  return absl::OkStatus();
}

TEST_F(TlsVerifyTest, SpeaksTls12WithPeersThatStopThere) {
  ASSERT_THAT(MakeContexts(server_ctx_, client_ctx_, ServerOptions(), ClientOptions()), IsOk());
  SSL_CTX_set_max_proto_version(client_ctx_->ssl_ctx(), TLS1_2_VERSION);
  Connect();
  ASSERT_THAT(client_->Write("over 1.2"), IsOk());
  Settle();
  EXPECT_EQ(client_->protocol_version(), "TLSv1.2");
  EXPECT_EQ(server_events_.data, "over 1.2");
}

TEST_F(TlsVerifyTest, RefusesTls11) {
  ASSERT_THAT(MakeContexts(server_ctx_, client_ctx_, ServerOptions(), ClientOptions()), IsOk());
  // Let the client offer TLS 1.1 at all: its ciphers and security level.
  ASSERT_EQ(SSL_CTX_set_cipher_list(client_ctx_->ssl_ctx(), "DEFAULT:@SECLEVEL=0"), 1);
  SSL_CTX_set_min_proto_version(client_ctx_->ssl_ctx(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(client_ctx_->ssl_ctx(), TLS1_1_VERSION);
  Connect();
  Settle();
  ASSERT_EQ(server_events_.closed_count, 1);
  EXPECT_THAT(*server_events_.closed, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(server_events_.closed->message()), HasSubstr("unsupported protocol"));
  ASSERT_EQ(client_events_.closed_count, 1);
  EXPECT_FALSE(client_events_.closed->ok());
}

TEST_F(TlsVerifyTest, OverlongServerNameClosesWithInvalidArgument) {
  Start(ServerOptions(), ClientOptions(), std::string(300, 'a'));
  EXPECT_EQ(client_events_.closed_count, 0);  // Reported from the loop, not inside Wrap().
  Settle();
  ASSERT_EQ(client_events_.closed_count, 1);
  EXPECT_THAT(*client_events_.closed, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(client_events_.closed->message()), HasSubstr("invalid server name"));
}

TEST_F(TlsVerifyTest, FailedHandshakeRejectsLaterWrites) {
  TlsServerOptions server = ServerOptions();
  server.cert_file = pki().untrusted.cert_file;
  server.key_file = pki().untrusted.key_file;
  Start(server, ClientOptions());
  Settle();
  EXPECT_THAT(client_->Write("x"), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace weft::reactor
