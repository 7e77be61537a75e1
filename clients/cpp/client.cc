#include "clients/cpp/client.h"

#include <utility>

#include "clients/cpp/client_core.h"
#include "reactor/base/check.h"
#include "reactor/endpoint.h"
#include "reactor/endpoint_factory.h"
#include "reactor/epoll_event_loop.h"

namespace weft::clients {

reactor::Deferred<std::unique_ptr<Client>> Client::Connect(reactor::EpollEventLoop& loop,
                                                           absl::string_view endpoint,
                                                           ClientOptions options) {
  absl::StatusOr<reactor::ClientEndpoint> parsed = reactor::ParseClientEndpoint(endpoint);
  if (!parsed.ok()) return reactor::Fail<std::unique_ptr<Client>>(parsed.status());
  reactor::DnsResolver* resolver = options.resolver;
  TransportConnector connector =
      [&loop, resolver, target = *std::move(parsed)](
          absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<reactor::Transport>>)> done) {
        return reactor::ConnectEndpoint(loop, resolver, target, std::move(done));
      };
  return Connect(static_cast<reactor::EventLoop&>(loop), std::move(connector), std::move(options));
}

reactor::Deferred<std::unique_ptr<Client>> Client::Connect(reactor::EventLoop& loop,
                                                           TransportConnector connector,
                                                           ClientOptions options) {
  WEFT_DCHECK(loop.IsInLoopThread());
  auto core =
      std::make_unique<internal::ClientCore>(loop, std::move(connector), std::move(options));
  internal::ClientCore& raw = *core;
  std::unique_ptr<Client> client(new Client(std::move(core)));
  return raw.ConnectFirst(std::move(client));
}

Client::Client(std::unique_ptr<internal::ClientCore> core) : core_(std::move(core)) {}

Client::~Client() {
  reactor::EventLoop& loop = core_->loop();
  WEFT_DCHECK(loop.IsInLoopThread());
  core_->Shutdown(absl::CancelledError("client: closed"));
  // The core may be on the stack (this client destroyed from one of its callbacks).
  loop.DeferredDelete(std::move(core_));
}

google::protobuf::RpcChannel& Client::channel() { return core_->service_channel(); }

void Client::StartCall(absl::string_view service, uint64_t object_id, uint64_t generation,
                       const google::protobuf::MethodDescriptor& method, Controller& controller,
                       const google::protobuf::Message& request,
                       google::protobuf::Message& response, google::protobuf::Closure& done) {
  core_->StartCall(service, object_id, generation, method, controller, request, response, done);
}

std::unique_ptr<internal::HeldRef> Client::AdoptHeld(const weft::v1::ObjectRef& ref,
                                                     absl::Status& status) {
  WEFT_DCHECK(loop().IsInLoopThread());
  return core_->AdoptHeld(*this, ref, status);
}

absl::Status Client::Release(const weft::v1::ObjectRef& ref) {
  return core_->ReleaseUnadopted(ref);
}

uint64_t Client::unadopted_count(uint64_t object_id) const {
  return core_->unadopted_count(object_id);
}

weft::v1::ObjectRef Client::Export(std::unique_ptr<google::protobuf::Service> servant) {
  WEFT_DCHECK(loop().IsInLoopThread());
  return core_->Export(std::move(servant));
}

std::size_t Client::exported_count() const { return core_->exported_count(); }

reactor::Deferred<void> Client::Register(
    std::vector<std::unique_ptr<google::protobuf::Service>> services) {
  WEFT_DCHECK(loop().IsInLoopThread());
  return core_->Register(std::move(services));
}

std::unique_ptr<Subscription> Client::Subscribe(absl::string_view topic,
                                                PublicationCallback callback) {
  WEFT_DCHECK(loop().IsInLoopThread());
  return core_->Subscribe(*this, topic, std::move(callback));
}

absl::Status Client::Publish(absl::string_view topic, const google::protobuf::Message& message) {
  WEFT_DCHECK(loop().IsInLoopThread());
  return core_->Publish(topic, message);
}

ConnectionState Client::state() const { return core_->state(); }
const absl::Status& Client::last_error() const { return core_->last_error(); }
const std::string& Client::node() const { return core_->node(); }
void Client::SetStateCallback(StateCallback callback) {
  core_->SetStateCallback(std::move(callback));
}
void Client::Close() { core_->Shutdown(absl::CancelledError("client: closed")); }
reactor::EventLoop& Client::loop() const { return core_->loop(); }

// --- HeldRef ---

namespace internal {

HeldRef::HeldRef(Client& client, weft::v1::ObjectRef ref, uint64_t generation)
    : client_(&client), ref_(std::move(ref)), generation_(generation) {}

HeldRef::~HeldRef() {
  if (client_ != nullptr) client_->core_->DropRef(*this);
}

void HeldRef::CallMethod(const google::protobuf::MethodDescriptor* method,
                         google::protobuf::RpcController* controller,
                         const google::protobuf::Message* request,
                         google::protobuf::Message* response, google::protobuf::Closure* done) {
  WEFT_CHECK(controller != nullptr && done != nullptr);
  auto& weft_controller = static_cast<Controller&>(*controller);
  if (client_ == nullptr) {
    weft_controller.Complete(absl::UnavailableError("client: closed"));
    done->Run();
    return;
  }
  client_->StartCall("", ref_.object_id(), generation_, *method, weft_controller, *request,
                     *response, *done);
}

}  // namespace internal

// --- Subscription ---

Subscription::~Subscription() {
  if (client_ != nullptr) client_->core_->Unsubscribe(*this);
}

}  // namespace weft::clients
