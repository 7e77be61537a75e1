#include "clients/cpp/servant_dispatcher.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/callback.h"
#include "reactor/base/check.h"

namespace weft::clients::internal {
namespace wire = ::weft::protocols::wire;

// One incoming call: what the servant sees, valid until `done` (this closure) runs.
struct ServantDispatcher::IncomingCall final : public google::protobuf::Closure {
  void Run() override { dispatcher->Finish(this); }

  ServantDispatcher* dispatcher = nullptr;
  uint64_t call_id = 0;
  uint64_t generation = 0;
  bool answered = false;  // A Reply went out (or none may: one_way, connection gone).
  bool indexed = false;   // In by_id_.
  ServerContext context;
  std::unique_ptr<google::protobuf::Message> request;
  std::unique_ptr<google::protobuf::Message> response;
  std::unique_ptr<reactor::Timer> deadline;
};

namespace {

// Destroys a servant after the current callback (a call into it may be on the stack).
class DoomedServant final : public reactor::DeferredDeletable {
 public:
  explicit DoomedServant(std::unique_ptr<google::protobuf::Service> servant)
      : servant_(std::move(servant)) {}

 private:
  std::unique_ptr<google::protobuf::Service> servant_;
};

}  // namespace

ServantDispatcher::ServantDispatcher(reactor::EventLoop& loop, DispatcherHost& host)
    : loop_(loop), host_(host) {}

ServantDispatcher::~ServantDispatcher() {
  objects_.clear();
  services_.clear();
  owned_services_.clear();
  for (IncomingCall* call : live_) delete call;
}

void ServantDispatcher::AddServices(
    std::vector<std::unique_ptr<google::protobuf::Service>> services) {
  for (std::unique_ptr<google::protobuf::Service>& service : services) {
    services_[service->GetDescriptor()->full_name()] = service.get();
    owned_services_.push_back(std::move(service));
  }
}

std::vector<const google::protobuf::ServiceDescriptor*> ServantDispatcher::service_descriptors()
    const {
  std::vector<const google::protobuf::ServiceDescriptor*> out;
  out.reserve(owned_services_.size());
  for (const auto& service : owned_services_) out.push_back(service->GetDescriptor());
  return out;
}

uint64_t ServantDispatcher::Export(std::unique_ptr<google::protobuf::Service> servant) {
  const uint64_t id = next_object_id_++;
  objects_[id].servant = std::move(servant);
  return id;
}

void ServantDispatcher::CountSent(uint64_t id) {
  auto it = objects_.find(id);
  if (it != objects_.end()) ++it->second.sent;
}

void ServantDispatcher::Release(uint64_t id) {
  auto it = objects_.find(id);
  if (it == objects_.end() || it->second.sent == 0) return;
  if (--it->second.sent > 0) return;
  std::unique_ptr<google::protobuf::Service> servant = std::move(it->second.servant);
  objects_.erase(it);
  DestroyLater(std::move(servant));
}

void ServantDispatcher::DestroyLater(std::unique_ptr<google::protobuf::Service> servant) {
  loop_.DeferredDelete(std::make_unique<DoomedServant>(std::move(servant)));
}

google::protobuf::Service* ServantDispatcher::FindServant(const wire::Call& call,
                                                          absl::Status& status) {
  if (!call.service.empty()) {
    auto it = services_.find(call.service);
    if (it != services_.end()) return it->second;
    status = absl::NotFoundError(absl::StrCat("no service '", call.service, "'"));
    return nullptr;
  }
  auto it = objects_.find(call.object_id);
  if (it != objects_.end()) return it->second.servant.get();
  status = absl::NotFoundError(absl::StrCat("no object ", call.object_id));
  return nullptr;
}

void ServantDispatcher::Dispatch(const wire::Call& call, uint64_t generation) {
  absl::Status status;
  google::protobuf::Service* servant = FindServant(call, status);
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::unique_ptr<google::protobuf::Message> request;
  if (servant != nullptr) {
    const google::protobuf::ServiceDescriptor& service = *servant->GetDescriptor();
    method = service.FindMethodByName(std::string(call.method));
    if (method == nullptr) {
      status = absl::NotFoundError(
          absl::StrCat("service '", service.full_name(), "' has no method '", call.method, "'"));
    } else {
      request.reset(servant->GetRequestPrototype(method).New());
      if (!request->ParseFromArray(call.payload.data(), static_cast<int>(call.payload.size()))) {
        status = absl::InvalidArgumentError(
            absl::StrCat("client: request does not parse as ", method->input_type()->full_name()));
      }
    }
  }
  if (!status.ok()) {
    if (!call.one_way) host_.SendReply(generation, call.call_id, status, nullptr);
    return;
  }
  host_.OnRequestParsed(*request);
  Start(*servant, *method, std::move(request), call, generation);
}

void ServantDispatcher::Start(google::protobuf::Service& servant,
                              const google::protobuf::MethodDescriptor& method,
                              std::unique_ptr<google::protobuf::Message> request,
                              const wire::Call& wire_call, uint64_t generation) {
  auto* call = new IncomingCall();
  call->dispatcher = this;
  call->call_id = wire_call.call_id;
  call->generation = generation;
  call->answered = wire_call.one_way;
  call->request = std::move(request);
  call->response.reset(servant.GetResponsePrototype(&method).New());
  ServerContext& context = call->context;
  context.service_ = std::string(wire_call.service);
  context.object_id_ = wire_call.object_id;
  context.method_ = std::string(wire_call.method);
  context.one_way_ = wire_call.one_way;
  for (const auto& [key, value] : wire_call.metadata) {
    context.metadata_.emplace_back(std::string(key), std::string(value));
  }
  live_.insert(call);
  if (!wire_call.one_way) {
    // A second Call with an id still running is a broker bug; the newer one wins the index.
    if (auto it = by_id_.find(call->call_id); it != by_id_.end()) it->second->indexed = false;
    by_id_[call->call_id] = call;
    call->indexed = true;
  }
  if (wire_call.timeout_micros > 0) {
    const absl::Duration timeout = absl::Microseconds(wire_call.timeout_micros);
    context.deadline_ = loop_.clock().MonotonicNow() + timeout;
    call->deadline = loop_.CreateTimer([this, call] {
      CancelIncoming(*call, absl::DeadlineExceededError("client: deadline exceeded"), true);
    });
    call->deadline->Schedule(timeout);
  }
  servant.CallMethod(&method, &context, call->request.get(), call->response.get(), call);
}

void ServantDispatcher::Cancel(uint64_t call_id) {
  auto it = by_id_.find(call_id);
  if (it == by_id_.end()) return;  // Unknown or finished: ignored (docs/wire.md).
  CancelIncoming(*it->second, absl::CancelledError("client: call cancelled by the caller"), true);
}

void ServantDispatcher::CancelIncoming(IncomingCall& call, absl::Status reason, bool reply) {
  if (call.indexed) {
    by_id_.erase(call.call_id);
    call.indexed = false;
  }
  call.deadline.reset();  // May be the running timer: it allows that.
  if (reply && !call.answered) {
    call.answered = true;
    host_.SendReply(call.generation, call.call_id, reason, nullptr);
  }
  call.answered = true;
  call.context.Cancel(std::move(reason));  // May run `done`, deleting `call`.
}

void ServantDispatcher::ConnectionLost() {
  std::vector<IncomingCall*> calls;
  calls.reserve(by_id_.size());
  for (const auto& [id, call] : by_id_) calls.push_back(call);
  for (IncomingCall* call : calls) {
    if (!live_.contains(call)) continue;  // Finished by an earlier cancellation callback.
    CancelIncoming(*call, absl::UnavailableError("client: connection lost"), false);
  }
  by_id_.clear();
  // The broker killed every object it had seen; the others stay exportable.
  std::vector<uint64_t> dead;
  for (const auto& [id, object] : objects_) {
    if (object.sent > 0) dead.push_back(id);
  }
  for (uint64_t id : dead) {
    auto it = objects_.find(id);
    std::unique_ptr<google::protobuf::Service> servant = std::move(it->second.servant);
    objects_.erase(it);
    DestroyLater(std::move(servant));
  }
}

void ServantDispatcher::Finish(IncomingCall* call) {
  if (!call->answered) {
    call->answered = true;
    const absl::Status& status = call->context.status();
    host_.SendReply(call->generation, call->call_id, status,
                    status.ok() ? call->response.get() : nullptr);
  }
  if (call->indexed) by_id_.erase(call->call_id);
  live_.erase(call);
  delete call;
}

}  // namespace weft::clients::internal
