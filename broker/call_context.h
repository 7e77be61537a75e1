// What an in-process servant sees of the call it serves, and how it reaches remote objects.
//
// Part of //broker. In-process services are ordinary protobuf generic services
// (google::protobuf::Service, `option cc_generic_services = true`). The broker calls
// Service::CallMethod(method, controller, request, response, done) with `controller` a
// CallContext: the call's status, deadline, metadata and cancellation, plus the object-reference
// operations (export an object as a result, hold a reference the request carried). A servant
// finishes by running `done` exactly once, at once or later on the same loop; the broker then
// replies with `response` (or with the status set on the context).
//
//   void CalculatorServant::Divide(RpcController* controller, const DivideRequest* request,
//                                  DivideResponse* response, Closure* done) {
//     if (request->divisor() == 0) {
//       CallContext::From(controller).SetStatus(absl::InvalidArgumentError("division by zero"));
//     } else {
//       response->set_quotient(request->dividend() / request->divisor());
//     }
//     done->Run();
//   }
//
// Threading: a servant runs on one loop; every method here is for that loop only. The context
// lives until `done` runs; a servant must not touch it afterwards.
#ifndef WEFT_BROKER_CALL_CONTEXT_H_
#define WEFT_BROKER_CALL_CONTEXT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "google/protobuf/service.h"
#include "weft/v1/object_ref.pb.h"

namespace weft::broker {

class ObjectHandle;

// The broker's object registry as a servant reaches it through its CallContext. Implemented by
// the broker on the loop that keeps the registry.
class ObjectSpace {
 public:
  ObjectSpace() = default;
  ObjectSpace(const ObjectSpace&) = delete;
  ObjectSpace& operator=(const ObjectSpace&) = delete;
  virtual ~ObjectSpace() = default;

  // See CallContext::Export().
  virtual weft::v1::ObjectRef Export(std::unique_ptr<google::protobuf::Service> servant) = 0;
  // See CallContext::Hold().
  virtual absl::StatusOr<std::unique_ptr<ObjectHandle>> Hold(const weft::v1::ObjectRef& ref) = 0;
};

// A reference an in-process holder keeps to an object (typically a callback a client passed).
// Destroying the handle releases the reference. Calls through channel() go to the object:
//
//   demo::CounterWatcher_Stub stub(&watcher->channel());
//   auto* controller = new OutboundController();  // owned by the done closure
//   stub.Changed(controller, &value, &ack, done);
//
// The handle must be destroyed on the loop it was made on, and before the broker.
class ObjectHandle {
 public:
  ObjectHandle() = default;
  ObjectHandle(const ObjectHandle&) = delete;
  ObjectHandle& operator=(const ObjectHandle&) = delete;
  virtual ~ObjectHandle() = default;

  // The reference, as it would travel in a message.
  virtual const weft::v1::ObjectRef& ref() const = 0;
  // False once the object's host disconnected: calls then fail with kUnavailable.
  virtual bool alive() const = 0;
  // An RpcChannel whose calls go to the object. Its CallMethod needs an OutboundController and
  // runs `done` exactly once, possibly before returning; the response is valid when it runs.
  virtual google::protobuf::RpcChannel& channel() = 0;
};

// The controller for calls an in-process servant makes through an ObjectHandle.
class OutboundController final : public google::protobuf::RpcController {
 public:
  OutboundController() = default;

  // Bounds the call; the default is no deadline. Set before the call.
  void set_timeout(absl::Duration timeout) { timeout_ = timeout; }
  absl::Duration timeout() const { return timeout_; }
  // The call's outcome, valid once `done` ran.
  const absl::Status& status() const { return status_; }
  void set_status(absl::Status status) { status_ = std::move(status); }

  // google::protobuf::RpcController
  void Reset() override;
  bool Failed() const override { return !status_.ok(); }
  std::string ErrorText() const override { return std::string(status_.message()); }
  // Outbound calls are cancelled by destroying nothing: the call runs to its deadline.
  void StartCancel() override {}
  void SetFailed(const std::string& reason) override;
  bool IsCanceled() const override { return false; }
  void NotifyOnCancel(google::protobuf::Closure* callback) override;

 private:
  absl::Duration timeout_ = absl::InfiniteDuration();
  absl::Status status_;
};

// The server side of one call, handed to a servant as its RpcController.
class CallContext final : public google::protobuf::RpcController {
 public:
  CallContext() = default;
  // Frees a NotifyOnCancel callback that never ran (the broker went while the call ran).
  ~CallContext() override;

  // The context of `controller`, which must be what the broker passed to CallMethod.
  static CallContext& From(google::protobuf::RpcController* controller);

  // Fails the call with `status` (not OK). The response is then discarded. The last call wins.
  void SetStatus(absl::Status status);
  const absl::Status& status() const { return status_; }

  // When the caller stops waiting; absl::InfiniteFuture() when it set no deadline.
  absl::Time deadline() const { return deadline_; }
  // The caller's metadata value for `key`; empty when absent.
  absl::string_view metadata(absl::string_view key) const;

  // Registers an in-process object and returns the reference to put in the response (or in an
  // outgoing call); whoever receives it holds it. An object that nobody receives by the end of
  // the call is destroyed. Only in methods whose request or response type can hold an ObjectRef
  // (those run where the broker keeps its object registry); other methods crash here.
  weft::v1::ObjectRef Export(std::unique_ptr<google::protobuf::Service> servant);

  // Keeps a reference the request carried, past the end of the call. kNotFound when `ref` names
  // no live object; kInvalidArgument when it is not a reference this broker issued. Same
  // restriction as Export().
  absl::StatusOr<std::unique_ptr<ObjectHandle>> Hold(const weft::v1::ObjectRef& ref);

  // google::protobuf::RpcController (server side; the client-side methods are no-ops)
  void Reset() override;
  bool Failed() const override { return !status_.ok(); }
  std::string ErrorText() const override { return std::string(status_.message()); }
  void StartCancel() override {}
  // Fails the call with kUnknown and `reason` (protobuf's generic failure).
  void SetFailed(const std::string& reason) override;
  bool IsCanceled() const override { return cancelled_; }
  // Runs `callback` exactly once (protobuf's contract): when the caller cancels or its deadline
  // passes, at once if that already happened, and otherwise when the call ends after `done`.
  void NotifyOnCancel(google::protobuf::Closure* callback) override;

 private:
  friend class ServantCall;
  friend class BrokerCore;

  // Broker side: starts a call. `objects` is the registry (nullptr on loops without one); the
  // metadata is copied.
  void Begin(ObjectSpace* objects, absl::Time deadline,
             absl::Span<const std::pair<absl::string_view, absl::string_view>> metadata);
  // Broker side: the caller cancelled or the deadline passed. Runs the NotifyOnCancel callback.
  void Cancel();
  // Broker side: `done` ran. Runs a NotifyOnCancel callback that is still waiting.
  void End();

  absl::Status status_;
  absl::Time deadline_ = absl::InfiniteFuture();
  std::vector<std::pair<std::string, std::string>> metadata_;
  ObjectSpace* objects_ = nullptr;
  google::protobuf::Closure* on_cancel_ = nullptr;
  bool cancelled_ = false;
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_CALL_CONTEXT_H_
