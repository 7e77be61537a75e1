#include <memory>
#include <string>
#include <vector>

#include "clients/cpp/client.h"
#include "clients/cpp/server_context.h"
#include "clients/cpp/testing/client_fixture.h"
#include "demo/calculator.pb.h"
#include "demo/counter.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
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

class Calculator final : public demo::Calculator {
 public:
  void Add(google::protobuf::RpcController*, const demo::AddRequest* request,
           demo::AddResponse* response, google::protobuf::Closure* done) override {
    response->set_sum(request->a() + request->b());
    done->Run();
  }
  void Divide(google::protobuf::RpcController* controller, const demo::DivideRequest* request,
              demo::DivideResponse* response, google::protobuf::Closure* done) override {
    if (request->divisor() == 0) {
      static_cast<ServerContext*>(controller)
          ->SetStatus(absl::InvalidArgumentError("division by zero"));
    } else {
      response->set_quotient(request->dividend() / request->divisor());
    }
    done->Run();
  }
};

class Counter final : public demo::Counter {
 public:
  void Create(google::protobuf::RpcController*, const demo::CreateRequest*, demo::CreateResponse*,
              google::protobuf::Closure* done) override {
    done->Run();
  }
};

std::vector<std::unique_ptr<google::protobuf::Service>> Services() {
  std::vector<std::unique_ptr<google::protobuf::Service>> services;
  services.push_back(std::make_unique<Calculator>());
  services.push_back(std::make_unique<Counter>());
  return services;
}

class ClientRegisterTest : public testing::ClientFixture {
 protected:
  void SetUp() override { Connect(); }

  Frame Call(uint64_t call_id, const std::string& service, const std::string& method,
             const google::protobuf::Message& request) {
    Frame frame;
    frame.mutable_call()->set_call_id(call_id);
    frame.mutable_call()->set_service(service);
    frame.mutable_call()->set_method(method);
    frame.mutable_call()->set_payload(request.SerializeAsString());
    return frame;
  }
};

TEST_F(ClientRegisterTest, SendsServicesWithTheirTransitiveDescriptors) {
  Captured<void> registered(client_->Register(Services()));
  Frame frame = TakeOne(Frame::kRegister);
  EXPECT_THAT(frame.register_().services(), ElementsAre("demo.Calculator", "demo.Counter"));
  std::vector<std::string> files;
  for (const auto& file : frame.register_().descriptors().file()) files.push_back(file.name());
  // Dependencies first: calculator.proto imports weft/v1/http.proto (its REST options), which
  // imports descriptor.proto; counter.proto imports object_ref.proto.
  EXPECT_THAT(files, ElementsAre("google/protobuf/descriptor.proto", "weft/v1/http.proto",
                                 "demo/calculator.proto", "weft/v1/object_ref.proto",
                                 "demo/counter.proto"));
  EXPECT_FALSE(registered.fired());

  Frame reply;
  reply.mutable_reply()->set_call_id(frame.register_().call_id());
  broker_.Send(reply);
  ASSERT_TRUE(registered.fired());
  EXPECT_THAT(registered.result(), IsOk());
}

TEST_F(ClientRegisterTest, DispatchesCallsToRegisteredServices) {
  Captured<void> registered(client_->Register(Services()));
  Frame reply;
  reply.mutable_reply()->set_call_id(TakeOne(Frame::kRegister).register_().call_id());
  broker_.Send(reply);
  ASSERT_THAT(registered.result(), IsOk());

  demo::AddRequest add;
  add.set_a(2);
  add.set_b(40);
  broker_.Send(Call(1, "demo.Calculator", "Add", add));
  Frame answer = TakeOne(Frame::kReply);
  demo::AddResponse sum;
  ASSERT_TRUE(sum.ParseFromString(answer.reply().payload()));
  EXPECT_EQ(sum.sum(), 42);

  demo::DivideRequest divide;
  broker_.Send(Call(2, "demo.Calculator", "Divide", divide));
  Frame failed = TakeOne(Frame::kReply);
  EXPECT_EQ(failed.reply().status().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(failed.reply().status().message(), "division by zero");
  EXPECT_TRUE(failed.reply().payload().empty());

  broker_.Send(Call(3, "demo.Nope", "Add", add));
  Frame unknown = TakeOne(Frame::kReply);
  EXPECT_EQ(unknown.reply().status().code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(unknown.reply().status().message(), "no service 'demo.Nope'");

  Frame one_way = Call(4, "demo.Calculator", "Add", add);
  one_way.mutable_call()->set_one_way(true);
  broker_.Send(one_way);
  broker_.Pump();
  EXPECT_TRUE(broker_.TakeFrames(Frame::kReply).empty());
}

TEST_F(ClientRegisterTest, RejectedRegistrationKeepsNothing) {
  Captured<void> registered(client_->Register(Services()));
  Frame frame = TakeOne(Frame::kRegister);
  Frame reply;
  reply.mutable_reply()->set_call_id(frame.register_().call_id());
  reply.mutable_reply()->mutable_status()->set_code(
      static_cast<int>(absl::StatusCode::kAlreadyExists));
  broker_.Send(reply);
  EXPECT_THAT(registered.result(), StatusIs(absl::StatusCode::kAlreadyExists));
  broker_.Send(Call(1, "demo.Calculator", "Add", demo::AddRequest()));
  EXPECT_EQ(TakeOne(Frame::kReply).reply().status().code(),
            static_cast<int>(absl::StatusCode::kNotFound));
}

TEST_F(ClientRegisterTest, DuplicateServiceIsRejectedLocally) {
  std::vector<std::unique_ptr<google::protobuf::Service>> services;
  services.push_back(std::make_unique<Calculator>());
  services.push_back(std::make_unique<Calculator>());
  Captured<void> registered(client_->Register(std::move(services)));
  EXPECT_THAT(registered.result(), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace weft::clients
