// demo_client: calls the in-process demo services of a running weftd with the blocking C++
// client, as docs/examples.md shows (the snippets there are taken from this file).
//
//   demo_client [--connect ENDPOINT] [--token TOKEN] [--greet NAME]
//
// ENDPOINT defaults to tcp:127.0.0.1:7700. It adds, divides by zero, creates a counter, watches
// it with a callback object and increments it, printing each result. With --greet it instead
// calls demo.Greeter.SayHello(NAME) (served by a running examples/greeter process) and prints the
// reply. Exit status 0 when every answer is the expected one (including the callback arriving
// within 5 s), 1 otherwise, 2 for bad usage.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "clients/cpp/blocking_client.h"
#include "clients/cpp/client_options.h"
#include "demo/calculator.pb.h"
#include "demo/counter.pb.h"
#include "demo/greeter.pb.h"
#include "google/protobuf/service.h"

namespace weft::examples {
namespace {

using clients::BlockingClient;
using clients::BlockingRef;
using clients::ClientOptions;

// Prints every change and signals `seen` once the value reaches `expected`. Runs on the
// client's loop thread.
class PrintingWatcher final : public demo::CounterWatcher {
 public:
  PrintingWatcher(int64_t expected, absl::Notification& seen) : expected_(expected), seen_(seen) {}

  // demo::CounterWatcher
  void Changed(google::protobuf::RpcController*, const demo::CounterValue* value, demo::ChangedAck*,
               google::protobuf::Closure* done) override {
    std::printf("counter is now %lld\n", static_cast<long long>(value->value()));
    std::fflush(stdout);
    if (value->value() == expected_ && !seen_.HasBeenNotified()) seen_.Notify();
    done->Run();
  }

 private:
  const int64_t expected_;
  absl::Notification& seen_;  // Outlives the client, hence this servant.
};

absl::Status Check(bool ok, absl::string_view what) {
  return ok ? absl::OkStatus() : absl::InternalError(what);
}

absl::Status Calculate(BlockingClient& client) {
  demo::AddRequest add;
  add.set_a(2);
  add.set_b(3);
  absl::StatusOr<demo::AddResponse> sum = client.Call(&demo::Calculator_Stub::Add, add);
  if (!sum.ok()) return sum.status();
  std::printf("2 + 3 = %lld\n", static_cast<long long>(sum->sum()));
  if (sum->sum() != 5) return absl::InternalError("Add: wrong sum");

  demo::DivideRequest divide;
  divide.set_dividend(1);
  divide.set_divisor(0);
  absl::StatusOr<demo::DivideResponse> quotient =
      client.Call(&demo::Calculator_Stub::Divide, divide);
  std::printf("1 / 0: %s\n", quotient.status().ToString().c_str());
  return Check(absl::IsInvalidArgument(quotient.status()), "Divide: expected INVALID_ARGUMENT");
}

absl::Status Count(BlockingClient& client, absl::Notification& seen) {
  demo::CreateRequest create;
  create.set_initial(10);
  absl::StatusOr<demo::CreateResponse> created = client.Call(&demo::Counter_Stub::Create, create);
  if (!created.ok()) return created.status();
  // Take the reference received in the reply; destroying `counter` releases it.
  absl::StatusOr<BlockingRef<demo::CounterObject_Stub>> counter =
      client.Adopt<demo::CounterObject_Stub>(created->counter());
  if (!counter.ok()) return counter.status();

  demo::WatchRequest watch;
  *watch.mutable_watcher() = client.Export(std::make_unique<PrintingWatcher>(15, seen));
  absl::StatusOr<demo::WatchResponse> watching =
      client.Call(*counter, &demo::CounterObject_Stub::Watch, watch);
  if (!watching.ok()) return watching.status();

  demo::IncrementRequest increment;
  increment.set_by(5);
  absl::StatusOr<demo::CounterValue> value =
      client.Call(*counter, &demo::CounterObject_Stub::Increment, increment);
  if (!value.ok()) return value.status();
  std::printf("10 + 5 = %lld\n", static_cast<long long>(value->value()));
  if (value->value() != 15) return absl::InternalError("Increment: wrong value");
  return Check(seen.WaitForNotificationWithTimeout(absl::Seconds(5)),
               "Watch: no Changed(15) within 5 s");
}

absl::Status Greet(BlockingClient& client, const std::string& name) {
  demo::HelloRequest hello;
  hello.set_name(name);
  absl::StatusOr<demo::HelloReply> reply = client.Call(&demo::Greeter_Stub::SayHello, hello);
  if (!reply.ok()) return reply.status();
  std::printf("%s\n", reply->message().c_str());
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  std::string endpoint = "tcp:127.0.0.1:7700";
  ClientOptions options;
  options.client_name = "demo_client";
  options.default_timeout = absl::Seconds(10);
  std::optional<std::string> greet;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--connect" && i + 1 < argc) {
      endpoint = argv[++i];
    } else if (arg == "--token" && i + 1 < argc) {
      options.token = argv[++i];
    } else if (arg == "--greet" && i + 1 < argc) {
      greet = std::string(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: demo_client [--connect ENDPOINT] [--token TOKEN] [--greet NAME]\n");
      return 2;
    }
  }
  // Declared before the client: the watcher the client hosts refers to it.
  absl::Notification seen;
  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect(endpoint, options);
  if (!client.ok()) {
    std::fprintf(stderr, "demo_client: %s\n", client.status().ToString().c_str());
    return 1;
  }
  absl::Status status;
  if (greet.has_value()) {
    status = Greet(**client, *greet);
  } else {
    status = Calculate(**client);
    if (status.ok()) status = Count(**client, seen);
  }
  if (!status.ok()) {
    std::fprintf(stderr, "demo_client: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("demo_client: ok\n");
  return 0;
}

}  // namespace
}  // namespace weft::examples

int main(int argc, char** argv) { return weft::examples::Main(argc, argv); }
