#include "clients/cpp/controller.h"

#include <utility>

namespace weft::clients {

void Controller::Reset() {
  timeout_ = -absl::InfiniteDuration();
  metadata_.clear();
  status_ = absl::OkStatus();
  absl::MutexLock lock(&mu_);
  canceled_ = false;
  loop_ = nullptr;
  canceller_ = nullptr;
  call_id_ = 0;
  on_cancel_ = nullptr;
}

void Controller::StartCancel() {
  reactor::EventLoop* loop;
  internal::CallCanceller* canceller;
  uint64_t call_id;
  google::protobuf::Closure* on_cancel;
  {
    absl::MutexLock lock(&mu_);
    if (canceled_) return;
    canceled_ = true;
    loop = loop_;
    canceller = canceller_;
    call_id = call_id_;
    on_cancel = std::exchange(on_cancel_, nullptr);
  }
  if (on_cancel != nullptr) on_cancel->Run();
  if (canceller == nullptr) return;  // Not started yet, or already complete.
  if (loop->IsInLoopThread()) {
    canceller->CancelCall(call_id);  // May complete the call and destroy this controller.
  } else {
    // The canceller (the client) outlives every call it has bound; an id already completed is
    // ignored when the task runs.
    loop->Post([canceller, call_id] { canceller->CancelCall(call_id); });
  }
}

void Controller::SetFailed(const std::string& reason) { status_ = absl::UnknownError(reason); }

bool Controller::IsCanceled() const {
  absl::MutexLock lock(&mu_);
  return canceled_;
}

void Controller::NotifyOnCancel(google::protobuf::Closure* callback) {
  {
    absl::MutexLock lock(&mu_);
    if (!canceled_) {
      on_cancel_ = callback;
      return;
    }
  }
  callback->Run();
}

bool Controller::Bind(reactor::EventLoop& loop, internal::CallCanceller& canceller,
                      uint64_t call_id) {
  absl::MutexLock lock(&mu_);
  if (canceled_) return false;
  loop_ = &loop;
  canceller_ = &canceller;
  call_id_ = call_id;
  return true;
}

void Controller::Complete(absl::Status status) {
  {
    absl::MutexLock lock(&mu_);
    loop_ = nullptr;
    canceller_ = nullptr;
    on_cancel_ = nullptr;
  }
  status_ = std::move(status);
}

}  // namespace weft::clients
