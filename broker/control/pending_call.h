// PendingCall and Reply: how a gRPC control call, accepted on one of gRPC's threads, is answered
// from weftd's home loop, exactly once, and never after shutdown gave up on it.
//
// Part of //broker/control. The gRPC callback API lets a unary call finish from any thread, but
// a call must finish before the server can shut down, and the home loop that would finish it may
// already have stopped. So every call in progress is tracked (CallTracker): whoever comes first
// (the home loop with the answer, or shutdown abandoning it with UNAVAILABLE) finishes it, and
// the other side then does nothing. The response message is written only inside Finish(), under
// the call's lock, so an abandoned call's response is never touched afterwards.
#ifndef WEFT_BROKER_CONTROL_PENDING_CALL_H_
#define WEFT_BROKER_CONTROL_PENDING_CALL_H_

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"

namespace weft::broker::control {

// absl::Status to grpc::Status: the canonical codes share their numbers.
grpc::Status ToGrpcStatus(const absl::Status& status);

class CallTracker;

// One unary call waiting for its answer. Thread-safe.
class PendingCall {
 public:
  PendingCall(std::shared_ptr<CallTracker> tracker, uint64_t id, grpc::ServerUnaryReactor* reactor)
      : tracker_(std::move(tracker)), id_(id), reactor_(reactor) {}
  PendingCall(const PendingCall&) = delete;
  PendingCall& operator=(const PendingCall&) = delete;

  // Unless the call is finished already, runs `fill` (which writes the response and returns the
  // call's status) and finishes the call with it. Returns false when it was finished already.
  bool Finish(absl::FunctionRef<grpc::Status()> fill);

 private:
  std::shared_ptr<CallTracker> tracker_;
  const uint64_t id_;
  absl::Mutex mutex_;
  grpc::ServerUnaryReactor* reactor_ ABSL_GUARDED_BY(mutex_);  // Null once finished.
};

// The calls in progress. Thread-safe.
class CallTracker {
 public:
  static std::shared_ptr<CallTracker> Create();

  // A new pending call, or null once Close() ran (the caller then finishes it itself).
  std::shared_ptr<PendingCall> Track(grpc::ServerUnaryReactor* reactor);
  // Refuses new calls and finishes every pending one with UNAVAILABLE "weftd: shutting down".
  void Close();

 private:
  friend class PendingCall;
  CallTracker() = default;
  void Forget(uint64_t id);

  std::weak_ptr<CallTracker> self_;
  absl::Mutex mutex_;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mutex_) = 1;
  absl::flat_hash_map<uint64_t, std::weak_ptr<PendingCall>> calls_ ABSL_GUARDED_BY(mutex_);
};

// The answering side of one call, movable into home-loop tasks and Deferred callbacks. Calling
// it answers; destroying it unanswered (a task dropped because the loops stopped) finishes the
// call with UNAVAILABLE.
template <typename Response>
class Reply {
 public:
  Reply(std::shared_ptr<PendingCall> call, Response* response)
      : call_(std::move(call)), response_(response) {}
  Reply(Reply&&) = default;
  Reply& operator=(Reply&&) = default;
  ~Reply() {
    if (call_ != nullptr) {
      call_->Finish([] { return grpc::Status(grpc::StatusCode::UNAVAILABLE, "weftd: stopping"); });
    }
  }

  // Answers with `result`: the response on OK, else the error. Only the first answer counts.
  void operator()(absl::StatusOr<Response> result) {
    std::shared_ptr<PendingCall> call = std::move(call_);
    if (call == nullptr) return;
    call->Finish([&] {
      if (!result.ok()) return ToGrpcStatus(result.status());
      *response_ = *std::move(result);
      return grpc::Status::OK;
    });
  }

 private:
  std::shared_ptr<PendingCall> call_;
  Response* response_;  // Written only inside PendingCall::Finish().
};

}  // namespace weft::broker::control

#endif  // WEFT_BROKER_CONTROL_PENDING_CALL_H_
