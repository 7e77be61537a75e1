// ListConnections and CloseConnection against the real weftd: every loop's connections with
// their gateway, peer, client name and age; a gateway filter; an operator closing a wire
// connection (its client gets GoAway); and the errors.
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

class ControlConnectionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<WeftdProcess>> weftd = WeftdProcess::Start(
        "services { name: \"demo.Calculator\" }\n", {"--loops", "2"}, "", {"control", "http"});
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

  absl::StatusOr<v1::ListConnectionsResponse> List(const std::string& gateway = "") {
    v1::ListConnectionsRequest request;
    request.set_gateway(gateway);
    return CallControl(*stub_, &ControlStub::ListConnections, request);
  }
  absl::Status Close(uint64_t id) {
    v1::CloseConnectionRequest request;
    request.set_id(id);
    return CallControl(*stub_, &ControlStub::CloseConnection, request).status();
  }
  // The listed connection whose user is `user`.
  std::optional<v1::ConnectionInfo> Find(const std::string& user) {
    absl::StatusOr<v1::ListConnectionsResponse> list = List();
    if (!list.ok()) return std::nullopt;
    for (const v1::ConnectionInfo& c : list->connections()) {
      if (c.user() == user) return c;
    }
    return std::nullopt;
  }

  std::unique_ptr<WeftdProcess> weftd_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ControlStub> stub_;
};

TEST_F(ControlConnectionsTest, ListsEveryLoopsConnectionsAndFiltersByGateway) {
  RawWire first(weftd_->port());
  first.Hello("first-client");
  RawWire second(weftd_->port());
  second.Hello("second-client");
  RawHttp http(weftd_->listener_port("http"));
  http.Request("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
  ASSERT_TRUE(http.Next().has_value());

  absl::StatusOr<v1::ListConnectionsResponse> all = List();
  ASSERT_THAT(all, IsOk());
  std::optional<v1::ConnectionInfo> wire = Find("first-client");
  ASSERT_TRUE(wire.has_value());
  EXPECT_EQ(wire->gateway(), "wire");
  EXPECT_THAT(wire->peer(), StartsWith("127.0.0.1:"));
  EXPECT_NE(wire->id(), 0u);
  EXPECT_GE(wire->age_ms(), 0);
  EXPECT_TRUE(wire->closable());
  // Hello in, Welcome out.
  EXPECT_GT(wire->bytes_in(), 0u);
  EXPECT_GT(wire->bytes_out(), 0u);
  ASSERT_TRUE(Find("second-client").has_value());
  EXPECT_NE(Find("second-client")->id(), wire->id());
  // The HTTP connection and the durable queues' internal one are broker connections too.
  absl::StatusOr<v1::ListConnectionsResponse> https = List("http");
  ASSERT_THAT(https, IsOk());
  ASSERT_EQ(https->connections_size(), 1);
  EXPECT_THAT(https->connections(0).peer(), StartsWith("127.0.0.1:"));
  EXPECT_TRUE(https->connections(0).closable());
  EXPECT_GT(https->connections(0).bytes_in(), 0u);
  EXPECT_GT(https->connections(0).bytes_out(), 0u);
  EXPECT_TRUE(Find("durable-queues").has_value());
  EXPECT_FALSE(Find("durable-queues")->has_bytes_in());  // Internal: nothing to count.
  for (std::size_t i = 1; i < static_cast<std::size_t>(all->connections_size()); ++i) {
    EXPECT_LT(all->connections(i - 1).id(), all->connections(i).id());
  }

  absl::StatusOr<v1::ListConnectionsResponse> wires = List("wire");
  ASSERT_THAT(wires, IsOk());
  ASSERT_EQ(wires->connections_size(), 2);
  for (const v1::ConnectionInfo& c : wires->connections()) EXPECT_EQ(c.gateway(), "wire");
  absl::StatusOr<v1::ListConnectionsResponse> none = List("smtp");
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->connections_size(), 0);
}

TEST_F(ControlConnectionsTest, CloseConnectionSendsGoAwayAndTheConnectionLeavesTheList) {
  RawWire client(weftd_->port());
  client.Hello("to-be-closed");
  std::optional<v1::ConnectionInfo> listed = Find("to-be-closed");
  ASSERT_TRUE(listed.has_value());

  ASSERT_THAT(Close(listed->id()), IsOk());
  std::optional<pw::Frame> frame = client.Next();
  ASSERT_TRUE(frame.has_value());
  ASSERT_TRUE(std::holds_alternative<pw::GoAway>(*frame));
  EXPECT_EQ(std::get<pw::GoAway>(*frame).status_code,
            static_cast<int32_t>(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(std::get<pw::GoAway>(*frame).status_message), HasSubstr("operator"));
  EXPECT_TRUE(client.ClosedWithin(absl::Seconds(10)));
  ASSERT_TRUE(Eventually([&] { return !Find("to-be-closed").has_value(); }));
  EXPECT_THAT(Close(listed->id()), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ControlConnectionsTest, CloseConnectionRejectsBadIdsAndConnectionsItCannotClose) {
  EXPECT_THAT(Close(0), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id")));
  EXPECT_THAT(Close((uint64_t{1000} << 48) | 1), StatusIs(absl::StatusCode::kNotFound));
  std::optional<v1::ConnectionInfo> internal = Find("durable-queues");
  ASSERT_TRUE(internal.has_value());
  EXPECT_FALSE(internal->closable());
  EXPECT_THAT(Close(internal->id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("cannot be closed")));
}

TEST_F(ControlConnectionsTest, CloseConnectionClosesAnHttpKeepAliveConnection) {
  RawHttp http(weftd_->listener_port("http"));
  http.Request("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
  ASSERT_TRUE(http.Next().has_value());
  absl::StatusOr<v1::ListConnectionsResponse> https = List("http");
  ASSERT_THAT(https, IsOk());
  ASSERT_EQ(https->connections_size(), 1);
  ASSERT_THAT(Close(https->connections(0).id()), IsOk());
  EXPECT_TRUE(http.ClosedWithin(absl::Seconds(10)));
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<v1::ListConnectionsResponse> after = List("http");
    return after.ok() && after->connections_size() == 0;
  }));
}

}  // namespace
}  // namespace weft::testing
