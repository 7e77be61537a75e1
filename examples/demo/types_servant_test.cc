#include "examples/demo/types_servant.h"

#include <memory>
#include <string>

#include "broker/call_context.h"
#include "demo/types.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::examples {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::weft::broker::CallContext;
using ::weft::testing::IsOk;

// A done closure that counts its runs.
class CountingClosure final : public google::protobuf::Closure {
 public:
  void Run() override { ++runs_; }
  int runs() const { return runs_; }

 private:
  int runs_ = 0;
};

// Every field set, with values at the edges of their types.
demo::AllTypes EveryField() {
  demo::AllTypes message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        int32_value: -2147483648
        int64_value: 9223372036854775807
        uint32_value: 4294967295
        uint64_value: 18446744073709551615
        sint32_value: -7
        bool_value: true
        double_value: 0.1
        float_value: 1.5
        string_value: "h\303\251llo <&>"
        bytes_value: "\000\377\n"
        color: COLOR_BLUE
        nested { name: "inner" value: 3 }
        int32_list: [ 1, -2, 3 ]
        string_list: [ "a", "" ]
        nested_list { name: "x" value: 1 }
        nested_list {}
        counts { key: "one" value: 1 }
        counts { key: "" value: -1 }
        timestamp { seconds: 1767261600 nanos: 500000000 }
        optional_int32: 0
      )pb",
      &message));
  return message;
}

TEST(TypesServantTest, EchoesEveryField) {
  TypesServant servant;
  CallContext context;
  const demo::AllTypes request = EveryField();
  demo::AllTypes response;
  CountingClosure done;
  servant.Echo(&context, &request, &response, &done);
  EXPECT_EQ(done.runs(), 1);
  EXPECT_THAT(context.status(), IsOk());
  EXPECT_TRUE(MessageDifferencer::Equals(response, request)) << response.DebugString();
  EXPECT_TRUE(response.has_optional_int32());
}

TEST(TypesServantTest, EchoesAnEmptyMessageWithoutPresence) {
  TypesServant servant;
  CallContext context;
  const demo::AllTypes request;
  demo::AllTypes response = EveryField();
  CountingClosure done;
  servant.Echo(&context, &request, &response, &done);
  EXPECT_EQ(done.runs(), 1);
  EXPECT_THAT(context.status(), IsOk());
  EXPECT_TRUE(MessageDifferencer::Equals(response, request)) << response.DebugString();
  EXPECT_FALSE(response.has_optional_int32());
  EXPECT_FALSE(response.has_nested());
  EXPECT_FALSE(response.has_timestamp());
}

// The broker reaches servants through google::protobuf::Service::CallMethod.
TEST(TypesServantTest, ServesThroughCallMethod) {
  TypesServant servant;
  CallContext context;
  const google::protobuf::ServiceDescriptor* service = servant.GetDescriptor();
  EXPECT_EQ(service->full_name(), "demo.Types");
  const google::protobuf::MethodDescriptor* method = service->FindMethodByName("Echo");
  ASSERT_NE(method, nullptr);
  std::unique_ptr<google::protobuf::Message> request(servant.GetRequestPrototype(method).New());
  std::unique_ptr<google::protobuf::Message> response(servant.GetResponsePrototype(method).New());
  ASSERT_TRUE(request->ParseFromString(EveryField().SerializeAsString()));
  CountingClosure done;
  servant.CallMethod(method, &context, request.get(), response.get(), &done);
  EXPECT_EQ(done.runs(), 1);
  EXPECT_THAT(context.status(), IsOk());
  demo::AllTypes typed;
  ASSERT_TRUE(typed.ParseFromString(response->SerializeAsString()));
  EXPECT_TRUE(MessageDifferencer::Equals(typed, EveryField())) << typed.DebugString();
}

}  // namespace
}  // namespace weft::examples
