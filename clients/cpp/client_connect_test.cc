#include <memory>
#include <string>
#include <vector>

#include "clients/cpp/client.h"
#include "clients/cpp/testing/client_fixture.h"
#include "demo/calculator.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "weft/v1/wire.pb.h"

namespace weft::clients {
namespace {

using ::weft::clients::testing::Captured;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
using Frame = ::weft::v1::Frame;

class ClientConnectTest : public testing::ClientFixture {};

TEST_F(ClientConnectTest, SendsHelloAndResolvesOnWelcome) {
  ClientOptions options;
  options.client_name = "billing/3";
  options.token = "secret";
  Captured<std::unique_ptr<Client>> connected(Client::Connect(loop_, broker_.Connector(), options));
  broker_.Pump();
  std::vector<Frame> frames = broker_.TakeFrames();
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_EQ(frames[0].kind_case(), Frame::kHello);
  EXPECT_EQ(frames[0].hello().version(), 1u);
  EXPECT_EQ(frames[0].hello().client_name(), "billing/3");
  EXPECT_EQ(frames[0].hello().token(), "secret");
  EXPECT_FALSE(connected.fired());

  Frame welcome;
  welcome.mutable_welcome()->set_version(1);
  welcome.mutable_welcome()->set_node("node-a");
  broker_.Send(welcome);
  ASSERT_TRUE(connected.fired());
  ASSERT_THAT(connected.result(), IsOk());
  EXPECT_EQ((*connected.result())->node(), "node-a");
  EXPECT_EQ((*connected.result())->state(), ConnectionState::kReady);
}

TEST_F(ClientConnectTest, GoAwayOnBadTokenFailsUnauthenticated) {
  Captured<std::unique_ptr<Client>> connected(
      Client::Connect(loop_, broker_.Connector(), ClientOptions{}));
  broker_.Pump();
  Frame go_away;
  go_away.mutable_go_away()->mutable_status()->set_code(
      static_cast<int>(absl::StatusCode::kUnauthenticated));
  go_away.mutable_go_away()->mutable_status()->set_message("bad token");
  broker_.Send(go_away);
  ASSERT_TRUE(connected.fired());
  EXPECT_THAT(connected.result(), StatusIs(absl::StatusCode::kUnauthenticated, "bad token"));
  loop_.RunUntilIdle();
  EXPECT_EQ(broker_.attempts(), 1);  // The first Connect() never retries.
}

TEST_F(ClientConnectTest, RefusedConnectionFailsUnavailable) {
  broker_.RefuseNextAttempt(absl::UnavailableError("refused"));
  Captured<std::unique_ptr<Client>> connected(
      Client::Connect(loop_, broker_.Connector(), ClientOptions{}));
  loop_.RunUntilIdle();
  EXPECT_THAT(connected.result(), StatusIs(absl::StatusCode::kUnavailable, "refused"));
}

TEST_F(ClientConnectTest, HandshakeTimeoutFailsDeadlineExceeded) {
  ClientOptions options;
  options.connect_timeout = absl::Seconds(3);
  Captured<std::unique_ptr<Client>> connected(Client::Connect(loop_, broker_.Connector(), options));
  broker_.Pump();
  loop_.AdvanceBy(absl::Seconds(3));
  EXPECT_THAT(connected.result(), StatusIs(absl::StatusCode::kDeadlineExceeded));
  broker_.Pump();
  EXPECT_TRUE(broker_.client_closed());
}

TEST_F(ClientConnectTest, FrameOtherThanWelcomeFirstIsAProtocolError) {
  Captured<std::unique_ptr<Client>> connected(
      Client::Connect(loop_, broker_.Connector(), ClientOptions{}));
  broker_.Pump();
  broker_.TakeFrames();
  Frame ping;
  ping.mutable_ping()->set_nonce(1);
  broker_.Send(ping);
  EXPECT_THAT(connected.result(), StatusIs(absl::StatusCode::kFailedPrecondition));
  std::vector<Frame> go_away = broker_.TakeFrames(Frame::kGoAway);
  ASSERT_EQ(go_away.size(), 1u);
  EXPECT_EQ(go_away[0].go_away().status().code(),
            static_cast<int>(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ClientConnectTest, CancellingConnectAbandonsTheAttempt) {
  Captured<std::unique_ptr<Client>> connected(
      Client::Connect(loop_, broker_.Connector(), ClientOptions{}));
  broker_.Pump();
  connected.Cancel();
  EXPECT_THAT(connected.result(), StatusIs(absl::StatusCode::kCancelled));
  broker_.Pump();
  EXPECT_TRUE(broker_.client_closed());
}

TEST_F(ClientConnectTest, OversizedFrameFromTheBrokerIsAConnectionError) {
  ClientOptions options;
  options.max_incoming_frame_bytes = 1024;
  options.reconnect.enabled = false;
  Connect(options);
  Captured<demo::AddResponse> sum(client_->Call(&demo::Calculator_Stub::Add, demo::AddRequest()));
  broker_.Pump();
  broker_.TakeFrames();
  std::string huge(4, '\0');
  huge[1] = 0x10;  // Length 0x00100000 = 1 MiB.
  broker_.SendRaw(huge);
  ASSERT_TRUE(sum.fired());
  EXPECT_THAT(sum.result(), StatusIs(absl::StatusCode::kUnavailable));
  std::vector<Frame> go_away = broker_.TakeFrames(Frame::kGoAway);
  ASSERT_EQ(go_away.size(), 1u);
  EXPECT_EQ(go_away[0].go_away().status().code(),
            static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(client_->state(), ConnectionState::kClosed);
  EXPECT_THAT(client_->last_error(), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(broker_.client_closed());
}

TEST_F(ClientConnectTest, GarbageFromTheBrokerIsAConnectionErrorNotACrash) {
  ClientOptions options;
  options.reconnect.enabled = false;
  Connect(options);
  broker_.SendRaw(std::string("\x00\x00\x00\x03\xff\xff\xff", 7));
  EXPECT_EQ(client_->state(), ConnectionState::kClosed);
  EXPECT_THAT(client_->last_error(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ClientConnectTest, GoAwayWhileReadyFailsCallsUnavailable) {
  ClientOptions options;
  options.reconnect.enabled = false;
  Connect(options);
  Captured<demo::AddResponse> sum(client_->Call(&demo::Calculator_Stub::Add, demo::AddRequest()));
  broker_.Pump();
  Frame go_away;
  go_away.mutable_go_away()->mutable_status()->set_code(
      static_cast<int>(absl::StatusCode::kUnavailable));
  go_away.mutable_go_away()->mutable_status()->set_message("draining");
  broker_.Send(go_away);
  EXPECT_THAT(sum.result(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(client_->last_error(), StatusIs(absl::StatusCode::kUnavailable, "draining"));
}

TEST_F(ClientConnectTest, KeepaliveDropsASilentConnection) {
  ClientOptions options;
  options.keepalive_interval = absl::Seconds(10);
  options.reconnect.enabled = false;
  Connect(options);
  loop_.AdvanceBy(absl::Seconds(10));
  Frame ping = TakeOne(Frame::kPing);
  Frame pong;
  pong.mutable_pong()->set_nonce(ping.ping().nonce());
  broker_.Send(pong);
  loop_.AdvanceBy(absl::Seconds(10));
  TakeOne(Frame::kPing);  // Unanswered this time.
  EXPECT_EQ(client_->state(), ConnectionState::kReady);
  loop_.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(client_->state(), ConnectionState::kClosed);
}

}  // namespace
}  // namespace weft::clients
