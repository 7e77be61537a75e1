// End to end with the C++ client library against the real weftd (port 0): calls and their
// errors, a service registered over the wire by another client (every status code, deadlines
// and cancellation reaching its servant), object references with a callback object, release of
// a callback when the object holding it goes, the external greeter process, and 1,000
// concurrent connections. Each test ends by requiring weftd to drain and exit 0 (under ASan:
// without a leak).
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "clients/cpp/blocking_client.h"
#include "clients/cpp/client.h"
#include "clients/cpp/controller.h"
#include "clients/cpp/server_context.h"
#include "demo/calculator.pb.h"
#include "demo/counter.pb.h"
#include "demo/greeter.pb.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "tests/integration/weftd_process.h"
#include "tests/testing/status_matchers.h"

namespace weft::testing {
namespace {

using ::weft::testing::StatusIs;

// demo.Greeter hosted by a test client: "code:N" fails with status code N, "sleep" waits until
// the caller gives up (the servant records the cancellation), anything else greets.
class ProbeGreeter final : public demo::Greeter {
 public:
  void SayHello(google::protobuf::RpcController* controller, const demo::HelloRequest* request,
                demo::HelloReply* response, google::protobuf::Closure* done) override {
    auto& context = *static_cast<clients::ServerContext*>(controller);
    absl::string_view name = request->name();
    int code = 0;
    if (absl::ConsumePrefix(&name, "code:") && absl::SimpleAtoi(name, &code)) {
      context.SetStatus(absl::Status(static_cast<absl::StatusCode>(code), "probe"));
      done->Run();
      return;
    }
    if (name == "sleep") {
      // Answer only when cancelled; the client library runs the closure exactly once.
      context.NotifyOnCancel(google::protobuf::NewCallback(
          +[](ProbeGreeter* self, google::protobuf::Closure* finish) {
            self->cancelled.Notify();
            finish->Run();
          },
          this, done));
      return;
    }
    response->set_message(absl::StrCat("probe says hi to ", name));
    done->Run();
  }

  absl::Notification cancelled;
};

// demo.CounterWatcher hosted by the calling client: records the values it is told.
class RecordingWatcher final : public demo::CounterWatcher {
 public:
  RecordingWatcher(std::atomic<int64_t>& last, std::atomic<bool>& destroyed)
      : last_(last), destroyed_(destroyed) {}
  ~RecordingWatcher() override { destroyed_.store(true); }
  void Changed(google::protobuf::RpcController*, const demo::CounterValue* value, demo::ChangedAck*,
               google::protobuf::Closure* done) override {
    last_.store(value->value());
    done->Run();
  }

 private:
  std::atomic<int64_t>& last_;
  std::atomic<bool>& destroyed_;
};

bool WaitFor(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

class ClientE2eTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<WeftdProcess>> weftd = WeftdProcess::Start(
        "services { name: \"demo.Calculator\" }\nservices { name: \"demo.Counter\" }\n",
        {"--loops", absl::StrCat(GetParam())});
    ASSERT_TRUE(weftd.ok()) << weftd.status();
    weftd_ = *std::move(weftd);
  }
  void TearDown() override {
    host_.reset();
    if (weftd_ != nullptr) {
      EXPECT_EQ(weftd_->Stop(), 0) << weftd_->stderr_text();
    }
  }

  std::unique_ptr<clients::BlockingClient> Connect(absl::string_view name) {
    clients::ClientOptions options;
    options.client_name = std::string(name);
    absl::StatusOr<std::unique_ptr<clients::BlockingClient>> client =
        clients::BlockingClient::Connect(weftd_->endpoint(), options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // Connects a client that registers a ProbeGreeter as demo.Greeter; nullptr on failure.
  ProbeGreeter* HostProbe() {
    host_ = Connect("host");
    if (host_ == nullptr) return nullptr;
    auto probe = std::make_unique<ProbeGreeter>();
    ProbeGreeter* servant = probe.get();
    std::vector<std::unique_ptr<google::protobuf::Service>> services;
    services.push_back(std::move(probe));
    absl::Status registered = host_->Register(std::move(services));
    EXPECT_TRUE(registered.ok()) << registered;
    return registered.ok() ? servant : nullptr;
  }

  std::unique_ptr<WeftdProcess> weftd_;
  std::unique_ptr<clients::BlockingClient> host_;
};

TEST_P(ClientE2eTest, CalculatorCallsAndErrors) {
  std::unique_ptr<clients::BlockingClient> client = Connect("calc");
  ASSERT_NE(client, nullptr);
  demo::AddRequest add;
  add.set_a(40);
  add.set_b(2);
  absl::StatusOr<demo::AddResponse> sum = client->Call(&demo::Calculator_Stub::Add, add);
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(sum->sum(), 42);

  demo::DivideRequest divide;
  divide.set_dividend(7);
  divide.set_divisor(2);
  absl::StatusOr<demo::DivideResponse> quotient =
      client->Call(&demo::Calculator_Stub::Divide, divide);
  ASSERT_TRUE(quotient.ok()) << quotient.status();
  EXPECT_EQ(quotient->quotient(), 3);
  EXPECT_EQ(quotient->remainder(), 1);
  divide.set_divisor(0);
  EXPECT_THAT(client->Call(&demo::Calculator_Stub::Divide, divide).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));

  demo::HelloRequest hello;
  hello.set_name("nobody");
  EXPECT_THAT(client->Call(&demo::Greeter_Stub::SayHello, hello).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ClientE2eTest, ServiceRegisteredOverTheWireGetsEveryStatusCodeDeadlineAndCancel) {
  ProbeGreeter* probe = HostProbe();
  ASSERT_NE(probe, nullptr);
  ProbeGreeter& servant = *probe;
  std::unique_ptr<clients::BlockingClient> caller = Connect("caller");
  ASSERT_NE(caller, nullptr);

  demo::HelloRequest request;
  request.set_name("ada");
  absl::StatusOr<demo::HelloReply> reply = caller->Call(&demo::Greeter_Stub::SayHello, request);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "probe says hi to ada");

  for (int code = 1; code <= 16; ++code) {
    request.set_name(absl::StrCat("code:", code));
    EXPECT_THAT(caller->Call(&demo::Greeter_Stub::SayHello, request).status(),
                StatusIs(static_cast<absl::StatusCode>(code)))
        << "code " << code;
  }

  request.set_name("sleep");
  clients::CallOptions short_deadline;
  short_deadline.timeout = absl::Milliseconds(200);
  EXPECT_THAT(caller->Call(&demo::Greeter_Stub::SayHello, request, short_deadline).status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(servant.cancelled.WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "the deadline did not reach the servant";
}

TEST_P(ClientE2eTest, CancellationReachesTheHostedServant) {
  ProbeGreeter* probe = HostProbe();
  ASSERT_NE(probe, nullptr);
  ProbeGreeter& servant = *probe;
  std::unique_ptr<clients::BlockingClient> caller = Connect("caller");
  ASSERT_NE(caller, nullptr);

  demo::HelloRequest request;
  request.set_name("sleep");
  demo::HelloReply reply;
  clients::Controller controller;
  absl::Notification finished;
  demo::Greeter_Stub stub(&caller->channel());
  stub.SayHello(&controller, &request, &reply,
                google::protobuf::NewCallback(&finished, &absl::Notification::Notify));
  absl::SleepFor(absl::Milliseconds(100));  // Let the call reach the host.
  controller.StartCancel();
  ASSERT_TRUE(finished.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_THAT(controller.status(), StatusIs(absl::StatusCode::kCancelled));
  EXPECT_TRUE(servant.cancelled.WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "the cancellation did not reach the servant";
}

TEST_P(ClientE2eTest, CounterReferencesAndWatchCallback) {
  std::unique_ptr<clients::BlockingClient> client = Connect("counter");
  ASSERT_NE(client, nullptr);
  demo::CreateRequest create;
  create.set_initial(5);
  absl::StatusOr<demo::CreateResponse> created = client->Call(&demo::Counter_Stub::Create, create);
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<clients::BlockingRef<demo::CounterObject_Stub>> counter =
      client->Adopt<demo::CounterObject_Stub>(created->counter());
  ASSERT_TRUE(counter.ok()) << counter.status();

  std::atomic<int64_t> seen{0};
  std::atomic<bool> watcher_destroyed{false};
  demo::WatchRequest watch;
  *watch.mutable_watcher() =
      client->Export(std::make_unique<RecordingWatcher>(seen, watcher_destroyed));
  ASSERT_TRUE(client->Call(*counter, &demo::CounterObject_Stub::Watch, watch).ok());

  demo::IncrementRequest increment;
  increment.set_by(3);
  absl::StatusOr<demo::CounterValue> value =
      client->Call(*counter, &demo::CounterObject_Stub::Increment, increment);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(value->value(), 8);
  EXPECT_TRUE(WaitFor([&] { return seen.load() == 8; })) << "watcher saw " << seen.load();
  absl::StatusOr<demo::CounterValue> got =
      client->Call(*counter, &demo::CounterObject_Stub::Get, demo::GetRequest());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->value(), 8);

  // Dropping the only reference destroys the counter, which drops its watcher: the broker then
  // releases the client's callback object, and the client destroys it.
  const uint64_t id = counter->object_ref().object_id();
  *counter = clients::BlockingRef<demo::CounterObject_Stub>();
  EXPECT_TRUE(WaitFor([&] { return watcher_destroyed.load(); }))
      << "the callback of counter " << id << " was never released";
}

TEST_P(ClientE2eTest, ExternalGreeterProcessRegistersAndIsCalled) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t greeter = fork();
  if (greeter == 0) {
    dup2(out[1], 1);
    const std::string endpoint = weftd_->endpoint();
    execl("examples/greeter/greeter", "greeter", "--connect", endpoint.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  std::string printed;
  char buffer[256];
  ssize_t n;
  while (printed.find("registered") == std::string::npos &&
         (n = read(out[0], buffer, sizeof buffer)) > 0) {
    printed.append(buffer, n);
  }
  ASSERT_NE(printed.find("greeter: registered demo.Greeter"), std::string::npos) << printed;

  std::unique_ptr<clients::BlockingClient> client = Connect("greeter-user");
  ASSERT_NE(client, nullptr);
  demo::HelloRequest request;
  request.set_name("Ada");
  absl::StatusOr<demo::HelloReply> reply = client->Call(&demo::Greeter_Stub::SayHello, request);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "Hello, Ada!");

  kill(greeter, SIGTERM);
  int status = 0;
  waitpid(greeter, &status, 0);
  close(out[0]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // Its service went with its connection.
  EXPECT_TRUE(WaitFor([&] {
    return client->Call(&demo::Greeter_Stub::SayHello, request).status().code() ==
           absl::StatusCode::kNotFound;
  }));
}

TEST_P(ClientE2eTest, AThousandConcurrentConnections) {
  constexpr int kConnections = 1000;
  rlimit files{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  if (files.rlim_cur < 2 * kConnections + 64) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, 2 * kConnections + 64);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &files), 0);
  }
  ASSERT_GE(files.rlim_cur, static_cast<rlim_t>(kConnections + 64)) << "fd limit too low";

  absl::StatusOr<std::unique_ptr<reactor::EpollEventLoop>> loop = reactor::EpollEventLoop::Create();
  ASSERT_TRUE(loop.ok()) << loop.status();
  std::vector<std::unique_ptr<clients::Client>> clients(kConnections);
  std::vector<reactor::Deferred<std::unique_ptr<clients::Client>>> connecting;
  int answered = 0;
  int failed = 0;
  for (int i = 0; i < kConnections; ++i) {
    clients::ClientOptions options;
    options.client_name = absl::StrCat("c", i);
    clients::Client::Connect(**loop, weftd_->endpoint(), options)
        .Handle([&, i](absl::StatusOr<std::unique_ptr<clients::Client>> client) {
          if (!client.ok()) {
            ++failed;
            return;
          }
          clients[i] = *std::move(client);
          demo::AddRequest add;
          add.set_a(i);
          add.set_b(1);
          clients[i]
              ->Call(&demo::Calculator_Stub::Add, add)
              .Handle([&, i](absl::StatusOr<demo::AddResponse> sum) {
                if (sum.ok() && sum->sum() == i + 1) {
                  ++answered;
                } else {
                  ++failed;
                }
              });
        });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (answered + failed < kConnections && absl::Now() < deadline) {
    (*loop)->RunOnce(absl::Milliseconds(10));
  }
  EXPECT_EQ(answered, kConnections);
  EXPECT_EQ(failed, 0);
  clients.clear();
  (*loop)->RunOnce(absl::Milliseconds(10));
}

INSTANTIATE_TEST_SUITE_P(Loops, ClientE2eTest, ::testing::Values(1, 2),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat(info.param, "Loops");
                         });

}  // namespace
}  // namespace weft::testing
