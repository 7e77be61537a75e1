#include "broker/call_context.h"

#include <utility>

#include "reactor/base/check.h"

namespace weft::broker {

void OutboundController::Reset() {
  timeout_ = absl::InfiniteDuration();
  status_ = absl::OkStatus();
}

void OutboundController::SetFailed(const std::string& reason) {
  status_ = absl::UnknownError(reason);
}

void OutboundController::NotifyOnCancel(google::protobuf::Closure* callback) {
  // Outbound calls are never cancelled from this side, so the callback never runs; protobuf's
  // contract lets the controller drop it, but it owns the closure, so destroy it.
  delete callback;
}

CallContext::~CallContext() { delete on_cancel_; }

CallContext& CallContext::From(google::protobuf::RpcController* controller) {
  WEFT_CHECK(controller != nullptr);
  return *static_cast<CallContext*>(controller);
}

void CallContext::SetStatus(absl::Status status) {
  WEFT_CHECK(!status.ok());
  status_ = std::move(status);
}

absl::string_view CallContext::metadata(absl::string_view key) const {
  for (const auto& [k, v] : metadata_) {
    if (k == key) return v;
  }
  return {};
}

weft::v1::ObjectRef CallContext::Export(std::unique_ptr<google::protobuf::Service> servant) {
  // A servant exporting from a method whose types cannot carry references is a bug in the
  // servant: the object would have no holder.
  WEFT_CHECK(objects_ != nullptr);
  return objects_->Export(std::move(servant));
}

absl::StatusOr<std::unique_ptr<ObjectHandle>> CallContext::Hold(const weft::v1::ObjectRef& ref) {
  WEFT_CHECK(objects_ != nullptr);
  return objects_->Hold(ref);
}

void CallContext::Reset() {
  status_ = absl::OkStatus();
  deadline_ = absl::InfiniteFuture();
  metadata_.clear();
  objects_ = nullptr;
  delete on_cancel_;
  on_cancel_ = nullptr;
  cancelled_ = false;
}

void CallContext::SetFailed(const std::string& reason) { status_ = absl::UnknownError(reason); }

void CallContext::NotifyOnCancel(google::protobuf::Closure* callback) {
  if (cancelled_) {
    callback->Run();
    return;
  }
  delete on_cancel_;
  on_cancel_ = callback;
}

void CallContext::Begin(
    ObjectSpace* objects, absl::Time deadline,
    absl::Span<const std::pair<absl::string_view, absl::string_view>> metadata) {
  objects_ = objects;
  deadline_ = deadline;
  for (const auto& [k, v] : metadata) metadata_.emplace_back(k, v);
}

void CallContext::Cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  if (google::protobuf::Closure* callback = std::exchange(on_cancel_, nullptr)) callback->Run();
}

void CallContext::End() {
  if (google::protobuf::Closure* callback = std::exchange(on_cancel_, nullptr)) callback->Run();
}

}  // namespace weft::broker
