#include <memory>
#include <string>
#include <vector>

#include "clients/cpp/client.h"
#include "clients/cpp/testing/client_fixture.h"
#include "demo/greeter.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "weft/v1/wire.pb.h"

namespace weft::clients {
namespace {

using ::testing::ElementsAre;
using ::weft::testing::IsOk;
using Frame = ::weft::v1::Frame;

class ClientSubscribeTest : public testing::ClientFixture {
 protected:
  void SetUp() override { Connect(); }

  void Deliver(const std::string& topic, const std::string& payload) {
    Frame frame;
    frame.mutable_publish()->set_topic(topic);
    frame.mutable_publish()->set_payload(payload);
    frame.mutable_publish()->set_type_url("type.googleapis.com/demo.HelloReply");
    broker_.Send(frame);
  }
};

TEST_F(ClientSubscribeTest, DeliversUntilTheHandleIsDropped) {
  std::vector<std::string> got;
  std::unique_ptr<Subscription> subscription =
      client_->Subscribe("news", [&](absl::string_view payload, absl::string_view type_url) {
        got.push_back(std::string(payload));
        EXPECT_EQ(type_url, "type.googleapis.com/demo.HelloReply");
      });
  Frame subscribe = TakeOne(Frame::kSubscribe);
  EXPECT_EQ(subscribe.subscribe().topic(), "news");
  EXPECT_FALSE(subscribe.subscribe().unsubscribe());
  Deliver("news", "one");
  Deliver("other", "x");
  Deliver("news", "two");
  EXPECT_THAT(got, ElementsAre("one", "two"));

  subscription.reset();
  Frame unsubscribe = TakeOne(Frame::kSubscribe);
  EXPECT_EQ(unsubscribe.subscribe().topic(), "news");
  EXPECT_TRUE(unsubscribe.subscribe().unsubscribe());
  Deliver("news", "three");
  EXPECT_THAT(got, ElementsAre("one", "two"));
}

TEST_F(ClientSubscribeTest, SharedTopicSubscribesOnceAndUnsubscribesAfterTheLast) {
  int a = 0;
  int b = 0;
  auto first = client_->Subscribe("t", [&](absl::string_view, absl::string_view) { ++a; });
  auto second = client_->Subscribe("t", [&](absl::string_view, absl::string_view) { ++b; });
  TakeOne(Frame::kSubscribe);
  Deliver("t", "x");
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
  first.reset();
  broker_.Pump();
  EXPECT_TRUE(broker_.TakeFrames(Frame::kSubscribe).empty());
  Deliver("t", "y");
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  second.reset();
  EXPECT_TRUE(TakeOne(Frame::kSubscribe).subscribe().unsubscribe());
}

TEST_F(ClientSubscribeTest, HandleMayBeDestroyedInsideItsCallback) {
  int calls = 0;
  std::unique_ptr<Subscription> subscription;
  subscription = client_->Subscribe("t", [&](absl::string_view, absl::string_view) {
    ++calls;
    subscription.reset();
  });
  Deliver("t", "x");
  Deliver("t", "y");
  EXPECT_EQ(calls, 1);
}

TEST_F(ClientSubscribeTest, PublishSendsTheMessageWithItsTypeUrl) {
  demo::HelloReply reply;
  reply.set_message("hi");
  EXPECT_THAT(client_->Publish("greetings", reply), IsOk());
  Frame publish = TakeOne(Frame::kPublish);
  EXPECT_EQ(publish.publish().topic(), "greetings");
  EXPECT_EQ(publish.publish().type_url(), "type.googleapis.com/demo.HelloReply");
  EXPECT_EQ(publish.publish().payload(), reply.SerializeAsString());
}

}  // namespace
}  // namespace weft::clients
