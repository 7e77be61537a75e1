// WebhookClient against a scripted HTTP server on real loopback sockets (tcp and tls).
#include "gateways/webhook/webhook_client.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gateways/webhook/testing/test_http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/testing/test_certs.h"
#include "tests/testing/status_matchers.h"

namespace weft::gateways::webhook {
namespace {

using ::testing::HasSubstr;
using ::weft::gateways::webhook::testing::Respond;
using ::weft::gateways::webhook::testing::RespondChunked;
using ::weft::gateways::webhook::testing::ScriptedReply;
using ::weft::gateways::webhook::testing::TestHttpServer;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

class WebhookClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<reactor::EpollEventLoop>> loop =
        reactor::EpollEventLoop::Create();
    ASSERT_THAT(loop.status(), IsOk());
    loop_ = *std::move(loop);
  }

  void StartServer(const std::string& cert = "", const std::string& key = "") {
    absl::StatusOr<std::unique_ptr<TestHttpServer>> server =
        TestHttpServer::Start(*loop_, cert, key);
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
  }

  WebhookClientOptions Options(bool tls = false) {
    WebhookClientOptions options;
    options.tls = tls;
    options.host = tls ? "localhost" : "127.0.0.1";
    options.port = server_->port();
    options.target = "/hooks/greet?v=1";
    options.authority = absl::StrCat(options.host, ":", options.port);
    options.headers = {{"Authorization", "Bearer s3cr3t"}};
    return options;
  }

  void MakeClient(WebhookClientOptions options) {
    absl::StatusOr<std::unique_ptr<WebhookClient>> client =
        WebhookClient::Create(*loop_, nullptr, std::move(options));
    ASSERT_THAT(client.status(), IsOk());
    client_ = *std::move(client);
  }

  // Posts `body` and runs the loop until the answer comes.
  absl::StatusOr<WebhookResponse> PostAndWait(const std::string& body,
                                              absl::Duration timeout = absl::Seconds(5)) {
    std::optional<absl::StatusOr<WebhookResponse>> result;
    std::unique_ptr<WebhookRequest> request =
        client_->Post(body, {{"X-Weft-Method", "demo.Greeter.SayHello"}}, timeout,
                      [&](absl::StatusOr<WebhookResponse> r) { result = std::move(r); });
    EXPECT_FALSE(result.has_value());  // Never inside Post().
    if (!server_->Run([&] { return result.has_value(); })) {
      return absl::InternalError("test: no answer within 10 s");
    }
    return *std::move(result);
  }

  std::unique_ptr<reactor::EpollEventLoop> loop_;
  std::unique_ptr<TestHttpServer> server_;
  std::unique_ptr<WebhookClient> client_;
};

TEST_F(WebhookClientTest, PostsJsonWithHeadersAndReadsTheResponse) {
  StartServer();
  MakeClient(Options());
  server_->Push(Respond(201, R"({"message":"Hello, ann!"})"));
  absl::StatusOr<WebhookResponse> response = PostAndWait(R"({"name":"ann"})");
  ASSERT_THAT(response.status(), IsOk());
  EXPECT_EQ(response->status_code, 201);
  EXPECT_EQ(response->body, R"({"message":"Hello, ann!"})");
  ASSERT_EQ(server_->requests().size(), 1u);
  const auto& request = server_->requests()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/hooks/greet?v=1");
  EXPECT_EQ(request.body, R"({"name":"ann"})");
  EXPECT_EQ(request.headers.at("host"), absl::StrCat("127.0.0.1:", server_->port()));
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  EXPECT_EQ(request.headers.at("content-length"), "14");
  EXPECT_EQ(request.headers.at("x-weft-method"), "demo.Greeter.SayHello");
  EXPECT_EQ(request.headers.at("authorization"), "Bearer s3cr3t");
}

TEST_F(WebhookClientTest, ReusesAKeptAliveConnection) {
  StartServer();
  MakeClient(Options());
  for (int i = 0; i < 3; ++i) ASSERT_THAT(PostAndWait("{}").status(), IsOk());
  EXPECT_EQ(server_->connections(), 1);
  EXPECT_EQ(client_->connects(), 1u);
  EXPECT_EQ(client_->idle_count(), 1u);
}

TEST_F(WebhookClientTest, ConnectionCloseIsNotReused) {
  StartServer();
  MakeClient(Options());
  server_->Push(Respond(200, "{}", /*close=*/true));
  ASSERT_THAT(PostAndWait("{}").status(), IsOk());
  ASSERT_THAT(PostAndWait("{}").status(), IsOk());
  EXPECT_EQ(server_->connections(), 2);
}

TEST_F(WebhookClientTest, ReconnectsAfterTheServerClosedAnIdleConnection) {
  StartServer();
  MakeClient(Options());
  ASSERT_THAT(PostAndWait("{}").status(), IsOk());
  server_->CloseIdleConnections();
  ASSERT_THAT(PostAndWait("{}").status(), IsOk());
  EXPECT_EQ(server_->connections(), 2);
  EXPECT_EQ(server_->requests().size(), 2u);
}

TEST_F(WebhookClientTest, ReadsAChunkedResponse) {
  StartServer();
  MakeClient(Options());
  const std::string body = R"({"message":"a fairly long greeting, sent in small chunks"})";
  server_->Push(RespondChunked(200, body, 7));
  absl::StatusOr<WebhookResponse> response = PostAndWait("{}");
  ASSERT_THAT(response.status(), IsOk());
  EXPECT_EQ(response->body, body);
}

TEST_F(WebhookClientTest, ErrorStatusesAreResponses) {
  StartServer();
  MakeClient(Options());
  server_->Push(Respond(503, R"({"error":"busy"})"));
  absl::StatusOr<WebhookResponse> response = PostAndWait("{}");
  ASSERT_THAT(response.status(), IsOk());
  EXPECT_EQ(response->status_code, 503);
  EXPECT_EQ(response->body, R"({"error":"busy"})");
}

TEST_F(WebhookClientTest, TimesOutWhenTheServerNeverAnswers) {
  StartServer();
  MakeClient(Options());
  server_->Push(ScriptedReply{ScriptedReply::Kind::kHang, ""});
  const absl::Time start = absl::Now();
  EXPECT_THAT(PostAndWait("{}", absl::Milliseconds(200)).status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("no response within")));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
  EXPECT_TRUE(server_->Run([&] { return client_->connection_count() == 0; }));
}

TEST_F(WebhookClientTest, ClosedWithoutAnAnswerIsUnavailable) {
  StartServer();
  MakeClient(Options());
  server_->Push(ScriptedReply{ScriptedReply::Kind::kClose, ""});
  EXPECT_THAT(PostAndWait("{}").status(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(WebhookClientTest, RefusedConnectionIsUnavailable) {
  StartServer();
  WebhookClientOptions options = Options();
  server_.reset();  // Nobody listens on the port any more.
  absl::StatusOr<std::unique_ptr<TestHttpServer>> other = TestHttpServer::Start(*loop_);
  ASSERT_THAT(other.status(), IsOk());
  server_ = *std::move(other);  // Only for Run().
  ASSERT_NE(server_->port(), options.port);
  MakeClient(options);
  EXPECT_THAT(PostAndWait("{}").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot connect to")));
}

TEST_F(WebhookClientTest, ResponseOverTheCapIsResourceExhausted) {
  StartServer();
  WebhookClientOptions options = Options();
  options.max_response_bytes = 1024;
  MakeClient(options);
  server_->Push(Respond(200, std::string(4096, 'x')));
  EXPECT_THAT(PostAndWait("{}").status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("response too large")));
}

TEST_F(WebhookClientTest, MalformedResponseIsUnavailable) {
  StartServer();
  MakeClient(Options());
  server_->Push(ScriptedReply{ScriptedReply::Kind::kRespond, "SMTP 220 hello\r\n\r\n"});
  EXPECT_THAT(PostAndWait("{}").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("bad response")));
}

TEST_F(WebhookClientTest, DestroyingTheRequestAbandonsIt) {
  StartServer();
  MakeClient(Options());
  server_->Push(ScriptedReply{ScriptedReply::Kind::kHang, ""});
  bool called = false;
  std::unique_ptr<WebhookRequest> request = client_->Post(
      "{}", {}, absl::Seconds(5), [&](absl::StatusOr<WebhookResponse>) { called = true; });
  ASSERT_TRUE(server_->Run([&] { return server_->requests().size() == 1; }));
  request.reset();
  EXPECT_TRUE(server_->Run([&] { return client_->connection_count() == 0; }));
  EXPECT_FALSE(called);
}

TEST_F(WebhookClientTest, HttpsVerifiesTheServerAgainstTheCaFile) {
  const reactor::TestPki& pki = reactor::SharedTestPki();
  StartServer(pki.localhost.cert_file, pki.localhost.key_file);
  WebhookClientOptions options = Options(/*tls=*/true);
  options.ca_file = pki.ca_file;
  MakeClient(options);
  server_->Push(Respond(200, R"({"ok":true})"));
  absl::StatusOr<WebhookResponse> response = PostAndWait("{}");
  ASSERT_THAT(response.status(), IsOk());
  EXPECT_EQ(response->body, R"({"ok":true})");
  ASSERT_THAT(PostAndWait("{}").status(), IsOk());  // Over the same TLS connection.
  EXPECT_EQ(server_->connections(), 1);
}

TEST_F(WebhookClientTest, HttpsRefusesAServerTheCaDidNotIssue) {
  const reactor::TestPki& pki = reactor::SharedTestPki();
  StartServer(pki.localhost.cert_file, pki.localhost.key_file);
  WebhookClientOptions options = Options(/*tls=*/true);
  options.ca_file = pki.other_ca_file;
  MakeClient(options);
  EXPECT_THAT(PostAndWait("{}").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("certificate verify failed")));
  EXPECT_TRUE(server_->requests().empty());
}

TEST_F(WebhookClientTest, HttpsChecksTheHostName) {
  const reactor::TestPki& pki = reactor::SharedTestPki();
  StartServer(pki.alternate.cert_file, pki.alternate.key_file);  // For alt.weft.test only.
  WebhookClientOptions options = Options(/*tls=*/true);
  options.ca_file = pki.ca_file;
  MakeClient(options);
  EXPECT_THAT(PostAndWait("{}").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("certificate verify failed")));
}

TEST_F(WebhookClientTest, MissingCaFileFailsAtCreate) {
  StartServer();
  WebhookClientOptions options = Options(/*tls=*/true);
  options.ca_file = "/nonexistent/ca.pem";
  EXPECT_THAT(WebhookClient::Create(*loop_, nullptr, options).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace weft::gateways::webhook
