// greeter: the example external service. It connects to weftd over the native wire protocol
// (docs/wire.md), registers demo.Greeter (its FileDescriptorSet travels in Register, so weftd
// learns the types at run time and every gateway can call it), and serves calls until SIGTERM
// or SIGINT.
//
//   greeter [--connect ENDPOINT] [--token TOKEN] [--name CLIENT_NAME]
//
// ENDPOINT defaults to tcp:127.0.0.1:7700 (weftd's wire listener), CLIENT_NAME to "greeter"
// (sent in Hello). Each time the registration succeeds, on the first connection and after every
// reconnection, it prints "greeter: registered demo.Greeter at ENDPOINT" to stdout. When weftd is
// not there yet, or the connection drops (weftd restarted), it starts over after a backoff delay
// (100 ms doubling to 5 s, +-20% jitter). Exit status: 0 after SIGTERM/SIGINT, 1 when weftd
// refuses for good (bad token, unsupported version, registration rejected), 2 for bad usage.
//
// Reconnection is done here rather than by the client library's ReconnectPolicy: the library
// re-registers after its own reconnects but does not report the outcome, and this process must
// know (and print) when demo.Greeter is really registered again.
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clients/cpp/client.h"
#include "clients/cpp/client_options.h"
#include "examples/greeter/greeter_servant.h"
#include "google/protobuf/service.h"
#include "reactor/deferred.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/event_loop.h"
#include "reactor/signal_watcher.h"

namespace weft::examples {
namespace {

using clients::Client;
using clients::ConnectionState;

constexpr absl::Duration kInitialBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);
constexpr double kBackoffJitter = 0.2;
// Keeps the connection from looking idle to weftd (wire.idle_timeout_ms, 5 min by default) and
// notices a dead broker that never closed the connection.
constexpr absl::Duration kKeepalive = absl::Seconds(30);

struct Options {
  std::string endpoint = "tcp:127.0.0.1:7700";
  std::string token;
  std::string client_name = "greeter";
};

// Accepts "--flag value" and "--flag=value".
bool ParseArgs(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    std::string* target = nullptr;
    absl::string_view flag = arg.substr(0, arg.find('='));
    if (flag == "--connect") {
      target = &options.endpoint;
    } else if (flag == "--token") {
      target = &options.token;
    } else if (flag == "--name") {
      target = &options.client_name;
    } else {
      return false;
    }
    if (flag.size() < arg.size()) {
      *target = std::string(arg.substr(flag.size() + 1));
    } else if (i + 1 < argc) {
      *target = argv[++i];
    } else {
      return false;
    }
  }
  return !options.endpoint.empty() && !options.client_name.empty();
}

// Errors after which trying again cannot help: weftd refused this client or its registration.
bool IsPermanent(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kAlreadyExists:
      return true;
    default:
      return false;
  }
}

// Keeps demo.Greeter registered with one broker: connect, register, and after any failure or
// drop, start over after a backoff delay. Loop thread only.
class GreeterProcess {
 public:
  GreeterProcess(reactor::EpollEventLoop& loop, Options options)
      : loop_(loop),
        options_(std::move(options)),
        retry_timer_(loop.CreateTimer([this] { Connect(); })) {}
  GreeterProcess(const GreeterProcess&) = delete;
  GreeterProcess& operator=(const GreeterProcess&) = delete;
  ~GreeterProcess() { Shutdown(); }

  void Start() { Connect(); }

  // Closes the connection and makes the loop's Run() return; main() then returns `exit_code`.
  void Stop(int exit_code) {
    if (stopping_) return;
    exit_code_ = exit_code;
    Shutdown();
    loop_.Stop();
  }

  int exit_code() const { return exit_code_; }

 private:
  // Starts attempt number `generation_ + 1`; callbacks of earlier attempts are ignored.
  void Connect() {
    const uint64_t generation = ++generation_;
    DropAttempt();
    clients::ClientOptions client_options;
    client_options.client_name = options_.client_name;
    client_options.token = options_.token;
    client_options.keepalive_interval = kKeepalive;
    client_options.reconnect.enabled = false;  // See the file comment.
    Track(Client::Connect(loop_, options_.endpoint, std::move(client_options))
              .Handle([this, generation](absl::StatusOr<std::unique_ptr<Client>> client) {
                OnConnected(generation, std::move(client));
              }));
  }

  void OnConnected(uint64_t generation, absl::StatusOr<std::unique_ptr<Client>> client) {
    if (generation != generation_) return;  // `client` (if any) closes as it goes.
    pending_.reset();
    if (!client.ok()) return OnFailure("connect", client.status());
    client_ = *std::move(client);
    client_->SetStateCallback(
        [this, generation](ConnectionState state, const absl::Status& reason) {
          if (generation == generation_) OnStateChange(state, reason);
        });
    std::vector<std::unique_ptr<google::protobuf::Service>> services;
    services.push_back(std::make_unique<GreeterServant>());
    Track(client_->Register(std::move(services)).Handle([this, generation](absl::Status status) {
      if (generation == generation_) OnRegistered(status);
    }));
  }

  void OnRegistered(const absl::Status& status) {
    pending_.reset();
    if (!status.ok()) return OnFailure("register", status);
    attempt_ = 0;
    std::printf("greeter: registered demo.Greeter at %s\n", options_.endpoint.c_str());
    std::fflush(stdout);
  }

  void OnStateChange(ConnectionState state, const absl::Status& reason) {
    if (state != ConnectionState::kClosed) return;
    OnFailure("connection", reason.ok() ? absl::UnavailableError("closed") : reason);
  }

  // Gives up on a permanent error; otherwise tries again after a delay. A drop and the failed
  // step it caused may both land here; the armed timer makes that one retry.
  void OnFailure(absl::string_view what, const absl::Status& status) {
    if (IsPermanent(status)) {
      std::fprintf(stderr, "greeter: %.*s: %s; giving up\n", static_cast<int>(what.size()),
                   what.data(), status.ToString().c_str());
      Stop(1);
      return;
    }
    if (retry_timer_->armed()) return;
    const absl::Duration delay = NextDelay();
    std::fprintf(stderr, "greeter: %.*s: %s; retrying in %s\n", static_cast<int>(what.size()),
                 what.data(), status.ToString().c_str(), absl::FormatDuration(delay).c_str());
    // The client is destroyed by the next Connect(), not here: this may run inside its callback.
    retry_timer_->Schedule(delay);
  }

  absl::Duration NextDelay() {
    absl::Duration delay = kInitialBackoff;
    for (int i = 0; i < attempt_ && delay < kMaxBackoff; ++i) delay *= 2;
    ++attempt_;
    delay = std::min(delay, kMaxBackoff);
    return delay * absl::Uniform(bitgen_, 1 - kBackoffJitter, 1 + kBackoffJitter);
  }

  // Keeps `step` so it can be cancelled, unless it already fired (its callback then ran inside
  // the call that made it, and may have tracked the next step).
  void Track(reactor::Deferred<void> step) {
    if (!step.fired()) pending_.emplace(std::move(step));
  }

  // Cancels the step in flight and closes the client. Callers first bump generation_, so what
  // this makes fire (CANCELLED, kClosed) is ignored.
  void DropAttempt() {
    if (pending_.has_value()) {
      reactor::Deferred<void> step = *std::move(pending_);
      pending_.reset();
      step.Cancel();
    }
    if (client_ != nullptr) {
      client_->Close();
      client_.reset();
    }
  }

  void Shutdown() {
    stopping_ = true;
    ++generation_;
    retry_timer_->Cancel();
    DropAttempt();
  }

  reactor::EpollEventLoop& loop_;
  const Options options_;
  absl::BitGen bitgen_;
  int attempt_ = 0;  // Failed attempts since the last registration.
  uint64_t generation_ = 0;
  bool stopping_ = false;
  int exit_code_ = 0;
  std::unique_ptr<reactor::Timer> retry_timer_;
  // The connect or register step in flight.
  std::optional<reactor::Deferred<void>> pending_;
  std::unique_ptr<Client> client_;
};

int Main(int argc, char** argv) {
  constexpr int kStopSignals[] = {SIGTERM, SIGINT};
  if (absl::Status s = reactor::BlockSignals(kStopSignals); !s.ok()) {
    std::fprintf(stderr, "greeter: %s\n", s.ToString().c_str());
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  Options options;
  if (!ParseArgs(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: greeter [--connect ENDPOINT] [--token TOKEN] [--name CLIENT_NAME]\n");
    return 2;
  }
  absl::StatusOr<std::unique_ptr<reactor::EpollEventLoop>> loop = reactor::EpollEventLoop::Create();
  if (!loop.ok()) {
    std::fprintf(stderr, "greeter: %s\n", loop.status().ToString().c_str());
    return 1;
  }
  int exit_code = 0;
  {
    GreeterProcess process(**loop, std::move(options));
    absl::StatusOr<std::unique_ptr<reactor::SignalWatcher>> stop =
        reactor::SignalWatcher::Create(**loop, kStopSignals, [&process](int) { process.Stop(0); });
    if (!stop.ok()) {
      std::fprintf(stderr, "greeter: %s\n", stop.status().ToString().c_str());
      return 1;
    }
    process.Start();
    (*loop)->Run();
    exit_code = process.exit_code();
  }
  return exit_code;
}

}  // namespace
}  // namespace weft::examples

int main(int argc, char** argv) { return weft::examples::Main(argc, argv); }
