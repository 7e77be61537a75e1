#include <memory>
#include <string>
#include <vector>

#include "clients/cpp/client.h"
#include "clients/cpp/server_context.h"
#include "clients/cpp/testing/client_fixture.h"
#include "demo/counter.pb.h"
#include "demo/greeter.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "weft/v1/wire.pb.h"

namespace weft::clients {
namespace {

using ::testing::ElementsAre;
using ::weft::clients::testing::Captured;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
using Frame = ::weft::v1::Frame;

// Records Changed() calls and answers at once.
class RecordingWatcher final : public demo::CounterWatcher {
 public:
  RecordingWatcher(std::vector<int64_t>& seen, bool& destroyed)
      : seen_(seen), destroyed_(destroyed) {}
  ~RecordingWatcher() override { destroyed_ = true; }

  void Changed(google::protobuf::RpcController*, const demo::CounterValue* request,
               demo::ChangedAck*, google::protobuf::Closure* done) override {
    seen_.push_back(request->value());
    done->Run();
  }

 private:
  std::vector<int64_t>& seen_;
  bool& destroyed_;
};

// Holds each call until the test finishes it; records cancellation.
class SlowGreeter final : public demo::Greeter {
 public:
  void SayHello(google::protobuf::RpcController* controller, const demo::HelloRequest* request,
                demo::HelloReply* reply, google::protobuf::Closure* done) override {
    context = static_cast<ServerContext*>(controller);
    this->reply = reply;
    this->done = done;
    name = request->name();
    on_cancel.reset(google::protobuf::NewPermanentCallback(this, &SlowGreeter::Cancelled));
    context->NotifyOnCancel(on_cancel.get());
  }
  void Cancelled() { cancelled = true; }
  void Finish() {
    reply->set_message("Hello, " + name + "!");
    std::exchange(done, nullptr)->Run();
  }

  ServerContext* context = nullptr;
  demo::HelloReply* reply = nullptr;
  google::protobuf::Closure* done = nullptr;
  std::unique_ptr<google::protobuf::Closure> on_cancel;
  std::string name;
  bool cancelled = false;
};

class ClientObjectsTest : public testing::ClientFixture {
 protected:
  void SetUp() override { Connect(); }

  // Makes the client receive `count` references to object `id` in replies.
  void ReceiveRef(uint64_t id, int count) {
    for (int i = 0; i < count; ++i) {
      Captured<demo::CreateResponse> created(
          client_->Call(&demo::Counter_Stub::Create, demo::CreateRequest()));
      Frame call = TakeOne(Frame::kCall);
      demo::CreateResponse response;
      response.mutable_counter()->set_node("test-node");
      response.mutable_counter()->set_object_id(id);
      response.mutable_counter()->set_interface("demo.CounterObject");
      broker_.SendReply(call.call().call_id(), response);
      ASSERT_THAT(created.result(), IsOk());
      last_ref_ = created.result()->counter();
    }
  }

  Frame IncomingCall(uint64_t call_id, uint64_t object_id, const std::string& method,
                     const google::protobuf::Message& request) {
    Frame frame;
    frame.mutable_call()->set_call_id(call_id);
    frame.mutable_call()->set_object_id(object_id);
    frame.mutable_call()->set_method(method);
    frame.mutable_call()->set_payload(request.SerializeAsString());
    return frame;
  }

  weft::v1::ObjectRef last_ref_;
  std::vector<int64_t> seen;
  bool destroyed = false;
};

TEST_F(ClientObjectsTest, AdoptedRefCallsByObjectIdAndReleasesOnDrop) {
  ReceiveRef(42, 1);
  EXPECT_EQ(client_->unadopted_count(42), 1u);
  absl::StatusOr<Ref<demo::CounterObject_Stub>> counter =
      client_->Adopt<demo::CounterObject_Stub>(last_ref_);
  ASSERT_THAT(counter.status(), IsOk());
  EXPECT_EQ(client_->unadopted_count(42), 0u);

  demo::IncrementRequest increment;
  increment.set_by(5);
  Captured<demo::CounterValue> value(
      client_->Call(*counter, &demo::CounterObject_Stub::Increment, increment));
  Frame call = TakeOne(Frame::kCall);
  EXPECT_EQ(call.call().object_id(), 42u);
  EXPECT_EQ(call.call().service(), "");
  EXPECT_EQ(call.call().method(), "Increment");
  demo::CounterValue five;
  five.set_value(5);
  broker_.SendReply(call.call().call_id(), five);
  EXPECT_EQ(value.result()->value(), 5);

  *counter = Ref<demo::CounterObject_Stub>();
  Frame release = TakeOne(Frame::kRelease);
  EXPECT_THAT(release.release().object_ids(), ElementsAre(42u));
}

TEST_F(ClientObjectsTest, ReleasesAreCountedAndBatchedPerIteration) {
  ReceiveRef(7, 3);
  std::vector<Ref<demo::CounterObject_Stub>> refs;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Ref<demo::CounterObject_Stub>> ref =
        client_->Adopt<demo::CounterObject_Stub>(last_ref_);
    ASSERT_THAT(ref.status(), IsOk());
    refs.push_back(*std::move(ref));
  }
  // A fourth adoption has no receipt behind it.
  EXPECT_THAT(client_->Adopt<demo::CounterObject_Stub>(last_ref_).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  refs.clear();
  broker_.Pump();
  std::vector<Frame> releases = broker_.TakeFrames(Frame::kRelease);
  ASSERT_EQ(releases.size(), 1u);
  EXPECT_THAT(releases[0].release().object_ids(), ElementsAre(7u, 7u, 7u));
}

TEST_F(ClientObjectsTest, ReleaseWithoutAdopting) {
  ReceiveRef(9, 1);
  EXPECT_THAT(client_->Release(last_ref_), IsOk());
  EXPECT_THAT(client_->Release(last_ref_), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(TakeOne(Frame::kRelease).release().object_ids(), ElementsAre(9u));
}

TEST_F(ClientObjectsTest, RefOutlivingTheClientIsInert) {
  ReceiveRef(3, 1);
  absl::StatusOr<Ref<demo::CounterObject_Stub>> ref =
      client_->Adopt<demo::CounterObject_Stub>(last_ref_);
  ASSERT_THAT(ref.status(), IsOk());
  client_.reset();
  loop_.RunUntilIdle();
  ref->Reset();  // No crash, nothing sent.
}

TEST_F(ClientObjectsTest, ExportedCallbackReceivesCallsAndReplies) {
  weft::v1::ObjectRef watcher =
      client_->Export(std::make_unique<RecordingWatcher>(seen, destroyed));
  EXPECT_EQ(watcher.node(), "");
  EXPECT_NE(watcher.object_id(), 0u);
  EXPECT_EQ(watcher.interface(), "demo.CounterWatcher");

  demo::CounterValue value;
  value.set_value(11);
  broker_.Send(IncomingCall(500, watcher.object_id(), "Changed", value));
  EXPECT_THAT(seen, ElementsAre(11));
  Frame reply = TakeOne(Frame::kReply);
  EXPECT_EQ(reply.reply().call_id(), 500u);
  EXPECT_EQ(reply.reply().status().code(), 0);
  demo::ChangedAck ack;
  EXPECT_TRUE(ack.ParseFromString(reply.reply().payload()));
}

TEST_F(ClientObjectsTest, ExportedServantDiesWhenTheBrokerReleasesEverySentCount) {
  weft::v1::ObjectRef watcher =
      client_->Export(std::make_unique<RecordingWatcher>(seen, destroyed));
  ReceiveRef(42, 1);
  absl::StatusOr<Ref<demo::CounterObject_Stub>> counter =
      client_->Adopt<demo::CounterObject_Stub>(last_ref_);
  ASSERT_THAT(counter.status(), IsOk());
  demo::WatchRequest watch;
  *watch.mutable_watcher() = watcher;
  for (int i = 0; i < 2; ++i) {  // Sent twice: two counts.
    Captured<demo::WatchResponse> watched(
        client_->Call(*counter, &demo::CounterObject_Stub::Watch, watch));
    broker_.SendReply(TakeOne(Frame::kCall).call().call_id(), demo::WatchResponse());
  }
  Frame release;
  release.mutable_release()->add_object_ids(watcher.object_id());
  broker_.Send(release);
  EXPECT_FALSE(destroyed);
  EXPECT_EQ(client_->exported_count(), 1u);
  broker_.Send(release);
  EXPECT_EQ(client_->exported_count(), 0u);
  loop_.RunUntilIdle();
  EXPECT_TRUE(destroyed);
  // Calls on it now fail NOT_FOUND.
  broker_.Send(IncomingCall(600, watcher.object_id(), "Changed", demo::CounterValue()));
  EXPECT_EQ(TakeOne(Frame::kReply).reply().status().code(),
            static_cast<int>(absl::StatusCode::kNotFound));
}

TEST_F(ClientObjectsTest, UnknownMethodAndBadPayloadAreReplies) {
  weft::v1::ObjectRef watcher =
      client_->Export(std::make_unique<RecordingWatcher>(seen, destroyed));
  broker_.Send(IncomingCall(1, watcher.object_id(), "Nope", demo::CounterValue()));
  Frame not_found = TakeOne(Frame::kReply);
  EXPECT_EQ(not_found.reply().status().code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(not_found.reply().status().message(),
            "service 'demo.CounterWatcher' has no method 'Nope'");

  Frame bad = IncomingCall(2, watcher.object_id(), "Changed", demo::CounterValue());
  bad.mutable_call()->set_payload("\xff\xff");
  broker_.Send(bad);
  EXPECT_EQ(TakeOne(Frame::kReply).reply().status().code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(seen.empty());

  broker_.Send(IncomingCall(3, 999, "Changed", demo::CounterValue()));
  EXPECT_EQ(TakeOne(Frame::kReply).reply().status().code(),
            static_cast<int>(absl::StatusCode::kNotFound));
}

TEST_F(ClientObjectsTest, IncomingCancelReachesNotifyOnCancel) {
  auto greeter = std::make_unique<SlowGreeter>();
  SlowGreeter& servant = *greeter;
  weft::v1::ObjectRef ref = client_->Export(std::move(greeter));
  demo::HelloRequest hello;
  hello.set_name("ann");
  broker_.Send(IncomingCall(77, ref.object_id(), "SayHello", hello));
  ASSERT_NE(servant.done, nullptr);
  EXPECT_FALSE(servant.context->IsCanceled());

  Frame cancel;
  cancel.mutable_cancel()->set_call_id(77);
  broker_.Send(cancel);
  EXPECT_TRUE(servant.cancelled);
  EXPECT_TRUE(servant.context->IsCanceled());
  Frame reply = TakeOne(Frame::kReply);
  EXPECT_EQ(reply.reply().status().code(), static_cast<int>(absl::StatusCode::kCancelled));
  servant.Finish();  // The late result is not sent.
  broker_.Pump();
  EXPECT_TRUE(broker_.TakeFrames(Frame::kReply).empty());
}

TEST_F(ClientObjectsTest, IncomingDeadlineCancelsTheServant) {
  auto greeter = std::make_unique<SlowGreeter>();
  SlowGreeter& servant = *greeter;
  weft::v1::ObjectRef ref = client_->Export(std::move(greeter));
  Frame call = IncomingCall(5, ref.object_id(), "SayHello", demo::HelloRequest());
  call.mutable_call()->set_timeout_micros(1000000);
  broker_.Send(call);
  ASSERT_TRUE(servant.context->deadline().has_value());
  loop_.AdvanceBy(absl::Seconds(1));
  EXPECT_TRUE(servant.cancelled);
  EXPECT_EQ(TakeOne(Frame::kReply).reply().status().code(),
            static_cast<int>(absl::StatusCode::kDeadlineExceeded));
  servant.Finish();
}

TEST_F(ClientObjectsTest, AsyncServantRepliesWhenDoneRuns) {
  auto greeter = std::make_unique<SlowGreeter>();
  SlowGreeter& servant = *greeter;
  weft::v1::ObjectRef ref = client_->Export(std::move(greeter));
  demo::HelloRequest hello;
  hello.set_name("bob");
  Frame call = IncomingCall(8, ref.object_id(), "SayHello", hello);
  (*call.mutable_call()->mutable_metadata())["lang"] = "en";
  broker_.Send(call);
  EXPECT_EQ(servant.context->metadata("lang"), "en");
  broker_.Pump();
  EXPECT_TRUE(broker_.TakeFrames(Frame::kReply).empty());
  servant.Finish();
  Frame reply = TakeOne(Frame::kReply);
  demo::HelloReply message;
  ASSERT_TRUE(message.ParseFromString(reply.reply().payload()));
  EXPECT_EQ(message.message(), "Hello, bob!");
}

}  // namespace
}  // namespace weft::clients
