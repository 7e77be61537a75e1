// WebhookPeer in a real Broker on an EpollEventLoop, calling a scripted HTTP server over loopback:
// JSON both ways, the status table, retries and their limits, deadlines, cancellation, one-way.
#include "gateways/webhook/webhook_peer.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "broker/broker.h"
#include "broker/testing/recording_peer.h"
#include "demo/greeter.pb.h"
#include "gateways/webhook/testing/test_http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "tests/testing/status_matchers.h"

namespace weft::gateways::webhook {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::weft::broker::testing::RecordingPeer;
using ::weft::gateways::webhook::testing::Respond;
using ::weft::gateways::webhook::testing::ScriptedReply;
using ::weft::gateways::webhook::testing::TestHttpServer;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

constexpr ScriptedReply kHang{ScriptedReply::Kind::kHang, ""};

class WebhookPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<reactor::EpollEventLoop>> loop =
        reactor::EpollEventLoop::Create();
    ASSERT_THAT(loop.status(), IsOk());
    loop_ = *std::move(loop);
    absl::StatusOr<std::unique_ptr<TestHttpServer>> server = TestHttpServer::Start(*loop_);
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
    absl::StatusOr<std::unique_ptr<broker::Broker>> broker =
        broker::Broker::Create({loop_.get()}, broker::BrokerOptions{}, {});
    ASSERT_THAT(broker.status(), IsOk());
    broker_ = *std::move(broker);
    caller_ref_ = broker_->shard(0).Connect(caller_, "test caller");
  }

  void TearDown() override {
    peer_.reset();
    if (broker_ != nullptr) broker_->shard(0).Disconnect(caller_ref_);
    broker_.reset();
  }

  WebhookPeerOptions Options() {
    WebhookPeerOptions options;
    options.service = demo::Greeter::descriptor()->full_name();
    options.client.host = "127.0.0.1";
    options.client.port = server_->port();
    options.client.target = "/greet";
    options.client.authority = absl::StrCat("127.0.0.1:", server_->port());
    options.attempt_timeout = absl::Seconds(5);
    options.max_attempts = 3;
    options.initial_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(4);
    return options;
  }

  void StartPeer(WebhookPeerOptions options) {
    absl::StatusOr<std::unique_ptr<WebhookPeer>> peer =
        WebhookPeer::Create(*loop_, broker_->shard(0), nullptr, std::move(options));
    ASSERT_THAT(peer.status(), IsOk());
    peer_ = *std::move(peer);
    std::optional<absl::Status> registered;
    peer_->Start([&](const absl::Status& status) { registered = status; });
    ASSERT_TRUE(server_->Run([&] { return registered.has_value(); }));
    ASSERT_THAT(*registered, IsOk());
  }

  // Calls demo.Greeter.SayHello through the broker and waits for the reply.
  const RecordingPeer::ReplyRecord& SayHello(const std::string& name, int64_t timeout_micros = 0) {
    demo::HelloRequest request;
    request.set_name(name);
    const std::string payload = request.SerializeAsString();
    const uint64_t id = ++next_id_;
    broker_->shard(0).Call(
        caller_ref_, broker::IncomingCall{
                         id, "demo.Greeter", 0, "SayHello", payload, timeout_micros, {}, false});
    EXPECT_TRUE(server_->Run([&] { return caller_.ReplyFor(id) != nullptr; }));
    static const RecordingPeer::ReplyRecord kNone{0, absl::InternalError("test: no reply"), ""};
    const RecordingPeer::ReplyRecord* reply = caller_.ReplyFor(id);
    return reply != nullptr ? *reply : kNone;
  }

  std::unique_ptr<reactor::EpollEventLoop> loop_;
  std::unique_ptr<TestHttpServer> server_;
  std::unique_ptr<broker::Broker> broker_;
  RecordingPeer caller_;
  broker::ConnectionRef caller_ref_;
  std::unique_ptr<WebhookPeer> peer_;
  uint64_t next_id_ = 0;
};

TEST_F(WebhookPeerTest, PostsTheRequestAsJsonAndMapsTheJsonReplyBack) {
  StartPeer(Options());
  server_->Push(Respond(200, R"({"message":"Hello, ann!","unknownField":[1,2]})"));
  const auto& reply = SayHello("ann", /*timeout_micros=*/20'000'000);
  ASSERT_THAT(reply.status, IsOk());
  demo::HelloReply hello;
  ASSERT_TRUE(hello.ParseFromString(reply.payload));
  EXPECT_EQ(hello.message(), "Hello, ann!");
  ASSERT_EQ(server_->requests().size(), 1u);
  const auto& request = server_->requests()[0];
  EXPECT_EQ(request.target, "/greet");
  EXPECT_EQ(request.body, R"({"name":"ann"})");
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  EXPECT_EQ(request.headers.at("x-weft-method"), "demo.Greeter.SayHello");
  int64_t timeout_ms = 0;
  ASSERT_TRUE(absl::SimpleAtoi(request.headers.at("x-weft-timeout-ms"), &timeout_ms));
  EXPECT_GT(timeout_ms, 10000);
  EXPECT_LE(timeout_ms, 20000);
}

TEST_F(WebhookPeerTest, DefaultFieldsArePrintedAndAnEmptyBodyIsAnEmptyReply) {
  StartPeer(Options());
  server_->Push(Respond(204, ""));
  const auto& reply = SayHello("");
  ASSERT_THAT(reply.status, IsOk());
  EXPECT_EQ(reply.payload, "");
  EXPECT_EQ(server_->requests()[0].body, R"({"name":""})");
  EXPECT_FALSE(server_->requests()[0].headers.contains("x-weft-timeout-ms"));  // No deadline.
}

TEST_F(WebhookPeerTest, RetriesUnavailableAndGatewayErrorsThenSucceeds) {
  StartPeer(Options());
  server_->Push(Respond(503, "busy"));
  server_->Push(Respond(502, "bad gateway"));
  server_->Push(Respond(200, R"({"message":"third time"})"));
  const auto& reply = SayHello("ann");
  ASSERT_THAT(reply.status, IsOk());
  demo::HelloReply hello;
  ASSERT_TRUE(hello.ParseFromString(reply.payload));
  EXPECT_EQ(hello.message(), "third time");
  EXPECT_EQ(server_->requests().size(), 3u);
}

TEST_F(WebhookPeerTest, RetriesAConnectionClosedWithoutAnAnswer) {
  StartPeer(Options());
  server_->Push(ScriptedReply{ScriptedReply::Kind::kClose, ""});
  server_->Push(Respond(200, R"({"message":"ok"})"));
  EXPECT_THAT(SayHello("ann").status, IsOk());
  EXPECT_EQ(server_->requests().size(), 2u);
}

TEST_F(WebhookPeerTest, GivesUpAfterMaxAttempts) {
  StartPeer(Options());
  for (int i = 0; i < 5; ++i) server_->Push(Respond(503, "still busy"));
  EXPECT_THAT(SayHello("ann").status,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("HTTP 503: still busy")));
  EXPECT_EQ(server_->requests().size(), 3u);
}

TEST_F(WebhookPeerTest, ClientErrorsAreNotRetried) {
  StartPeer(Options());
  server_->Push(Respond(400, R"({"error":"name is required"})"));
  EXPECT_THAT(SayHello("").status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(R"(HTTP 400: {"error":"name is required"})")));
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_F(WebhookPeerTest, InternalServerErrorIsNotRetried) {
  StartPeer(Options());
  server_->Push(Respond(500, "oops"));
  EXPECT_THAT(SayHello("ann").status, StatusIs(absl::StatusCode::kInternal, HasSubstr("oops")));
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_F(WebhookPeerTest, ErrorBodiesAreTruncatedAndSanitized) {
  StartPeer(Options());
  server_->Push(Respond(404, "line one\r\nline two\x01" + std::string(2000, 'z')));
  const auto& reply = SayHello("ann");
  EXPECT_THAT(reply.status,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("line one??line two?")));
  EXPECT_LT(reply.status.message().size(), 400u);
  EXPECT_THAT(std::string(reply.status.message()), Not(HasSubstr("\n")));
}

TEST_F(WebhookPeerTest, AnAttemptTimeoutIsRetriedThenDeadlineExceeded) {
  WebhookPeerOptions options = Options();
  options.attempt_timeout = absl::Milliseconds(100);
  options.max_attempts = 2;
  StartPeer(options);
  server_->Push(kHang);
  server_->Push(kHang);
  EXPECT_THAT(SayHello("ann").status, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(server_->requests().size(), 2u);
}

TEST_F(WebhookPeerTest, TheCallersDeadlineBoundsEveryAttempt) {
  StartPeer(Options());  // Attempts of 5 s, 3 of them.
  server_->Push(kHang);
  const absl::Time start = absl::Now();
  EXPECT_THAT(SayHello("ann", /*timeout_micros=*/300'000).status,
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_TRUE(server_->Run([&] { return peer_->calls_in_flight() == 0; }));
}

TEST_F(WebhookPeerTest, MalformedJsonReplyIsInternal) {
  StartPeer(Options());
  server_->Push(Respond(200, R"({"message": 12)"));
  EXPECT_THAT(SayHello("ann").status,
              StatusIs(absl::StatusCode::kInternal, HasSubstr("is not a demo.HelloReply")));
}

TEST_F(WebhookPeerTest, CancellingTheCallAbandonsTheRequest) {
  StartPeer(Options());
  server_->Push(kHang);
  demo::HelloRequest request;
  request.set_name("ann");
  const std::string payload = request.SerializeAsString();
  broker_->shard(0).Call(
      caller_ref_, broker::IncomingCall{77, "demo.Greeter", 0, "SayHello", payload, 0, {}, false});
  ASSERT_TRUE(server_->Run([&] { return server_->requests().size() == 1; }));
  EXPECT_EQ(peer_->calls_in_flight(), 1u);
  broker_->shard(0).Cancel(caller_ref_, 77);
  EXPECT_TRUE(server_->Run([&] { return peer_->calls_in_flight() == 0; }));
  EXPECT_TRUE(server_->Run([&] { return peer_->client().connection_count() == 0; }));
  EXPECT_THAT(caller_.ReplyFor(77)->status, StatusIs(absl::StatusCode::kCancelled));
}

TEST_F(WebhookPeerTest, OneWayCallsArePostedAndTheirAnswerIgnored) {
  StartPeer(Options());
  server_->Push(Respond(500, "ignored"));
  demo::HelloRequest request;
  request.set_name("fire");
  const std::string payload = request.SerializeAsString();
  broker_->shard(0).Call(
      caller_ref_, broker::IncomingCall{0, "demo.Greeter", 0, "SayHello", payload, 0, {}, true});
  ASSERT_TRUE(server_->Run([&] { return server_->requests().size() == 1; }));
  EXPECT_EQ(server_->requests()[0].body, R"({"name":"fire"})");
  EXPECT_TRUE(server_->Run([&] { return peer_->calls_in_flight() == 0; }));
  EXPECT_TRUE(caller_.replies.empty());
}

TEST_F(WebhookPeerTest, RegisteringAServiceTwiceFails) {
  StartPeer(Options());
  absl::StatusOr<std::unique_ptr<WebhookPeer>> second =
      WebhookPeer::Create(*loop_, broker_->shard(0), nullptr, Options());
  ASSERT_THAT(second.status(), IsOk());
  std::optional<absl::Status> registered;
  (*second)->Start([&](const absl::Status& status) { registered = status; });
  ASSERT_TRUE(server_->Run([&] { return registered.has_value(); }));
  EXPECT_THAT(*registered, StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(WebhookPeerTest, UnknownServiceFailsAtCreate) {
  WebhookPeerOptions options = Options();
  options.service = "no.Such";
  EXPECT_THAT(WebhookPeer::Create(*loop_, broker_->shard(0), nullptr, options).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("is not compiled in")));
}

TEST(WebhookStatusTest, HttpStatusesMapThroughOneTable) {
  const std::pair<int, absl::StatusCode> table[] = {
      {400, absl::StatusCode::kInvalidArgument},
      {401, absl::StatusCode::kUnauthenticated},
      {403, absl::StatusCode::kPermissionDenied},
      {404, absl::StatusCode::kNotFound},
      {409, absl::StatusCode::kAborted},
      {429, absl::StatusCode::kResourceExhausted},
      {501, absl::StatusCode::kUnimplemented},
      {502, absl::StatusCode::kUnavailable},
      {503, absl::StatusCode::kUnavailable},
      {504, absl::StatusCode::kDeadlineExceeded},
      {500, absl::StatusCode::kInternal},
      {599, absl::StatusCode::kInternal},
      {418, absl::StatusCode::kFailedPrecondition},
      {302, absl::StatusCode::kUnknown},
  };
  for (const auto& [status, code] : table) {
    EXPECT_EQ(HttpStatusToCode(status), code) << status;
  }
  for (int status : {0, 502, 503, 504}) EXPECT_TRUE(IsRetryableHttpStatus(status)) << status;
  for (int status : {200, 400, 404, 429, 500, 501}) {
    EXPECT_FALSE(IsRetryableHttpStatus(status)) << status;
  }
}

}  // namespace
}  // namespace weft::gateways::webhook
