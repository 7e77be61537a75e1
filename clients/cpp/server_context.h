// ServerContext: the server-side google::protobuf::RpcController handed to a servant the client
// hosts (a service given to Client::Register, or an object given to Client::Export) for each
// Call the broker sends it.
//
// Part of //clients/cpp:client. The servant reads the request, fills the response, sets a status
// when it fails, and runs `done` exactly once, now or later, on the loop thread. The client then
// sends the Reply (not for one_way calls). The context, request and response stay valid until
// `done` runs, even when the call was cancelled meanwhile.
//
// Cancellation: a Cancel frame for the call, its deadline (timeout_micros) passing, or the
// connection dropping cancels it: IsCanceled() turns true, the NotifyOnCancel() closure runs,
// and the client answers CANCELLED / DEADLINE_EXCEEDED at once (nothing after a drop). The
// servant should then stop and run `done`, whose result is discarded.
//
// Threading: loop thread only.
#ifndef WEFT_CLIENTS_CPP_SERVER_CONTEXT_H_
#define WEFT_CLIENTS_CPP_SERVER_CONTEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/service.h"

namespace weft::clients {

namespace internal {
class ServantDispatcher;
}  // namespace internal

class ServerContext final : public google::protobuf::RpcController {
 public:
  ServerContext() = default;
  ~ServerContext() override;

  // The status sent in the Reply (OK by default). A non-OK status sends no payload.
  void SetStatus(absl::Status status) { status_ = std::move(status); }
  const absl::Status& status() const { return status_; }

  // What the broker called: the full service name (empty for an object), the object's local id
  // (0 for a service), the method name, and whether it expects no Reply.
  const std::string& service() const { return service_; }
  uint64_t object_id() const { return object_id_; }
  const std::string& method() const { return method_; }
  bool one_way() const { return one_way_; }
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
  // The value of metadata `key`, or nullopt.
  std::optional<absl::string_view> metadata(absl::string_view key) const;

  // Absolute deadline on the loop's monotonic clock (receipt + timeout_micros); nullopt when the
  // call has none.
  std::optional<absl::Time> deadline() const { return deadline_; }
  // Why the call was cancelled (CANCELLED, DEADLINE_EXCEEDED or UNAVAILABLE); OK while it is not.
  const absl::Status& cancel_reason() const { return cancel_reason_; }

  // google::protobuf::RpcController
  // Resets the status to OK only (the call's identity stays).
  void Reset() override { status_ = absl::OkStatus(); }
  bool Failed() const override { return !status_.ok(); }
  std::string ErrorText() const override { return std::string(status_.message()); }
  // Client-side API: no effect on a server context.
  void StartCancel() override {}
  // Sets status UNKNOWN(reason); prefer SetStatus() with a precise code.
  void SetFailed(const std::string& reason) override;
  bool IsCanceled() const override { return !cancel_reason_.ok(); }
  // Runs `callback` once when the call is cancelled, on the loop thread (at once if it already
  // was). Never run if `done` comes first; the servant keeps ownership of an unrun callback. At
  // most one callback: a second replaces the first (which is then neither run nor deleted).
  void NotifyOnCancel(google::protobuf::Closure* callback) override;

 private:
  friend class internal::ServantDispatcher;

  // Marks the call cancelled with `reason` and runs the NotifyOnCancel() closure. Idempotent.
  void Cancel(absl::Status reason);

  std::string service_;
  uint64_t object_id_ = 0;
  std::string method_;
  bool one_way_ = false;
  std::vector<std::pair<std::string, std::string>> metadata_;
  std::optional<absl::Time> deadline_;
  absl::Status status_;
  absl::Status cancel_reason_;
  google::protobuf::Closure* on_cancel_ = nullptr;  // Not owned.
};

}  // namespace weft::clients

#endif  // WEFT_CLIENTS_CPP_SERVER_CONTEXT_H_
