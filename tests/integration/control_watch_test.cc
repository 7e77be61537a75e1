// Watch end to end against the real weftd: a client's life arrives in order (connection opened,
// service registered, routing failure, service unregistered, connection closed), a dead letter
// of a durable route is told, kinds filter the feed, and bad requests are refused.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/cpp/blocking_client.h"
#include "demo/greeter.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "protocols/wire/wire_types.h"
#include "tests/integration/control_testing.h"
#include "tests/integration/weftd_process.h"
#include "tests/testing/status_matchers.h"
#include "weft/control/v1/control.grpc.pb.h"

namespace weft::testing {
namespace {

namespace v1 = ::weft::control::v1;
namespace pw = protocols::wire;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::weft::testing::IsOk;

// An open Watch stream.
class Watcher {
 public:
  Watcher(ControlStub& stub, const std::vector<v1::EventKind>& kinds) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::WatchRequest request;
    for (v1::EventKind kind : kinds) request.add_kinds(kind);
    reader_ = stub.Watch(&context_, request);
  }
  ~Watcher() {
    if (finished_) return;
    context_.TryCancel();
    v1::Event ignored;
    while (reader_->Read(&ignored)) {
    }
    reader_->Finish().IgnoreError();
  }
  // Returns once weftd subscribed the stream: events from now on are not missed.
  void WaitUntilSubscribed() { reader_->WaitForInitialMetadata(); }
  // The next event; nullopt when the stream ended.
  std::optional<v1::Event> Next() {
    v1::Event event;
    if (!reader_->Read(&event)) return std::nullopt;
    return event;
  }
  // Once, after Next() came up empty.
  grpc::Status Finish() {
    finished_ = true;
    return reader_->Finish();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader_;
  bool finished_ = false;
};

std::string Describe(const v1::Event& event) {
  return absl::StrCat(v1::EventKind_Name(event.kind()), " ", event.subject());
}

class ControlWatchTest : public ::testing::Test {
 protected:
  void Start(absl::string_view extra_config) {
    absl::StatusOr<std::unique_ptr<WeftdProcess>> weftd =
        WeftdProcess::Start(absl::StrCat("services { name: \"demo.Calculator\" }\n", extra_config),
                            {"--loops", "2"}, "", {"control"});
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

  std::unique_ptr<WeftdProcess> weftd_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ControlStub> stub_;
};

TEST_F(ControlWatchTest, AClientsLifeArrivesInOrder) {
  Start("");
  Watcher watcher(*stub_, {});
  watcher.WaitUntilSubscribed();
  {
    RawWire client(weftd_->port());
    ASSERT_TRUE(client.connected());
    client.Hello("watch-test");
    const std::string descriptors =
        DescriptorSetOf(*demo::HelloRequest::descriptor()->file()).SerializeAsString();
    pw::Register registration;
    registration.call_id = 1;
    registration.services = {"demo.Greeter"};
    registration.descriptors = descriptors;
    client.SendFrame(registration);
    std::optional<pw::Frame> registered = client.Next();
    ASSERT_TRUE(registered.has_value() && std::holds_alternative<pw::Reply>(*registered));
    ASSERT_EQ(std::get<pw::Reply>(*registered).status_code, 0);
    pw::Call call;
    call.call_id = 2;
    call.service = "demo.Nope";
    call.method = "Hello";
    client.SendFrame(call);
    std::optional<pw::Frame> failed = client.Next();
    ASSERT_TRUE(failed.has_value() && std::holds_alternative<pw::Reply>(*failed));
    ASSERT_EQ(std::get<pw::Reply>(*failed).status_code,
              static_cast<int32_t>(absl::StatusCode::kNotFound));
  }  // Closes the connection.

  std::vector<v1::Event> events;
  std::string id;
  while (std::optional<v1::Event> event = watcher.Next()) {
    events.push_back(*event);
    if (event->kind() == v1::EVENT_KIND_CONNECTION_OPENED) id = event->subject();
    if (event->kind() == v1::EVENT_KIND_CONNECTION_CLOSED && event->subject() == id) break;
  }
  ASSERT_FALSE(id.empty());
  std::vector<std::string> seen;
  for (const v1::Event& event : events) seen.push_back(Describe(event));
  EXPECT_THAT(seen, ElementsAre(absl::StrCat("EVENT_KIND_CONNECTION_OPENED ", id),
                                "EVENT_KIND_SERVICE_REGISTERED demo.Greeter",
                                "EVENT_KIND_ROUTING_FAILED demo.Nope.Hello",
                                "EVENT_KIND_SERVICE_UNREGISTERED demo.Greeter",
                                absl::StrCat("EVENT_KIND_CONNECTION_CLOSED ", id)));
  ASSERT_EQ(events.size(), 5u);
  EXPECT_THAT(events[0].detail(), StartsWith("wire client 'watch-test' from 127.0.0.1:"));
  EXPECT_EQ(events[4].detail(), events[0].detail());
  EXPECT_EQ(events[1].detail(), absl::StrCat("by connection ", id));
  EXPECT_THAT(events[2].detail(), StartsWith("NOT_FOUND: "));
  for (std::size_t i = 1; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), events[i - 1].sequence() + 1);
    EXPECT_GE(events[i].at_unix_ms(), events[i - 1].at_unix_ms());
  }
}

// The HTTP gateway finds a call's method itself; its routing failures reach Watch too.
TEST_F(ControlWatchTest, HttpCallsToUnknownMethodsAreRoutingFailures) {
  absl::StatusOr<std::unique_ptr<WeftdProcess>> weftd = WeftdProcess::Start(
      "services { name: \"demo.Calculator\" }\n", {"--loops", "2"}, "", {"control", "http"});
  ASSERT_TRUE(weftd.ok()) << weftd.status();
  weftd_ = *std::move(weftd);
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", weftd_->listener_port("control")),
                                 grpc::InsecureChannelCredentials());
  stub_ = v1::Control::NewStub(channel_);
  Watcher watcher(*stub_, {v1::EVENT_KIND_ROUTING_FAILED});
  watcher.WaitUntilSubscribed();
  RawHttp http(weftd_->listener_port("http"));
  const std::string body =
      R"({"jsonrpc":"2.0","method":"demo.Calculator.Nope","params":{},"id":1})";
  http.Request(absl::StrCat("POST /jsonrpc HTTP/1.1\r\nHost: t\r\nContent-Length: ", body.size(),
                            "\r\n\r\n", body),
               protocols::http::HttpMethod::kPost);
  ASSERT_TRUE(http.Next().has_value());
  std::optional<v1::Event> event = watcher.Next();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(Describe(*event), "EVENT_KIND_ROUTING_FAILED demo.Calculator.Nope");
  EXPECT_THAT(event->detail(), StartsWith("NOT_FOUND: "));
}

TEST_F(ControlWatchTest, ADeadLetterOfADurableRouteIsTold) {
  Start(R"(
routes {
  target: "demo.Greeter"
  durable { queue: "greetings" max_attempts: 1 initial_backoff_ms: 10 }
}
)");
  Watcher watcher(*stub_, {v1::EVENT_KIND_DEAD_LETTER});
  watcher.WaitUntilSubscribed();
  clients::ClientOptions options;
  options.reconnect.enabled = false;
  absl::StatusOr<std::unique_ptr<clients::BlockingClient>> client =
      clients::BlockingClient::Connect(weftd_->endpoint(), options);
  ASSERT_THAT(client.status(), IsOk());
  demo::HelloRequest hello;
  hello.set_name("nobody-home");
  // Stored and acknowledged; delivered to nobody, and one attempt makes it a dead letter.
  ASSERT_THAT((*client)->Call(&demo::Greeter_Stub::SayHello, hello).status(), IsOk());
  std::optional<v1::Event> event = watcher.Next();  // Only dead letters: the connection is not.
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->kind(), v1::EVENT_KIND_DEAD_LETTER);
  EXPECT_EQ(event->subject(), "greetings");
  EXPECT_THAT(event->detail(), HasSubstr("demo.Greeter.SayHello after 1 attempts: NOT_FOUND"));
}

TEST_F(ControlWatchTest, RouteChangesAreToldAndBadKindsRefused) {
  Start("");
  {
    grpc::ClientContext context;
    v1::WatchRequest request;
    request.add_kinds(static_cast<v1::EventKind>(42));
    std::unique_ptr<grpc::ClientReader<v1::Event>> reader = stub_->Watch(&context, request);
    v1::Event event;
    EXPECT_FALSE(reader->Read(&event));
    grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("kinds"));
  }
  Watcher watcher(*stub_, {v1::EVENT_KIND_ROUTE_CHANGED});
  watcher.WaitUntilSubscribed();
  v1::PutRouteRequest put;
  put.mutable_route()->set_target("demo.Calculator.Add");
  put.mutable_route()->set_topic("calc.audit");
  ASSERT_THAT(CallControl(*stub_, &ControlStub::PutRoute, put).status(), IsOk());
  v1::DeleteRouteRequest remove;
  remove.set_target("demo.Calculator.Add");
  ASSERT_THAT(CallControl(*stub_, &ControlStub::DeleteRoute, remove).status(), IsOk());
  std::optional<v1::Event> first = watcher.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(Describe(*first), "EVENT_KIND_ROUTE_CHANGED demo.Calculator.Add");
  EXPECT_EQ(first->detail(), "put: topic calc.audit");
  std::optional<v1::Event> second = watcher.Next();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->detail(), "deleted");
}

TEST_F(ControlWatchTest, ShutdownEndsOpenWatches) {
  Start("");
  Watcher watcher(*stub_, {});
  watcher.WaitUntilSubscribed();
  EXPECT_EQ(weftd_->Stop(), 0) << weftd_->stderr_text();
  weftd_.reset();
  while (watcher.Next().has_value()) {
  }
  EXPECT_EQ(watcher.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace weft::testing
