// Controller: the client-side google::protobuf::RpcController of one call made through a Weft
// RpcChannel (Client::channel(), Ref<Stub>::channel(), BlockingClient::channel()).
//
// Part of //clients/cpp:client (included by client.h). Set the timeout and metadata before the
// call starts; read status() after its `done` closure ran. One Controller serves one call at a
// time; Reset() it before reuse.
//
// Threading: set_timeout()/set_metadata()/Reset() and the readers belong to the thread that owns
// the call (the loop thread for the async Client; the caller for blocking use, before the call
// and after it completed). StartCancel() and IsCanceled() may be called from any thread.
#ifndef WEFT_CLIENTS_CPP_CONTROLLER_H_
#define WEFT_CLIENTS_CPP_CONTROLLER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/service.h"
#include "reactor/event_loop.h"

namespace weft::clients {

namespace internal {
class ClientCore;
class Connection;
class HeldRef;

// Implemented by the Client: cancels call `call_id` if it is still pending. Loop thread only.
class CallCanceller {
 public:
  CallCanceller() = default;
  CallCanceller(const CallCanceller&) = delete;
  CallCanceller& operator=(const CallCanceller&) = delete;
  virtual ~CallCanceller() = default;
  virtual void CancelCall(uint64_t call_id) = 0;
};
}  // namespace internal

class Controller final : public google::protobuf::RpcController {
 public:
  Controller() = default;
  ~Controller() override = default;

  // Timeout of the next call; negative (the default) uses ClientOptions::default_timeout,
  // InfiniteDuration() means none. Sent as timeout_micros and enforced by a local timer that
  // completes the call DEADLINE_EXCEEDED and sends Cancel.
  void set_timeout(absl::Duration timeout) { timeout_ = timeout; }
  absl::Duration timeout() const { return timeout_; }

  // Adds one metadata entry to the next call (Call.metadata).
  void set_metadata(absl::string_view key, absl::string_view value) {
    metadata_.emplace_back(std::string(key), std::string(value));
  }
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }

  // The outcome once `done` ran: OK, the broker's status (gRPC code and message from the Reply),
  // or a local one: CANCELLED (StartCancel), DEADLINE_EXCEEDED (timeout), UNAVAILABLE (not
  // connected, or the connection dropped), RESOURCE_EXHAUSTED (request over the broker's
  // max_frame_bytes), INTERNAL (a reply payload that does not parse as the response type).
  const absl::Status& status() const { return status_; }

  // google::protobuf::RpcController
  void Reset() override;
  bool Failed() const override { return !status_.ok(); }
  std::string ErrorText() const override { return std::string(status_.message()); }
  // Gives up on the call: a Cancel frame is sent, the call completes CANCELLED at once (on the
  // loop thread) and a late Reply is dropped. Before the call starts, the call completes
  // CANCELLED as soon as it starts. Thread-safe.
  void StartCancel() override;
  // Server-side API; on a client controller it only records UNKNOWN(reason) as status().
  void SetFailed(const std::string& reason) override;
  bool IsCanceled() const override;
  // Runs `callback` once, on the thread calling StartCancel(), when StartCancel() is called (at
  // once if it already was). Never run if the call completes otherwise; the caller keeps
  // ownership of an unrun callback. Meant for servers; see ServerContext.
  void NotifyOnCancel(google::protobuf::Closure* callback) override;

 private:
  friend class internal::ClientCore;
  friend class internal::Connection;
  friend class internal::HeldRef;

  // Called by the connection on the loop thread when the call starts (false: StartCancel() came
  // first, nothing is bound) and when it completes (unbinds, sets status()).
  bool Bind(reactor::EventLoop& loop, internal::CallCanceller& canceller, uint64_t call_id);
  void Complete(absl::Status status);

  absl::Duration timeout_ = -absl::InfiniteDuration();
  std::vector<std::pair<std::string, std::string>> metadata_;
  absl::Status status_;

  mutable absl::Mutex mu_;
  bool canceled_ ABSL_GUARDED_BY(mu_) = false;
  reactor::EventLoop* loop_ ABSL_GUARDED_BY(mu_) = nullptr;            // Bound while in flight.
  internal::CallCanceller* canceller_ ABSL_GUARDED_BY(mu_) = nullptr;  // Bound while in flight.
  uint64_t call_id_ ABSL_GUARDED_BY(mu_) = 0;
  google::protobuf::Closure* on_cancel_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace weft::clients

#endif  // WEFT_CLIENTS_CPP_CONTROLLER_H_
