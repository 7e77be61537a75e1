// The control plane's gateway and reload operations against the real weftd: DrainGateway and
// EnableGateway with sessions open (a wire call in flight is answered before GoAway, an HTTP
// request in flight is answered with Connection: close, new connections are refused until the
// gateway is enabled again), and SIGHUP reloading the config file as ReloadConfig does.
#include <signal.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "demo/greeter.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "protocols/http/http_types.h"
#include "protocols/wire/wire_types.h"
#include "tests/integration/control_testing.h"
#include "tests/integration/weftd_process.h"
#include "tests/testing/status_matchers.h"
#include "weft/control/v1/control.grpc.pb.h"

namespace weft::testing {
namespace {

namespace v1 = ::weft::control::v1;
namespace pw = protocols::wire;
namespace ph = protocols::http;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
using Stub = ControlStub;

constexpr char kHealthz[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";

class ControlGatewaysTest : public ::testing::Test {
 protected:
  void Start(absl::string_view extra_config) {
    absl::StatusOr<std::unique_ptr<WeftdProcess>> weftd =
        WeftdProcess::Start(absl::StrCat("services { name: \"demo.Calculator\" }\n", extra_config),
                            {"--loops", "2"}, "", {"control", "http"});
    ASSERT_TRUE(weftd.ok()) << weftd.status();
    weftd_ = *std::move(weftd);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", weftd_->listener_port("control")),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Control::NewStub(channel_);
  }
  void TearDown() override {
    if (weftd_ != nullptr) {
      EXPECT_EQ(weftd_->Stop(), 0) << weftd_->stderr_text();
    }
  }

  absl::Status Drain(const std::string& gateway, int64_t* open_sessions = nullptr) {
    v1::DrainGatewayRequest request;
    request.set_gateway(gateway);
    absl::StatusOr<v1::DrainGatewayResponse> drained =
        CallControl(*stub_, &Stub::DrainGateway, request);
    if (drained.ok() && open_sessions != nullptr) *open_sessions = drained->open_sessions();
    return drained.status();
  }
  absl::Status Enable(const std::string& gateway) {
    v1::EnableGatewayRequest request;
    request.set_gateway(gateway);
    return CallControl(*stub_, &Stub::EnableGateway, request).status();
  }

  // A raw wire connection hosting demo.Greeter; the calls the broker sends it are read by hand.
  std::unique_ptr<RawWire> ConnectGreeterHost() {
    auto host = std::make_unique<RawWire>(weftd_->port());
    EXPECT_TRUE(host->connected());
    host->Hello("greeter-host");
    const std::string descriptors =
        DescriptorSetOf(*demo::HelloRequest::descriptor()->file()).SerializeAsString();
    pw::Register frame;
    frame.call_id = 1;
    frame.services = {"demo.Greeter"};
    frame.descriptors = descriptors;
    host->SendFrame(frame);
    std::optional<pw::Frame> reply = host->Next();
    EXPECT_TRUE(reply.has_value() && std::holds_alternative<pw::Reply>(*reply));
    if (reply.has_value() && std::holds_alternative<pw::Reply>(*reply)) {
      EXPECT_EQ(std::get<pw::Reply>(*reply).status_code, 0)
          << std::get<pw::Reply>(*reply).status_message;
    }
    return host;
  }

  // Waits for the broker's call to the host and returns its id (0 when none came).
  static uint64_t AwaitCall(RawWire& host) {
    std::optional<pw::Frame> frame = host.Next();
    if (!frame.has_value() || !std::holds_alternative<pw::Call>(*frame)) {
      ADD_FAILURE() << "the host got no call";
      return 0;
    }
    EXPECT_EQ(std::get<pw::Call>(*frame).method, "SayHello");
    return std::get<pw::Call>(*frame).call_id;
  }

  static void Answer(RawWire& host, uint64_t call_id, const std::string& message) {
    demo::HelloReply reply;
    reply.set_message(message);
    const std::string payload = reply.SerializeAsString();
    host.SendFrame(pw::Reply{call_id, 0, "", payload});
  }

  std::unique_ptr<WeftdProcess> weftd_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
};

TEST_F(ControlGatewaysTest, DrainWireAnswersTheCallInFlightThenGoesAwayAndEnableListensAgain) {
  Start("");
  // One session both hosts demo.Greeter and calls it, so its own call stays in flight until it
  // answers the broker's call: draining must wait for that.
  std::unique_ptr<RawWire> session = ConnectGreeterHost();
  demo::HelloRequest hello;
  hello.set_name("in-flight");
  const std::string payload = hello.SerializeAsString();
  pw::Call call;
  call.call_id = 7;
  call.service = "demo.Greeter";
  call.method = "SayHello";
  call.payload = payload;
  session->SendFrame(call);
  const uint64_t broker_call = AwaitCall(*session);
  ASSERT_NE(broker_call, 0u);
  RawHttp http(weftd_->listener_port("http"));  // A keep-alive HTTP connection, left alone.
  http.Request(kHealthz, ph::HttpMethod::kGet);
  ASSERT_TRUE(http.Next().has_value());

  int64_t open = -1;
  ASSERT_THAT(Drain("wire", &open), IsOk());
  EXPECT_EQ(open, 1);                                 // The session with its call in flight.
  EXPECT_FALSE(RawWire(weftd_->port()).connected());  // Every loop stopped listening.
  // The HTTP gateway is not affected.
  http.Request(kHealthz, ph::HttpMethod::kGet);
  std::optional<RawHttp::Response> health = http.Next();
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);

  // The session answers the broker; its own call is answered, then it gets GoAway.
  Answer(*session, broker_call, "hi in-flight");
  std::optional<pw::Frame> frame = session->Next();
  ASSERT_TRUE(frame.has_value());
  ASSERT_TRUE(std::holds_alternative<pw::Reply>(*frame));
  EXPECT_EQ(std::get<pw::Reply>(*frame).call_id, 7u);
  EXPECT_EQ(std::get<pw::Reply>(*frame).status_code, 0);
  demo::HelloReply answered;
  ASSERT_TRUE(
      answered.ParseFromArray(std::get<pw::Reply>(*frame).payload.data(),
                              static_cast<int>(std::get<pw::Reply>(*frame).payload.size())));
  EXPECT_EQ(answered.message(), "hi in-flight");
  frame = session->Next();
  ASSERT_TRUE(frame.has_value());
  ASSERT_TRUE(std::holds_alternative<pw::GoAway>(*frame));
  EXPECT_EQ(std::get<pw::GoAway>(*frame).status_code,
            static_cast<int32_t>(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(session->ClosedWithin(absl::Seconds(10)));

  ASSERT_THAT(Drain("wire"), IsOk());  // Draining again is harmless.
  ASSERT_THAT(Enable("wire"), IsOk());
  ASSERT_THAT(Enable("wire"), IsOk());  // So is enabling an enabled gateway.
  RawWire fresh(weftd_->port());        // The same port as before.
  ASSERT_TRUE(fresh.connected());
  fresh.Hello("after-enable");
}

TEST_F(ControlGatewaysTest, DrainHttpAnswersTheRequestInFlightWithConnectionClose) {
  Start("");
  std::unique_ptr<RawWire> host = ConnectGreeterHost();
  RawHttp http(weftd_->listener_port("http"));
  ASSERT_TRUE(http.connected());
  const std::string body = R"({"jsonrpc":"2.0","method":"demo.Greeter.SayHello",)"
                           R"("params":{"name":"x"},"id":1})";
  http.Request(absl::StrCat("POST /jsonrpc HTTP/1.1\r\nHost: t\r\nContent-Type: "
                            "application/json\r\nContent-Length: ",
                            body.size(), "\r\n\r\n", body),
               ph::HttpMethod::kPost);
  const uint64_t broker_call = AwaitCall(*host);  // The request is in flight.
  ASSERT_NE(broker_call, 0u);
  RawHttp idle(weftd_->listener_port("http"));  // A keep-alive connection with nothing asked.
  idle.Request(kHealthz, ph::HttpMethod::kGet);
  ASSERT_TRUE(idle.Next().has_value());

  ASSERT_THAT(Drain("http"), IsOk());
  EXPECT_FALSE(RawHttp(weftd_->listener_port("http")).connected());
  EXPECT_TRUE(idle.ClosedWithin(absl::Seconds(10)));
  Answer(*host, broker_call, "hi x");
  std::optional<RawHttp::Response> response = http.Next();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->body, HasSubstr("hi x"));
  EXPECT_EQ(response->connection, "close");
  EXPECT_TRUE(http.ClosedWithin(absl::Seconds(10)));
  // The wire gateway is not affected: the host still serves.
  RawWire other(weftd_->port());
  EXPECT_TRUE(other.connected());

  ASSERT_THAT(Enable("http"), IsOk());
  RawHttp again(weftd_->listener_port("http"));
  ASSERT_TRUE(again.connected());
  again.Request(kHealthz, ph::HttpMethod::kGet);
  std::optional<RawHttp::Response> health = again.Next();
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
}

TEST_F(ControlGatewaysTest, DrainAndEnableRejectBadGateways) {
  Start("");
  EXPECT_THAT(Drain(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("gateway")));
  EXPECT_THAT(Enable(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("gateway")));
  EXPECT_THAT(Drain("smtp"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("'smtp'")));
  EXPECT_THAT(Enable("control"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("'control'")));
  // Nothing was drained by the refused calls.
  RawWire wire(weftd_->port());
  EXPECT_TRUE(wire.connected());
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> RouteTargets(Stub& stub) {
  std::vector<std::string> targets;
  absl::StatusOr<v1::ListRoutesResponse> routes =
      CallControl(stub, &Stub::ListRoutes, v1::ListRoutesRequest());
  EXPECT_THAT(routes, IsOk());
  if (routes.ok()) {
    for (const auto& route : routes->routes()) {
      targets.push_back(absl::StrCat(route.target(), "->", route.service(), route.topic()));
    }
  }
  return targets;
}

TEST_F(ControlGatewaysTest, SighupReloadsTheConfigFileAndKeepsTheOldOneWhenBroken) {
  Start("routes { target: \"demo.Old\" service: \"demo.Calculator\" }\n");
  const std::string path = weftd_->config_path();
  const std::string original = ReadAll(path);
  ASSERT_THAT(original, HasSubstr("demo.Old"));

  std::ofstream(path, std::ios::trunc)
      << original << "routes { target: \"demo.Bad\" lisener: 1 }\n";
  weftd_->Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(weftd_->stderr_text(), "reload failed"); }))
      << weftd_->stderr_text();
  EXPECT_THAT(weftd_->stderr_text(), HasSubstr("lisener"));
  EXPECT_THAT(RouteTargets(*stub_), ElementsAre("demo.Old->demo.Calculator"));

  std::string next = original;
  const std::string old_route = "routes { target: \"demo.Old\" service: \"demo.Calculator\" }";
  next.replace(next.find(old_route), old_route.size(),
               "routes { target: \"demo.New\" topic: \"new\" }");
  std::ofstream(path, std::ios::trunc) << next;
  weftd_->Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return RouteTargets(*stub_) == std::vector<std::string>{"demo.New->new"};
  })) << weftd_->stderr_text();
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(
        weftd_->stderr_text(),
        "weftd: reloaded config (route deleted: demo.Old; route put: demo.New)");
  })) << weftd_->stderr_text();
}

}  // namespace
}  // namespace weft::testing
