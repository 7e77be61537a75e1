#include <memory>
#include <string>
#include <vector>

#include "clients/cpp/client.h"
#include "clients/cpp/testing/client_fixture.h"
#include "demo/calculator.pb.h"
#include "demo/counter.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "weft/v1/wire.pb.h"

namespace weft::clients {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::weft::clients::testing::Captured;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
using Frame = ::weft::v1::Frame;

class Calculator final : public demo::Calculator {
 public:
  void Add(google::protobuf::RpcController*, const demo::AddRequest*, demo::AddResponse*,
           google::protobuf::Closure* done) override {
    done->Run();
  }
};

ClientOptions BackoffOptions() {
  ClientOptions options;
  options.reconnect.initial_backoff = absl::Seconds(1);
  options.reconnect.multiplier = 2;
  options.reconnect.jitter = 0;
  options.reconnect.max_backoff = absl::Seconds(10);
  return options;
}

class ClientReconnectTest : public testing::ClientFixture {
 protected:
  void SetUp() override {
    Connect(BackoffOptions());
    client_->SetStateCallback(
        [this](ConnectionState state, const absl::Status&) { states_.push_back(state); });
  }

  std::vector<ConnectionState> states_;
};

TEST_F(ClientReconnectTest, ReconnectsWithBackoffAndRestoresServicesAndTopics) {
  std::vector<std::unique_ptr<google::protobuf::Service>> services;
  services.push_back(std::make_unique<Calculator>());
  Captured<void> registered(client_->Register(std::move(services)));
  Frame reply;
  reply.mutable_reply()->set_call_id(TakeOne(Frame::kRegister).register_().call_id());
  broker_.Send(reply);
  ASSERT_THAT(registered.result(), IsOk());
  std::unique_ptr<Subscription> news =
      client_->Subscribe("news", [](absl::string_view, absl::string_view) {});
  TakeOne(Frame::kSubscribe);
  Captured<demo::AddResponse> pending(
      client_->Call(&demo::Calculator_Stub::Add, demo::AddRequest()));
  broker_.Pump();

  broker_.RefuseNextAttempt(absl::UnavailableError("refused"));
  broker_.CloseConnection();
  EXPECT_THAT(pending.result(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(client_->state(), ConnectionState::kReconnecting);
  EXPECT_EQ(broker_.attempts(), 1);

  loop_.AdvanceBy(absl::Milliseconds(999));
  EXPECT_EQ(broker_.attempts(), 1);
  loop_.AdvanceBy(absl::Milliseconds(1));
  EXPECT_EQ(broker_.attempts(), 2);  // Refused: the next waits 2 s.
  loop_.AdvanceBy(absl::Milliseconds(1999));
  EXPECT_EQ(broker_.attempts(), 2);
  loop_.AdvanceBy(absl::Milliseconds(1));
  EXPECT_EQ(broker_.attempts(), 3);

  broker_.AcceptHandshake();
  EXPECT_EQ(client_->state(), ConnectionState::kReady);
  std::vector<Frame> frames = broker_.TakeFrames();
  ASSERT_EQ(frames.size(), 2u);
  ASSERT_EQ(frames[0].kind_case(), Frame::kRegister);
  EXPECT_THAT(frames[0].register_().services(), ElementsAre("demo.Calculator"));
  ASSERT_EQ(frames[1].kind_case(), Frame::kSubscribe);
  EXPECT_EQ(frames[1].subscribe().topic(), "news");
  EXPECT_THAT(states_, ElementsAre(ConnectionState::kReconnecting, ConnectionState::kConnecting,
                                   ConnectionState::kReconnecting, ConnectionState::kConnecting,
                                   ConnectionState::kReady));
}

TEST_F(ClientReconnectTest, RefsFromTheOldConnectionAreInvalid) {
  Captured<demo::CreateResponse> created(
      client_->Call(&demo::Counter_Stub::Create, demo::CreateRequest()));
  demo::CreateResponse response;
  response.mutable_counter()->set_object_id(5);
  broker_.SendReply(TakeOne(Frame::kCall).call().call_id(), response);
  absl::StatusOr<Ref<demo::CounterObject_Stub>> ref =
      client_->Adopt<demo::CounterObject_Stub>(created.result()->counter());
  ASSERT_THAT(ref.status(), IsOk());

  broker_.CloseConnection();
  loop_.AdvanceBy(absl::Seconds(1));
  broker_.AcceptHandshake();
  ASSERT_EQ(client_->state(), ConnectionState::kReady);

  Captured<demo::CounterValue> value(
      client_->Call(*ref, &demo::CounterObject_Stub::Get, demo::GetRequest()));
  EXPECT_THAT(value.result(), StatusIs(absl::StatusCode::kUnavailable));
  ref->Reset();
  broker_.Pump();
  EXPECT_TRUE(broker_.TakeFrames().empty());  // No Call, no Release.
}

TEST_F(ClientReconnectTest, RefusalOnReconnectHandshakeIsPermanent) {
  broker_.CloseConnection();
  loop_.AdvanceBy(absl::Seconds(1));
  broker_.Pump();
  broker_.TakeFrames();
  Frame go_away;
  go_away.mutable_go_away()->mutable_status()->set_code(
      static_cast<int>(absl::StatusCode::kUnauthenticated));
  broker_.Send(go_away);
  EXPECT_EQ(client_->state(), ConnectionState::kClosed);
  EXPECT_THAT(client_->last_error(), StatusIs(absl::StatusCode::kUnauthenticated));
  loop_.AdvanceBy(absl::Seconds(60));
  EXPECT_EQ(broker_.attempts(), 2);
}

TEST_F(ClientReconnectTest, GivesUpAfterMaxAttempts) {
  client_.reset();
  ClientOptions options = BackoffOptions();
  options.reconnect.max_attempts = 2;
  Connect(options);
  broker_.RefuseNextAttempt(absl::UnavailableError("refused"));
  broker_.RefuseNextAttempt(absl::UnavailableError("refused"));
  broker_.CloseConnection();
  loop_.AdvanceBy(absl::Seconds(10));
  EXPECT_EQ(client_->state(), ConnectionState::kClosed);
  EXPECT_THAT(client_->last_error(), StatusIs(absl::StatusCode::kUnavailable, "refused"));
}

TEST_F(ClientReconnectTest, CloseDoesNotReconnect) {
  client_->Close();
  loop_.AdvanceBy(absl::Seconds(60));
  EXPECT_EQ(broker_.attempts(), 1);
  EXPECT_EQ(client_->state(), ConnectionState::kClosed);
}

}  // namespace
}  // namespace weft::clients
