// The gRPC control plane end to end against the real weftd: every implemented RPC with good and
// bad arguments, bearer-token auth, a route changed while a client is calling, and a dead letter
// inspected, replayed to a target that came back, and purged. RPCs this build does not implement
// must say so (UNIMPLEMENTED), never answer with made-up data.
#include <atomic>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cpp/blocking_client.h"
#include "demo/calculator.pb.h"
#include "demo/counter.pb.h"
#include "demo/greeter.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/weftd_process.h"
#include "tests/testing/status_matchers.h"
#include "weft/control/v1/control.grpc.pb.h"

namespace weft::testing {
namespace {

namespace v1 = ::weft::control::v1;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
using Stub = v1::Control::Stub;

constexpr char kToken[] = "control-test-token-0123456789";

// Calls one control RPC, with `token` as bearer token when not empty.
template <typename Request, typename Response>
absl::StatusOr<Response> Call(Stub& stub,
                              grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                           Response*),
                              const Request& request, const std::string& token = "") {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!token.empty()) context.AddMetadata("authorization", token);
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  return response;
}

// Polls `condition` until it holds (20 s at most).
bool Eventually(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// demo.Greeter hosted by a test client; records the names it was sent.
class RecordingGreeter final : public demo::Greeter {
 public:
  void SayHello(google::protobuf::RpcController*, const demo::HelloRequest* request,
                demo::HelloReply* response, google::protobuf::Closure* done) override {
    {
      absl::MutexLock lock(&mutex_);
      names_.push_back(request->name());
    }
    response->set_message("hi");
    done->Run();
  }
  std::vector<std::string> names() {
    absl::MutexLock lock(&mutex_);
    return names_;
  }

 private:
  absl::Mutex mutex_;
  std::vector<std::string> names_ ABSL_GUARDED_BY(mutex_);
};

class ControlE2eTest : public ::testing::Test {
 protected:
  void Start(absl::string_view extra_config) {
    absl::StatusOr<std::unique_ptr<WeftdProcess>> weftd =
        WeftdProcess::Start(absl::StrCat("services { name: \"demo.Calculator\" }\n", extra_config),
                            {"--loops", "2"}, "", {"control"});
    ASSERT_TRUE(weftd.ok()) << weftd.status();
    weftd_ = *std::move(weftd);
    ASSERT_NE(weftd_->listener_port("control"), 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", weftd_->listener_port("control")),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Control::NewStub(channel_);
  }
  void TearDown() override {
    clients_.clear();
    if (weftd_ != nullptr) {
      EXPECT_EQ(weftd_->Stop(), 0) << weftd_->stderr_text();
    }
  }

  clients::BlockingClient& Connect() {
    clients::ClientOptions options;
    options.reconnect.enabled = false;
    absl::StatusOr<std::unique_ptr<clients::BlockingClient>> client =
        clients::BlockingClient::Connect(weftd_->endpoint(), options);
    EXPECT_TRUE(client.ok()) << client.status();
    clients_.push_back(*std::move(client));
    return *clients_.back();
  }

  std::unique_ptr<WeftdProcess> weftd_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
  std::vector<std::unique_ptr<clients::BlockingClient>> clients_;
};

TEST_F(ControlE2eTest, StatusReportsVersionLoopsListenersAndCounters) {
  Start("");
  absl::StatusOr<v1::GetStatusResponse> status =
      Call(*stub_, &Stub::GetStatus, v1::GetStatusRequest());
  ASSERT_THAT(status, IsOk());
  EXPECT_FALSE(status->version().empty());
  EXPECT_FALSE(status->node().empty());
  EXPECT_EQ(status->loops(), 2);
  EXPECT_GE(status->uptime_ms(), 0);
  EXPECT_GT(status->started_at_unix_ms(), absl::ToUnixMillis(absl::Now() - absl::Minutes(5)));
  std::vector<std::string> listeners;
  for (const v1::ListenerStatus& listener : status->listeners()) {
    listeners.push_back(absl::StrCat(listener.gateway(), " ", listener.endpoint()));
    EXPECT_FALSE(listener.tls());
  }
  EXPECT_THAT(listeners,
              Contains(absl::StrCat("wire tcp:", weftd_->port(), ":interface=127.0.0.1")));
  EXPECT_THAT(listeners, Contains(absl::StrCat("control tcp:", weftd_->listener_port("control"),
                                               ":interface=127.0.0.1")));
  EXPECT_EQ(status->broker().services(), 1);  // demo.Calculator.
  EXPECT_EQ(status->broker().routes(), 0);

  Connect();  // A wire session is a broker connection.
  absl::StatusOr<v1::GetStatusResponse> again =
      Call(*stub_, &Stub::GetStatus, v1::GetStatusRequest());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->broker().connections(), status->broker().connections() + 1);
}

TEST_F(ControlE2eTest, ListsAndDescribesServices) {
  Start("");
  absl::StatusOr<v1::ListServicesResponse> services =
      Call(*stub_, &Stub::ListServices, v1::ListServicesRequest());
  ASSERT_THAT(services, IsOk());
  ASSERT_EQ(services->services_size(), 1);
  EXPECT_EQ(services->services(0).name(), "demo.Calculator");
  EXPECT_EQ(services->services(0).file(), "demo/calculator.proto");
  EXPECT_THAT(services->services(0).methods(), ::testing::ElementsAre("Add", "Divide"));

  v1::DescribeServiceRequest request;
  request.set_service("demo.Calculator");
  absl::StatusOr<v1::DescribeServiceResponse> described =
      Call(*stub_, &Stub::DescribeService, request);
  ASSERT_THAT(described, IsOk());
  ASSERT_EQ(described->methods_size(), 2);
  EXPECT_EQ(described->methods(0).name(), "Add");
  EXPECT_EQ(described->methods(0).request_type(), "demo.AddRequest");
  EXPECT_EQ(described->methods(0).response_type(), "demo.AddResponse");
  ASSERT_GE(described->messages_size(), 1);
  EXPECT_EQ(described->messages(0).name(), "demo.AddRequest");
  ASSERT_EQ(described->messages(0).fields_size(), 2);
  EXPECT_EQ(described->messages(0).fields(1).name(), "b");
  EXPECT_EQ(described->messages(0).fields(1).type(), "int64");
  EXPECT_EQ(described->messages(0).fields(1).number(), 2);
  // The descriptor set is complete: a fresh pool builds the service from it alone.
  google::protobuf::DescriptorPool pool;
  for (const google::protobuf::FileDescriptorProto& file : described->descriptor_set().file()) {
    ASSERT_NE(pool.BuildFile(file), nullptr) << file.name();
  }
  const google::protobuf::ServiceDescriptor* service = pool.FindServiceByName("demo.Calculator");
  ASSERT_NE(service, nullptr);
  EXPECT_NE(service->FindMethodByName("Divide"), nullptr);

  request.set_service("demo.Nope");
  EXPECT_THAT(Call(*stub_, &Stub::DescribeService, request).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("demo.Nope")));
  request.clear_service();
  EXPECT_THAT(Call(*stub_, &Stub::DescribeService, request).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ControlE2eTest, PutListAndDeleteRoutesWithBadArguments) {
  Start("routes { target: \"demo.Old\" service: \"demo.Calculator\" }\n");
  absl::StatusOr<v1::ListRoutesResponse> routes =
      Call(*stub_, &Stub::ListRoutes, v1::ListRoutesRequest());
  ASSERT_THAT(routes, IsOk());
  ASSERT_EQ(routes->routes_size(), 1);
  EXPECT_EQ(routes->routes(0).target(), "demo.Old");
  EXPECT_EQ(routes->routes(0).service(), "demo.Calculator");

  v1::PutRouteRequest put;
  put.mutable_route()->set_target("not a pattern/x/y");
  put.mutable_route()->set_service("demo.Calculator");
  EXPECT_THAT(Call(*stub_, &Stub::PutRoute, put).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("route: target")));
  put.mutable_route()->set_target("demo.Audit");
  put.mutable_route()->set_topic("audit");
  put.mutable_route()->mutable_durable();  // A durable route cannot have a topic.
  EXPECT_THAT(Call(*stub_, &Stub::PutRoute, put).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Call(*stub_, &Stub::PutRoute, v1::PutRouteRequest()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));

  put.mutable_route()->clear_durable();
  absl::StatusOr<v1::PutRouteResponse> applied = Call(*stub_, &Stub::PutRoute, put);
  ASSERT_THAT(applied, IsOk());
  EXPECT_EQ(applied->route().topic(), "audit");
  v1::PutRouteRequest durable;  // No service: it delivers to the called one.
  durable.mutable_route()->set_target("demo.Queued");
  durable.mutable_route()->mutable_durable()->set_queue("queued");
  applied = Call(*stub_, &Stub::PutRoute, durable);
  ASSERT_THAT(applied, IsOk());
  EXPECT_EQ(applied->route().durable().max_attempts(), 10);  // The default, filled in.

  routes = Call(*stub_, &Stub::ListRoutes, v1::ListRoutesRequest());
  ASSERT_THAT(routes, IsOk());
  ASSERT_EQ(routes->routes_size(), 3);
  EXPECT_EQ(routes->routes(0).target(), "demo.Audit");
  EXPECT_EQ(routes->routes(1).target(), "demo.Old");
  EXPECT_EQ(routes->routes(2).durable().queue(), "queued");

  v1::DeleteRouteRequest remove;
  remove.set_target("demo.Old");
  EXPECT_THAT(Call(*stub_, &Stub::DeleteRoute, remove).status(), IsOk());
  EXPECT_THAT(Call(*stub_, &Stub::DeleteRoute, remove).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("demo.Old")));
  EXPECT_THAT(Call(*stub_, &Stub::DeleteRoute, v1::DeleteRouteRequest()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  routes = Call(*stub_, &Stub::ListRoutes, v1::ListRoutesRequest());
  ASSERT_THAT(routes, IsOk());
  EXPECT_EQ(routes->routes_size(), 2);
}

TEST_F(ControlE2eTest, RouteChangeAppliesToCallsInFlightFromAClient) {
  Start("");
  clients::BlockingClient& client = Connect();
  // Even phases are stable: 0 no route (Add answers the sum), 2 routed to a topic (an empty
  // reply), 4 route deleted. Odd phases are the changes in progress, where a call may see either.
  std::atomic<int> phase{0};
  std::atomic<bool> stop{false};
  std::atomic<int> calls_in_phase[5] = {0, 0, 0, 0, 0};
  absl::Mutex mutex;
  std::vector<std::string> errors;
  std::thread caller([&] {
    demo::AddRequest add;
    add.set_a(2);
    add.set_b(3);
    while (!stop.load()) {
      const int started_in = phase.load();
      absl::StatusOr<demo::AddResponse> sum = client.Call(&demo::Calculator_Stub::Add, add);
      const bool stable = started_in % 2 == 0 && phase.load() == started_in;
      const bool ok = sum.ok() && (!stable || sum->sum() == (started_in == 2 ? 0 : 5));
      if (!ok) {
        absl::MutexLock lock(&mutex);
        errors.push_back(
            absl::StrCat("phase ", started_in, ": ",
                         sum.ok() ? absl::StrCat("sum ", sum->sum()) : sum.status().ToString()));
      }
      calls_in_phase[started_in].fetch_add(1);
    }
  });
  ASSERT_TRUE(Eventually([&] { return calls_in_phase[0].load() >= 20; }));
  v1::PutRouteRequest put;
  put.mutable_route()->set_target("demo.Calculator.Add");
  put.mutable_route()->set_topic("calc.audit");
  phase.store(1);
  ASSERT_THAT(Call(*stub_, &Stub::PutRoute, put).status(), IsOk());
  phase.store(2);
  ASSERT_TRUE(Eventually([&] { return calls_in_phase[2].load() >= 20; }));
  v1::DeleteRouteRequest remove;
  remove.set_target("demo.Calculator.Add");
  phase.store(3);
  ASSERT_THAT(Call(*stub_, &Stub::DeleteRoute, remove).status(), IsOk());
  phase.store(4);
  ASSERT_TRUE(Eventually([&] { return calls_in_phase[4].load() >= 20; }));
  stop.store(true);
  caller.join();
  absl::MutexLock lock(&mutex);
  EXPECT_THAT(errors, IsEmpty());
}

TEST_F(ControlE2eTest, DeadLetterIsInspectedReplayedToTheTargetAndPurged) {
  Start(R"(
routes {
  target: "demo.Greeter"
  durable { queue: "greetings" max_attempts: 1 initial_backoff_ms: 10 }
}
)");
  clients::BlockingClient& sender = Connect();
  for (const char* name : {"lost-1", "lost-2"}) {
    demo::HelloRequest hello;
    hello.set_name(name);
    // Accepted (stored), then delivered to nobody: NOT_FOUND, and one attempt makes it dead.
    ASSERT_THAT(sender.Call(&demo::Greeter_Stub::SayHello, hello).status(), IsOk());
  }
  auto queue = [&]() -> v1::QueueInfo {
    absl::StatusOr<v1::ListQueuesResponse> queues =
        Call(*stub_, &Stub::ListQueues, v1::ListQueuesRequest());
    if (!queues.ok() || queues->queues_size() != 1) return v1::QueueInfo();
    return queues->queues(0);
  };
  ASSERT_TRUE(Eventually([&] { return queue().dead() == 2; }));
  EXPECT_EQ(queue().name(), "greetings");
  EXPECT_TRUE(queue().configured());
  EXPECT_EQ(queue().live(), 0);
  EXPECT_EQ(queue().dead_lettered(), 2u);

  v1::ListDeadLettersRequest list;
  list.set_queue("greetings");
  list.set_limit(1);
  absl::StatusOr<v1::ListDeadLettersResponse> page = Call(*stub_, &Stub::ListDeadLetters, list);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->messages_size(), 1);
  const v1::StoredMessage first = page->messages(0);
  EXPECT_EQ(first.service(), "demo.Greeter");
  EXPECT_EQ(first.method(), "SayHello");
  EXPECT_EQ(first.attempts(), 1);
  EXPECT_TRUE(first.dead());
  EXPECT_THAT(first.last_error(), HasSubstr("NOT_FOUND"));
  demo::HelloRequest payload;
  ASSERT_TRUE(payload.ParseFromString(first.payload()));
  EXPECT_EQ(payload.name(), "lost-1");
  EXPECT_EQ(page->next_after_id(), first.id());
  list.set_after_id(page->next_after_id());
  list.set_limit(0);
  page = Call(*stub_, &Stub::ListDeadLetters, list);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->messages_size(), 1);
  const int64_t second = page->messages(0).id();
  EXPECT_EQ(page->next_after_id(), 0);

  v1::GetMessageRequest get;
  get.set_id(first.id());
  absl::StatusOr<v1::GetMessageResponse> got = Call(*stub_, &Stub::GetMessage, get);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->message().payload(), first.payload());
  get.set_id(second + 1000);
  EXPECT_THAT(Call(*stub_, &Stub::GetMessage, get).status(), StatusIs(absl::StatusCode::kNotFound));

  // The target comes back; replaying one dead letter delivers it.
  clients::BlockingClient& host = Connect();
  auto greeter = std::make_unique<RecordingGreeter>();
  RecordingGreeter& target = *greeter;
  std::vector<std::unique_ptr<google::protobuf::Service>> services;
  services.push_back(std::move(greeter));
  ASSERT_THAT(host.Register(std::move(services)), IsOk());
  v1::ReplayRequest replay;
  replay.set_queue("greetings");
  replay.set_id(second + 1000);
  EXPECT_THAT(Call(*stub_, &Stub::Replay, replay).status(), StatusIs(absl::StatusCode::kNotFound));
  replay.set_id(first.id());
  absl::StatusOr<v1::ReplayResponse> replayed = Call(*stub_, &Stub::Replay, replay);
  ASSERT_THAT(replayed, IsOk());
  EXPECT_EQ(replayed->replayed(), 1);
  ASSERT_TRUE(Eventually([&] { return !target.names().empty(); }));
  EXPECT_THAT(target.names(), ::testing::ElementsAre("lost-1"));
  ASSERT_TRUE(Eventually([&] { return queue().delivered() == 1; }));
  EXPECT_EQ(queue().dead(), 1);

  v1::PurgeRequest purge;
  purge.set_queue("greetings");
  absl::StatusOr<v1::PurgeResponse> purged = Call(*stub_, &Stub::Purge, purge);
  ASSERT_THAT(purged, IsOk());
  EXPECT_EQ(purged->purged(), 1);
  EXPECT_EQ(queue().dead(), 0);
  EXPECT_THAT(target.names(), ::testing::ElementsAre("lost-1"));  // The purged one never went.
}

TEST_F(ControlE2eTest, QueueRpcsRejectBadArguments) {
  Start("");
  v1::ListDeadLettersRequest list;
  EXPECT_THAT(Call(*stub_, &Stub::ListDeadLetters, list).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("queue")));
  list.set_queue("q");
  list.set_limit(5000);
  EXPECT_THAT(Call(*stub_, &Stub::ListDeadLetters, list).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  list.set_limit(10);
  list.set_after_id(-1);
  EXPECT_THAT(Call(*stub_, &Stub::ListDeadLetters, list).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("after_id")));
  EXPECT_THAT(Call(*stub_, &Stub::GetMessage, v1::GetMessageRequest()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id")));
  EXPECT_THAT(Call(*stub_, &Stub::Replay, v1::ReplayRequest()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ReplayRequest replay;
  replay.set_queue("q");
  replay.set_id(0);
  EXPECT_THAT(Call(*stub_, &Stub::Replay, replay).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Call(*stub_, &Stub::Purge, v1::PurgeRequest()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // An unknown queue is empty, not an error: nothing is there to list or replay.
  absl::StatusOr<v1::ListQueuesResponse> queues =
      Call(*stub_, &Stub::ListQueues, v1::ListQueuesRequest());
  ASSERT_THAT(queues, IsOk());
  EXPECT_THAT(queues->queues(), IsEmpty());
}

// An object exported for a client is listed with its interface and holder; when the client
// drops its reference, the object goes.
TEST_F(ControlE2eTest, ListObjectsShowsInterfacesAndHolders) {
  Start(R"(services { name: "demo.Counter" })");
  absl::StatusOr<v1::ListObjectsResponse> none =
      Call(*stub_, &Stub::ListObjects, v1::ListObjectsRequest());
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->objects_size(), 0);

  clients::BlockingClient& client = Connect();
  demo::CreateRequest create;
  create.set_initial(5);
  absl::StatusOr<demo::CreateResponse> created = client.Call(&demo::Counter_Stub::Create, create);
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<clients::BlockingRef<demo::CounterObject_Stub>> counter =
      client.Adopt<demo::CounterObject_Stub>(created->counter());
  ASSERT_TRUE(counter.ok()) << counter.status();

  absl::StatusOr<v1::ListObjectsResponse> listed =
      Call(*stub_, &Stub::ListObjects, v1::ListObjectsRequest());
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->objects_size(), 1);
  const v1::ObjectInfo& object = listed->objects(0);
  EXPECT_EQ(object.object_id(), created->counter().object_id());
  EXPECT_EQ(object.interface(), "demo.CounterObject");
  EXPECT_EQ(object.host_connection_id(), 0u);  // In process.
  ASSERT_EQ(object.holders_size(), 1);
  EXPECT_EQ(object.holders(0).references(), 1);
  // The holder is the client's connection, as ListConnections names it.
  v1::ListConnectionsRequest wire;
  wire.set_gateway("wire");
  absl::StatusOr<v1::ListConnectionsResponse> connections =
      Call(*stub_, &Stub::ListConnections, wire);
  ASSERT_TRUE(connections.ok()) << connections.status();
  ASSERT_EQ(connections->connections_size(), 1);
  EXPECT_EQ(object.holders(0).connection_id(), connections->connections(0).id());
  EXPECT_GT(connections->connections(0).bytes_in(), 0u);
  EXPECT_GT(connections->connections(0).bytes_out(), 0u);

  *counter = clients::BlockingRef<demo::CounterObject_Stub>();
  EXPECT_TRUE(Eventually([&] {
    absl::StatusOr<v1::ListObjectsResponse> after =
        Call(*stub_, &Stub::ListObjects, v1::ListObjectsRequest());
    return after.ok() && after->objects_size() == 0;
  }));
}

// The config file WeftdProcess wrote: it sits beside the data dir it made.
std::string ConfigPath(const WeftdProcess& weftd) {
  std::string path = weftd.data_dir();
  return path.substr(0, path.rfind('/')) + "/weft.conf";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Rewrites the file in place, keeping its owner-only mode.
void Rewrite(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

std::vector<std::string> RouteTargets(Stub& stub) {
  std::vector<std::string> targets;
  absl::StatusOr<v1::ListRoutesResponse> routes =
      Call(stub, &Stub::ListRoutes, v1::ListRoutesRequest());
  EXPECT_THAT(routes, IsOk());
  if (routes.ok()) {
    for (const auto& route : routes->routes()) {
      targets.push_back(absl::StrCat(route.target(), "->", route.service(), route.topic()));
    }
  }
  return targets;
}

TEST_F(ControlE2eTest, ReloadAppliesTheFilesRoutesAndRejectsABrokenFile) {
  Start(R"(
routes { target: "demo.Old" service: "demo.Calculator" }
routes { target: "demo.Kept" topic: "kept" }
)");
  const std::string path = ConfigPath(*weftd_);
  const std::string original = ReadAll(path);
  ASSERT_THAT(original, HasSubstr("demo.Old"));
  // A route added at run time survives reloads that do not name its target.
  v1::PutRouteRequest put;
  put.mutable_route()->set_target("demo.Runtime");
  put.mutable_route()->set_topic("runtime");
  ASSERT_THAT(Call(*stub_, &Stub::PutRoute, put).status(), IsOk());

  // A broken file is rejected, naming the problem, and nothing changes.
  Rewrite(path, original + "routes { target: \"demo.Bad\" lisener: 1 }\n");
  EXPECT_THAT(Call(*stub_, &Stub::ReloadConfig, v1::ReloadConfigRequest()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lisener")));
  EXPECT_THAT(RouteTargets(*stub_),
              ::testing::ElementsAre("demo.Kept->kept", "demo.Old->demo.Calculator",
                                     "demo.Runtime->runtime"));

  std::string next = original;
  next.replace(next.find("routes { target: \"demo.Old\" service: \"demo.Calculator\" }"),
               std::string("routes { target: \"demo.Old\" service: \"demo.Calculator\" }").size(),
               "routes { target: \"demo.New\" topic: \"new\" }");
  Rewrite(path, next);
  absl::StatusOr<v1::ReloadConfigResponse> reloaded =
      Call(*stub_, &Stub::ReloadConfig, v1::ReloadConfigRequest());
  ASSERT_THAT(reloaded, IsOk());
  EXPECT_THAT(reloaded->changes(),
              ::testing::ElementsAre("route deleted: demo.Old", "route put: demo.New"));
  EXPECT_THAT(RouteTargets(*stub_),
              ::testing::ElementsAre("demo.Kept->kept", "demo.New->new", "demo.Runtime->runtime"));
  // Reloading the same file again changes nothing.
  reloaded = Call(*stub_, &Stub::ReloadConfig, v1::ReloadConfigRequest());
  ASSERT_THAT(reloaded, IsOk());
  EXPECT_THAT(reloaded->changes(), IsEmpty());

  // Sections that apply only at start are reported, not applied.
  Rewrite(path, next + "router { max_queue_depth: 7 }\n");
  reloaded = Call(*stub_, &Stub::ReloadConfig, v1::ReloadConfigRequest());
  ASSERT_THAT(reloaded, IsOk());
  EXPECT_THAT(reloaded->changes(),
              ::testing::ElementsAre("router: changed; restart weftd to apply"));
}

TEST_F(ControlE2eTest, RequiresTheBearerTokenWhenAuthIsOn) {
  Start(absl::StrCat("auth { require_auth: true tokens: \"", kToken, "\" }\n"));
  const absl::StatusCode kUnauthenticated = absl::StatusCode::kUnauthenticated;
  for (const std::string& token :
       {std::string(), std::string("Bearer wrong-token-0123456789"), std::string("Basic x"),
        absl::StrCat("Bearer ", kToken, "x"), std::string(kToken)}) {
    SCOPED_TRACE(token);
    EXPECT_THAT(Call(*stub_, &Stub::GetStatus, v1::GetStatusRequest(), token).status(),
                StatusIs(kUnauthenticated));
    EXPECT_THAT(Call(*stub_, &Stub::ListRoutes, v1::ListRoutesRequest(), token).status(),
                StatusIs(kUnauthenticated));
    EXPECT_THAT(Call(*stub_, &Stub::ListQueues, v1::ListQueuesRequest(), token).status(),
                StatusIs(kUnauthenticated));
    EXPECT_THAT(Call(*stub_, &Stub::ListObjects, v1::ListObjectsRequest(), token).status(),
                StatusIs(kUnauthenticated));  // Auth comes first, even where unimplemented.
    EXPECT_THAT(Call(*stub_, &Stub::ReloadConfig, v1::ReloadConfigRequest(), token).status(),
                StatusIs(kUnauthenticated));
    v1::DrainGatewayRequest drain;
    drain.set_gateway("wire");
    EXPECT_THAT(Call(*stub_, &Stub::DrainGateway, drain, token).status(),
                StatusIs(kUnauthenticated));
    EXPECT_THAT(Call(*stub_, &Stub::ListConnections, v1::ListConnectionsRequest(), token).status(),
                StatusIs(kUnauthenticated));
    v1::CloseConnectionRequest close;
    close.set_id(1);
    EXPECT_THAT(Call(*stub_, &Stub::CloseConnection, close, token).status(),
                StatusIs(kUnauthenticated));
    v1::PutRouteRequest put;
    put.mutable_route()->set_target("demo.X");
    put.mutable_route()->set_service("demo.Calculator");
    EXPECT_THAT(Call(*stub_, &Stub::PutRoute, put, token).status(), StatusIs(kUnauthenticated));
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("authorization", token);
    std::unique_ptr<grpc::ClientReader<v1::Event>> watch =
        stub_->Watch(&context, v1::WatchRequest());
    EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // Nothing was changed by the refused calls.
  const std::string bearer = absl::StrCat("Bearer ", kToken);
  absl::StatusOr<v1::ListRoutesResponse> routes =
      Call(*stub_, &Stub::ListRoutes, v1::ListRoutesRequest(), bearer);
  ASSERT_THAT(routes, IsOk());
  EXPECT_THAT(routes->routes(), IsEmpty());
  EXPECT_THAT(Call(*stub_, &Stub::GetStatus, v1::GetStatusRequest(), bearer).status(), IsOk());
  // The refused DrainGateway left the wire gateway listening.
  clients::ClientOptions options;
  options.reconnect.enabled = false;
  options.token = kToken;
  absl::StatusOr<std::unique_ptr<clients::BlockingClient>> client =
      clients::BlockingClient::Connect(weftd_->endpoint(), options);
  ASSERT_THAT(client.status(), IsOk());
  absl::StatusOr<v1::ListConnectionsResponse> connections =
      Call(*stub_, &Stub::ListConnections, v1::ListConnectionsRequest(), bearer);
  ASSERT_THAT(connections, IsOk());
  EXPECT_FALSE(connections->connections().empty());
}

}  // namespace
}  // namespace weft::testing
