#include "broker/control/pending_call.h"

#include <string>

namespace weft::broker::control {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

bool PendingCall::Finish(absl::FunctionRef<grpc::Status()> fill) {
  {
    absl::MutexLock lock(&mutex_);
    if (reactor_ == nullptr) return false;
    grpc::ServerUnaryReactor* reactor = std::exchange(reactor_, nullptr);
    reactor->Finish(fill());
  }
  tracker_->Forget(id_);
  return true;
}

std::shared_ptr<CallTracker> CallTracker::Create() {
  std::shared_ptr<CallTracker> tracker(new CallTracker());
  tracker->self_ = tracker;
  return tracker;
}

std::shared_ptr<PendingCall> CallTracker::Track(grpc::ServerUnaryReactor* reactor) {
  absl::MutexLock lock(&mutex_);
  if (closed_) return nullptr;
  const uint64_t id = next_id_++;
  auto call = std::make_shared<PendingCall>(self_.lock(), id, reactor);
  calls_.emplace(id, call);
  return call;
}

void CallTracker::Forget(uint64_t id) {
  absl::MutexLock lock(&mutex_);
  calls_.erase(id);
}

void CallTracker::Close() {
  absl::flat_hash_map<uint64_t, std::weak_ptr<PendingCall>> calls;
  {
    absl::MutexLock lock(&mutex_);
    closed_ = true;
    calls.swap(calls_);
  }
  for (auto& [id, weak] : calls) {
    if (std::shared_ptr<PendingCall> call = weak.lock(); call != nullptr) {
      call->Finish(
          [] { return grpc::Status(grpc::StatusCode::UNAVAILABLE, "weftd: shutting down"); });
    }
  }
}

}  // namespace weft::broker::control
