// ServantCall: one call running in an in-process servant: its request, response, CallContext and
// the `done` closure the servant runs.
//
// Part of //broker (internal). The shards keep a pool of these per method so that the hot path
// allocates nothing once warm; the home shard's slow path makes one per call. Loop thread only.
#ifndef WEFT_BROKER_SERVANT_CALL_H_
#define WEFT_BROKER_SERVANT_CALL_H_

#include <cstdint>
#include <memory>

#include "broker/call_context.h"
#include "broker/ids.h"
#include "broker/peer.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/service.h"
#include "reactor/event_loop.h"

namespace weft::broker {

class ServantCall;

// Whoever started a ServantCall learns here that the servant ran `done`.
class ServantCallOwner {
 public:
  ServantCallOwner() = default;
  ServantCallOwner(const ServantCallOwner&) = delete;
  ServantCallOwner& operator=(const ServantCallOwner&) = delete;
  virtual ~ServantCallOwner() = default;

  virtual void OnServantDone(ServantCall& call) = 0;
};

class ServantCall final : public google::protobuf::Closure {
 public:
  // `request` and `response` are new instances of the method's types.
  ServantCall(ServantCallOwner& owner, const google::protobuf::MethodDescriptor& method,
              std::unique_ptr<google::protobuf::Message> request,
              std::unique_ptr<google::protobuf::Message> response)
      : owner_(owner),
        method_(method),
        request_(std::move(request)),
        response_(std::move(response)) {}

  const google::protobuf::MethodDescriptor& method() const { return method_; }
  google::protobuf::Message& request() { return *request_; }
  google::protobuf::Message& response() { return *response_; }
  CallContext& context() { return context_; }

  // Prepares the context for a new call (see CallContext::Begin()).
  void Begin(ObjectSpace* objects, absl::Time deadline, MetadataView metadata) {
    context_.Reset();
    abandoned = false;
    context_.Begin(objects, deadline, metadata);
  }
  // The caller gave up: the servant sees IsCanceled() and its NotifyOnCancel callback runs.
  void Cancel() {
    abandoned = true;
    if (deadline_timer != nullptr) deadline_timer->Cancel();
    context_.Cancel();
  }

  // Runs the call on `servant`. Returns true when `done` already ran.
  bool Start(google::protobuf::Service& servant) {
    finished_ = false;
    servant.CallMethod(&method_, &context_, request_.get(), response_.get(), this);
    return finished_;
  }
  bool finished() const { return finished_; }

  // The servant's index in the ServantCatalog (shard pools), when it has one.
  uint32_t servant_index = 0;
  // The caller's connection and call id.
  ConnectionRef from;
  uint64_t call_id = 0;
  bool one_way = false;
  // The caller cancelled or timed out and has its answer: drop the result.
  bool abandoned = false;
  // Inside Start(): the owner finishes the call when Start() returns.
  bool starting = false;
  // Armed while a call with a deadline runs past Start(). Created on first need, then reused.
  std::unique_ptr<reactor::Timer> deadline_timer;

  // google::protobuf::Closure: the servant's `done`.
  void Run() override {
    finished_ = true;
    context_.End();
    owner_.OnServantDone(*this);
  }

 private:
  ServantCallOwner& owner_;
  const google::protobuf::MethodDescriptor& method_;
  std::unique_ptr<google::protobuf::Message> request_;
  std::unique_ptr<google::protobuf::Message> response_;
  CallContext context_;
  bool finished_ = false;
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_SERVANT_CALL_H_
