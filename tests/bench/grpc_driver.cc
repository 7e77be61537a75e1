#include "tests/bench/grpc_driver.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "demo/calculator.pb.h"
#include "demo/calculator_grpc.grpc.pb.h"
#include "tests/bench/bench_util.h"

namespace weft::bench {
namespace {

using ::demo::AddRequest;
using ::demo::AddResponse;
using ::demo::GrpcCalculator;

constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr int64_t kDrainNanos = int64_t{10} * 1000 * 1000 * 1000;

// One call slot: a call in flight on one channel. A completed slot is re-armed with the next call.
struct Slot {
  GrpcCalculator::Stub* stub = nullptr;
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientAsyncResponseReader<AddResponse>> reader;
  AddRequest request;
  AddResponse response;
  grpc::Status status;
  int64_t expected_sum = 0;
  int64_t issued_at = 0;
};

class GrpcDriver final : public RpcDriver {
 public:
  ~GrpcDriver() override {
    // Completions still queued must be drained before the queue is destroyed.
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  // RpcDriver
  absl::Status Connect(const Target& target, int conns) override;
  absl::Status Run(int in_flight, CallMeter& meter) override;

 private:
  void Issue(Slot& slot);
  absl::Status Check(const Slot& slot) const;

  grpc::CompletionQueue cq_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<GrpcCalculator::Stub>> stubs_;
  uint64_t seq_ = 0;
};

absl::Status GrpcDriver::Connect(const Target& target, int conns) {
  const std::string address = absl::StrCat(target.host, ":", target.port);
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(30);
  for (int i = 0; i < conns; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("weft.bench.channel_index", i);
    channels_.push_back(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    stubs_.push_back(GrpcCalculator::NewStub(channels_.back()));
  }
  for (std::size_t i = 0; i < channels_.size(); ++i) {
    if (!channels_[i]->WaitForConnected(deadline)) {
      return absl::DeadlineExceededError(
          absl::StrCat("grpc: channel ", i, " to ", address, " did not connect in 30 s"));
    }
    Slot slot;
    slot.stub = stubs_[i].get();
    Issue(slot);
    void* tag;
    bool ok;
    if (cq_.AsyncNext(&tag, &ok, deadline) != grpc::CompletionQueue::GOT_EVENT || tag != &slot) {
      return absl::DeadlineExceededError(
          absl::StrCat("grpc: first call on channel ", i, " did not complete in time"));
    }
    if (absl::Status s = Check(slot); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void GrpcDriver::Issue(Slot& slot) {
  const AddOperands operands(++seq_);
  slot.request.set_a(operands.a);
  slot.request.set_b(operands.b);
  slot.expected_sum = operands.sum();
  slot.response.Clear();
  slot.context = std::make_unique<grpc::ClientContext>();  // Not reusable across calls.
  slot.issued_at = MonotonicNanos();
  slot.reader = slot.stub->PrepareAsyncAdd(slot.context.get(), slot.request, &cq_);
  slot.reader->StartCall();
  slot.reader->Finish(&slot.response, &slot.status, &slot);
}

absl::Status GrpcDriver::Check(const Slot& slot) const {
  if (!slot.status.ok()) {
    return absl::UnavailableError(absl::StrCat("grpc: Add failed: code ", slot.status.error_code(),
                                               ": ", slot.status.error_message()));
  }
  if (slot.response.sum() != slot.expected_sum) {
    return absl::DataLossError(
        absl::StrCat("grpc: Add returned ", slot.response.sum(), ", expected ", slot.expected_sum));
  }
  return absl::OkStatus();
}

absl::Status GrpcDriver::Run(int in_flight, CallMeter& meter) {
  std::vector<Slot> slots(stubs_.size() * static_cast<std::size_t>(in_flight));
  for (std::size_t i = 0; i < slots.size(); ++i) {
    slots[i].stub = stubs_[i % stubs_.size()].get();
    Issue(slots[i]);
  }
  std::size_t outstanding = slots.size();
  int64_t give_up_at = 0;  // Once stopping: when the calls still out get cancelled.
  bool stopping = false;
  bool cancelled = false;
  absl::Status failure;
  while (outstanding > 0) {
    void* tag;
    bool ok;
    const grpc::CompletionQueue::NextStatus next =
        cq_.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + kPollInterval);
    const int64_t now = MonotonicNanos();
    if (next == grpc::CompletionQueue::SHUTDOWN) return absl::InternalError("grpc: cq shut down");
    Slot* done = next == grpc::CompletionQueue::GOT_EVENT ? static_cast<Slot*>(tag) : nullptr;
    if (done != nullptr) {
      --outstanding;
      absl::Status s = Check(*done);
      if (s.ok()) meter.Record(done->issued_at, now);
      if (!s.ok() && failure.ok()) failure = std::move(s);
    }
    if (!stopping && (!failure.ok() || meter.Finished(now))) {
      stopping = true;
      give_up_at = now + kDrainNanos;
    }
    if (done != nullptr && !stopping) {
      Issue(*done);
      ++outstanding;
    }
    if (stopping && !cancelled && now > give_up_at) {
      if (failure.ok()) {
        failure = absl::DeadlineExceededError(
            absl::StrCat("grpc: ", outstanding, " calls still unanswered 10 s after the run"));
      }
      for (Slot& slot : slots) slot.context->TryCancel();
      cancelled = true;
    }
  }
  return failure;
}

}  // namespace

std::unique_ptr<RpcDriver> MakeGrpcDriver() { return std::make_unique<GrpcDriver>(); }

}  // namespace weft::bench
