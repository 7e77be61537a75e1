#include "reactor/tls_context.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/testing/test_certs.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

const TestPki& pki() { return SharedTestPki(); }

TlsServerOptions ValidServer() {
  TlsServerOptions options;
  options.cert_file = pki().localhost.cert_file;
  options.key_file = pki().localhost.key_file;
  return options;
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// Every loading error names the file, starts with "tls: " and ends without a period.
::testing::Matcher<const std::string&> ErrorNaming(const std::string& path) {
  return AllOf(StartsWith("tls: "), HasSubstr(absl::StrCat("'", path, "'")), Not(EndsWith(".")));
}

TEST(TlsContextTest, CreatesServerAndClientContexts) {
  absl::StatusOr<std::unique_ptr<TlsContext>> server = TlsContext::CreateServer(ValidServer());
  ASSERT_THAT(server, IsOk());
  EXPECT_TRUE((*server)->is_server());
  EXPECT_NE((*server)->ssl_ctx(), nullptr);

  TlsClientOptions client;
  client.ca_file = pki().ca_file;
  absl::StatusOr<std::unique_ptr<TlsContext>> created = TlsContext::CreateClient(client);
  ASSERT_THAT(created, IsOk());
  EXPECT_FALSE((*created)->is_server());
  EXPECT_TRUE((*created)->verify_peer());
}

TEST(TlsContextTest, ClientWithoutCaFileUsesTheSystemTrustStore) {
  EXPECT_THAT(TlsContext::CreateClient(TlsClientOptions{}), IsOk());
}

TEST(TlsContextTest, EnforcesTls12Minimum) {
  absl::StatusOr<std::unique_ptr<TlsContext>> server = TlsContext::CreateServer(ValidServer());
  ASSERT_THAT(server, IsOk());
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*server)->ssl_ctx()), TLS1_2_VERSION);
}

TEST(TlsContextTest, MissingCertificateFileIsNotFound) {
  TlsServerOptions options = ValidServer();
  options.cert_file = pki().dir + "/no-such.crt";
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateServer(options);
  EXPECT_THAT(ctx, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Message(ctx.status()), ErrorNaming(options.cert_file));
}

TEST(TlsContextTest, MissingKeyFileIsNotFound) {
  TlsServerOptions options = ValidServer();
  options.key_file = pki().dir + "/no-such.key";
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateServer(options);
  EXPECT_THAT(ctx, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Message(ctx.status()), ErrorNaming(options.key_file));
}

TEST(TlsContextTest, MissingCaFileIsNotFound) {
  TlsClientOptions options;
  options.ca_file = "/nonexistent/dir/ca.pem";
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateClient(options);
  EXPECT_THAT(ctx, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Message(ctx.status()), ErrorNaming(options.ca_file));
}

TEST(TlsContextTest, EmptyCertificatePathIsInvalidArgument) {
  TlsServerOptions options = ValidServer();
  options.cert_file = "";
  EXPECT_THAT(TlsContext::CreateServer(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TlsContextTest, GarbageCertificateIsInvalidArgumentWithOpenSslReason) {
  TlsServerOptions options = ValidServer();
  options.cert_file = pki().garbage_file;
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateServer(options);
  EXPECT_THAT(ctx, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Message(ctx.status()),
              AllOf(ErrorNaming(pki().garbage_file), HasSubstr("no start line")));
}

TEST(TlsContextTest, GarbageKeyIsInvalidArgument) {
  TlsServerOptions options = ValidServer();
  options.key_file = pki().garbage_file;
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateServer(options);
  EXPECT_THAT(ctx, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Message(ctx.status()),
              AllOf(ErrorNaming(pki().garbage_file), HasSubstr("private key")));
}

TEST(TlsContextTest, CertificateGivenAsKeyIsInvalidArgument) {
  TlsServerOptions options = ValidServer();
  options.key_file = pki().localhost.cert_file;
  EXPECT_THAT(TlsContext::CreateServer(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TlsContextTest, GarbageCaFileIsInvalidArgument) {
  TlsClientOptions options;
  options.ca_file = pki().garbage_file;
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateClient(options);
  EXPECT_THAT(ctx, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Message(ctx.status()), ErrorNaming(pki().garbage_file));
}

TEST(TlsContextTest, KeyNotMatchingCertificateIsInvalidArgument) {
  TlsServerOptions options = ValidServer();
  options.key_file = pki().alternate.key_file;
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateServer(options);
  EXPECT_THAT(ctx, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Message(ctx.status()),
              AllOf(ErrorNaming(options.key_file), ErrorNaming(options.cert_file),
                    HasSubstr("does not match"), HasSubstr("key values mismatch")));
}

TEST(TlsContextTest, DirectoryInsteadOfFileIsInvalidArgument) {
  TlsServerOptions options = ValidServer();
  options.cert_file = pki().dir;
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateServer(options);
  EXPECT_THAT(ctx, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Message(ctx.status()), HasSubstr("is a directory"));
}

TEST(TlsContextTest, EncryptedKeyIsRejectedWithoutPrompting) {
  BIO* in = BIO_new_file(pki().localhost.key_file.c_str(), "r");
  ASSERT_NE(in, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  ASSERT_NE(key, nullptr);
  const std::string path = pki().dir + "/encrypted.key";
  BIO* out = BIO_new_file(path.c_str(), "w");
  ASSERT_NE(out, nullptr);
  char passphrase[] = "hunter2";
  ASSERT_EQ(
      PEM_write_bio_PrivateKey(out, key, EVP_aes_256_cbc(),
                               reinterpret_cast<unsigned char*>(passphrase), 7, nullptr, nullptr),
      1);
  BIO_free(out);
  EVP_PKEY_free(key);

  TlsServerOptions options = ValidServer();
  options.key_file = path;
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateServer(options);
  EXPECT_THAT(ctx, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Message(ctx.status()), AllOf(ErrorNaming(path), Not(HasSubstr("hunter2"))));
}

TEST(TlsContextTest, SniCertificateErrorsNameTheirFile) {
  TlsServerOptions options = ValidServer();
  options.sni_certificates.push_back(
      {"alt.weft.test", pki().dir + "/missing-alt.crt", pki().alternate.key_file});
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateServer(options);
  EXPECT_THAT(ctx, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Message(ctx.status()), HasSubstr("missing-alt.crt"));

  options.sni_certificates = {{"", pki().alternate.cert_file, pki().alternate.key_file}};
  EXPECT_THAT(TlsContext::CreateServer(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TlsContextTest, RejectsInconsistentOptions) {
  TlsServerOptions server = ValidServer();
  server.require_client_cert = true;  // Without a ca_file.
  EXPECT_THAT(TlsContext::CreateServer(server), StatusIs(absl::StatusCode::kInvalidArgument));

  TlsClientOptions client;
  client.cert_file = pki().client.cert_file;  // Without a key.
  EXPECT_THAT(TlsContext::CreateClient(client), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TlsContextTest, RejectsBadAlpnProtocols) {
  TlsServerOptions server = ValidServer();
  server.alpn = {"h2", ""};
  EXPECT_THAT(TlsContext::CreateServer(server), StatusIs(absl::StatusCode::kInvalidArgument));
  TlsClientOptions client;
  client.alpn = {std::string(256, 'x')};
  EXPECT_THAT(TlsContext::CreateClient(client), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TlsContextTest, LeavesNoErrorsInTheOpenSslQueue) {
  TlsServerOptions options = ValidServer();
  options.cert_file = pki().garbage_file;
  ASSERT_FALSE(TlsContext::CreateServer(options).ok());
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsContextTest, ContextMayBeDestroyedWhileItsSslCtxIsInUse) {
  TlsServerOptions options = ValidServer();
  options.alpn = {"h2"};
  options.sni_certificates.push_back(
      {"alt.weft.test", pki().alternate.cert_file, pki().alternate.key_file});
  absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateServer(options);
  ASSERT_THAT(ctx, IsOk());
  SSL* ssl = SSL_new((*ctx)->ssl_ctx());  // Holds a reference, as TlsTransport does.
  ASSERT_NE(ssl, nullptr);
  ctx->reset();
  SSL_free(ssl);  // Frees the SSL_CTX and its SNI/ALPN data; ASan checks the order.
}

}  // namespace
}  // namespace weft::reactor
