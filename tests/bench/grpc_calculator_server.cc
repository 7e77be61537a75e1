// grpc_calculator_server: the gRPC peer of the unary-call benchmark (issue 3). Serves
// demo.GrpcCalculator/Add (idl/demo/calculator_grpc.proto: the messages of demo.Calculator's Add,
// which weftd hosts) with gRPC C++'s asynchronous completion-queue API from the system libgrpc++,
// plaintext HTTP/2.
//
//   grpc_calculator_server [tcp:PORT[:interface=ADDR]] [--threads=N] [--requests=R]
//
// Defaults to tcp:0:interface=127.0.0.1. Each of the N threads (default 1, so that one core is
// compared with one core) polls its own completion queue, with R Add requests posted on it at all
// times. Once listening it prints `listening on tcp:<port>:interface=<addr>`, as every server in
// tests/bench does. SIGTERM or SIGINT shuts it down cleanly (exit status 0). Part of
// //tests/bench.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "demo/calculator.pb.h"
#include "demo/calculator_grpc.grpc.pb.h"

ABSL_FLAG(int, threads, 1, "threads, each polling its own completion queue");
ABSL_FLAG(int, requests, 256, "Add requests kept posted on each completion queue");

namespace weft::bench {
namespace {

using ::demo::AddRequest;
using ::demo::AddResponse;
using ::demo::GrpcCalculator;

// One posted Add request and, once a call arrives in it, that call until its response is sent;
// then it posts itself again. Lives as long as its Queue; used only by the Queue's thread.
class AddCall {
 public:
  AddCall(GrpcCalculator::AsyncService& service, grpc::ServerCompletionQueue& cq)
      : service_(service), cq_(cq) {}

  void Post() {
    response_.Clear();
    responder_.reset();  // Before the context it points to.
    context_.emplace();
    responder_.emplace(&*context_);
    finishing_ = false;
    service_.RequestAdd(&*context_, &request_, &*responder_, &cq_, &cq_, this);
  }

  // The pending operation completed with `ok`: answers the call that arrived, or, once the
  // response went out (or the client left), posts the request again if `repost`.
  void Proceed(bool ok, bool repost) {
    if (!finishing_) {
      if (!ok) return;  // The server is shutting down: the posted request was cancelled.
      response_.set_sum(request_.a() + request_.b());
      finishing_ = true;
      responder_->Finish(response_, grpc::Status::OK, this);
      return;
    }
    if (repost) Post();
  }

 private:
  GrpcCalculator::AsyncService& service_;
  grpc::ServerCompletionQueue& cq_;
  std::optional<grpc::ServerContext> context_;
  std::optional<grpc::ServerAsyncResponseWriter<AddResponse>> responder_;
  AddRequest request_;
  AddResponse response_;
  bool finishing_ = false;
};

// A completion queue, its calls and the thread polling it.
class Queue {
 public:
  Queue(GrpcCalculator::AsyncService& service, std::unique_ptr<grpc::ServerCompletionQueue> cq,
        int requests)
      : cq_(std::move(cq)) {
    for (int i = 0; i < requests; ++i) calls_.push_back(std::make_unique<AddCall>(service, *cq_));
  }

  void Start() {
    for (auto& call : calls_) call->Post();
    thread_ = std::thread([this] { Poll(); });
  }

  // Stops posting requests; calls already in are still answered. Before Server::Shutdown().
  void StopPosting() {
    absl::MutexLock lock(&mutex_);
    state_ = State::kAnswering;
  }

  // After Server::Shutdown(): starts no more operations, shuts the queue down, drains it and
  // joins the thread.
  void ShutdownAndJoin() {
    {
      absl::MutexLock lock(&mutex_);
      state_ = State::kDraining;
    }
    cq_->Shutdown();
    thread_.join();
  }

 private:
  void Poll() {
    void* tag;
    bool ok;
    while (cq_->Next(&tag, &ok)) {
      absl::MutexLock lock(&mutex_);  // Uncontended except during shutdown.
      if (state_ == State::kDraining) continue;
      static_cast<AddCall*>(tag)->Proceed(ok, state_ == State::kServing);
    }
  }

  enum class State { kServing, kAnswering, kDraining };

  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::vector<std::unique_ptr<AddCall>> calls_;
  std::thread thread_;
  absl::Mutex mutex_;
  State state_ ABSL_GUARDED_BY(mutex_) = State::kServing;
};

struct Endpoint {
  std::string interface = "127.0.0.1";
  int port = 0;
};

// "tcp:PORT[:interface=ADDR][:option=value...]", the server endpoint form of tests/bench; options
// other than interface are ignored.
absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view text) {
  Endpoint endpoint;
  if (!absl::ConsumePrefix(&text, "tcp:")) {
    return absl::InvalidArgumentError(absl::StrCat("endpoint '", text, "' is not tcp:PORT..."));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  if (!absl::SimpleAtoi(parts[0], &endpoint.port) || endpoint.port < 0 || endpoint.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("endpoint: bad port '", parts[0], "'"));
  }
  for (std::size_t i = 1; i < parts.size(); ++i) {
    absl::string_view option = parts[i];
    if (absl::ConsumePrefix(&option, "interface=")) endpoint.interface = std::string(option);
  }
  return endpoint;
}

absl::Status Main(absl::string_view endpoint_text) {
  absl::StatusOr<Endpoint> endpoint = ParseEndpoint(endpoint_text);
  if (!endpoint.ok()) return endpoint.status();
  const int threads = absl::GetFlag(FLAGS_threads);
  const int requests = absl::GetFlag(FLAGS_requests);
  if (threads < 1 || requests < 1) {
    return absl::InvalidArgumentError("--threads and --requests must be >= 1");
  }
  // Every thread, gRPC's own included, inherits this mask; the main thread takes the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  GrpcCalculator::AsyncService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::StrCat(endpoint->interface, ":", endpoint->port),
                           grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs;
  for (int i = 0; i < threads; ++i) cqs.push_back(builder.AddCompletionQueue());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", endpoint_text));
  }
  std::vector<std::unique_ptr<Queue>> queues;
  for (auto& cq : cqs) queues.push_back(std::make_unique<Queue>(service, std::move(cq), requests));
  for (auto& queue : queues) queue->Start();
  std::printf("listening on tcp:%d:interface=%s\n", port, endpoint->interface.c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&signals, &signal);
  for (auto& queue : queues) queue->StopPosting();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  for (auto& queue : queues) queue->ShutdownAndJoin();
  server.reset();  // Before the queues go, the order of gRPC's own async examples.
  return absl::OkStatus();
}

}  // namespace
}  // namespace weft::bench

int main(int argc, char** argv) {
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() > 2) {
    std::fprintf(stderr,
                 "usage: grpc_calculator_server [tcp:PORT[:interface=ADDR]] "
                 "[--threads=N] [--requests=R]\n");
    return 2;
  }
  const char* endpoint = args.size() == 2 ? args[1] : "tcp:0:interface=127.0.0.1";
  if (absl::Status s = weft::bench::Main(endpoint); !s.ok()) {
    std::fprintf(stderr, "grpc_calculator_server: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
