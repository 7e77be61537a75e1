#include "examples/greeter/greeter_servant.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "clients/cpp/server_context.h"
#include "demo/greeter.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::examples {
namespace {

using ::weft::clients::ServerContext;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

class CountingClosure final : public google::protobuf::Closure {
 public:
  void Run() override { ++runs_; }
  int runs() const { return runs_; }

 private:
  int runs_ = 0;
};

class GreeterServantTest : public ::testing::Test {
 protected:
  demo::HelloReply SayHello(const std::string& name) {
    demo::HelloRequest request;
    request.set_name(name);
    demo::HelloReply reply;
    CountingClosure done;
    servant_.SayHello(&context_, &request, &reply, &done);
    EXPECT_EQ(done.runs(), 1);
    return reply;
  }

  GreeterServant servant_;
  ServerContext context_;
};

TEST_F(GreeterServantTest, GreetsByName) {
  EXPECT_EQ(SayHello("Ada").message(), "Hello, Ada!");
  EXPECT_THAT(context_.status(), IsOk());
}

TEST_F(GreeterServantTest, KeepsTheNameAsGiven) {
  EXPECT_EQ(SayHello("  Grace Hopper ").message(), "Hello,   Grace Hopper !");
  EXPECT_EQ(SayHello("Zoë").message(), "Hello, Zoë!");
  EXPECT_THAT(context_.status(), IsOk());
}

TEST_F(GreeterServantTest, EmptyNameIsInvalidArgument) {
  demo::HelloReply reply = SayHello("");
  EXPECT_THAT(context_.status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "say_hello: name is empty"));
  EXPECT_EQ(reply.message(), "");
}

// The client library dispatches through google::protobuf::Service::CallMethod.
TEST_F(GreeterServantTest, ServesThroughCallMethod) {
  const google::protobuf::ServiceDescriptor* service = servant_.GetDescriptor();
  EXPECT_EQ(service->full_name(), "demo.Greeter");
  const google::protobuf::MethodDescriptor* method = service->FindMethodByName("SayHello");
  ASSERT_NE(method, nullptr);
  std::unique_ptr<google::protobuf::Message> request(servant_.GetRequestPrototype(method).New());
  std::unique_ptr<google::protobuf::Message> reply(servant_.GetResponsePrototype(method).New());
  demo::HelloRequest typed_request;
  typed_request.set_name("wire");
  ASSERT_TRUE(request->ParseFromString(typed_request.SerializeAsString()));
  CountingClosure done;
  servant_.CallMethod(method, &context_, request.get(), reply.get(), &done);
  EXPECT_EQ(done.runs(), 1);
  EXPECT_THAT(context_.status(), IsOk());
  demo::HelloReply typed_reply;
  ASSERT_TRUE(typed_reply.ParseFromString(reply->SerializeAsString()));
  EXPECT_EQ(typed_reply.message(), "Hello, wire!");
}

}  // namespace
}  // namespace weft::examples
