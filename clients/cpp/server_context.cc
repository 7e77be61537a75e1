#include "clients/cpp/server_context.h"

#include <utility>

namespace weft::clients {

ServerContext::~ServerContext() = default;

std::optional<absl::string_view> ServerContext::metadata(absl::string_view key) const {
  for (const auto& [k, v] : metadata_) {
    if (k == key) return absl::string_view(v);
  }
  return std::nullopt;
}

void ServerContext::SetFailed(const std::string& reason) { status_ = absl::UnknownError(reason); }

void ServerContext::NotifyOnCancel(google::protobuf::Closure* callback) {
  if (IsCanceled()) {
    callback->Run();
    return;
  }
  on_cancel_ = callback;
}

void ServerContext::Cancel(absl::Status reason) {
  if (IsCanceled()) return;
  cancel_reason_ = std::move(reason);
  google::protobuf::Closure* callback = std::exchange(on_cancel_, nullptr);
  if (callback != nullptr) callback->Run();  // Last: it may run `done`, destroying this.
}

}  // namespace weft::clients
