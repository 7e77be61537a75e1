#include "reactor/resumable_listener.h"

#include <utility>

#include "reactor/endpoint_factory.h"

namespace weft::reactor {

absl::Status ResumableListener::Listen(const ServerEndpoint& endpoint) {
  absl::StatusOr<std::unique_ptr<Listener>> listener = ListenEndpoint(loop_, endpoint, callbacks_);
  if (!listener.ok()) return listener.status();
  listener_ = *std::move(listener);
  endpoint_ = endpoint;
  if (endpoint_->kind != EndpointKind::kUnix) endpoint_->port = listener_->port();
  return absl::OkStatus();
}

absl::Status ResumableListener::Resume() {
  if (listener_ != nullptr) return absl::OkStatus();
  if (!endpoint_.has_value()) return absl::FailedPreconditionError("listener: never listened");
  return Listen(*endpoint_);
}

}  // namespace weft::reactor
