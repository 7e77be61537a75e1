// ClientCore: connecting, reconnecting, and the outgoing call path. Objects, services and
// subscriptions are in client_objects.cc.
#include "clients/cpp/client_core.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "reactor/base/check.h"

namespace weft::clients::internal {

// Client::channel(): routes by the method's full service name.
class ClientCore::ServiceChannel final : public google::protobuf::RpcChannel {
 public:
  explicit ServiceChannel(ClientCore& core) : core_(core) {}

  // google::protobuf::RpcChannel
  void CallMethod(const google::protobuf::MethodDescriptor* method,
                  google::protobuf::RpcController* controller,
                  const google::protobuf::Message* request, google::protobuf::Message* response,
                  google::protobuf::Closure* done) override {
    WEFT_CHECK(controller != nullptr && done != nullptr);
    core_.StartCall(method->service()->full_name(), 0, core_.generation_, *method,
                    static_cast<Controller&>(*controller), *request, *response, *done);
  }

 private:
  ClientCore& core_;
};

namespace {

// Refusals that another attempt would meet again.
bool IsPermanentRefusal(const absl::Status& status) {
  return absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status) ||
         absl::IsFailedPrecondition(status);
}

// Destroys the facade of a failed first Connect() after the current callback.
class DoomedClient final : public reactor::DeferredDeletable {
 public:
  explicit DoomedClient(std::unique_ptr<Client> client) : client_(std::move(client)) {}

 private:
  std::unique_ptr<Client> client_;
};

}  // namespace

ClientCore::ClientCore(reactor::EventLoop& loop, TransportConnector connector,
                       ClientOptions options)
    : loop_(loop),
      connector_(std::move(connector)),
      options_(std::move(options)),
      backoff_(options_.reconnect),
      service_channel_(std::make_unique<ServiceChannel>(*this)),
      dispatcher_(loop, *this),
      connect_timer_(loop.CreateTimer([this] {
        attempt_.reset();
        if (connection_ != nullptr) DropConnection();
        AttemptFailed(absl::DeadlineExceededError("client: connect timed out"));
      })),
      backoff_timer_(loop.CreateTimer([this] { StartAttempt(); })),
      release_timer_(loop.CreateTimer([this] { FlushReleases(); })) {}

ClientCore::~ClientCore() = default;

google::protobuf::RpcChannel& ClientCore::service_channel() { return *service_channel_; }

reactor::Deferred<std::unique_ptr<Client>> ClientCore::ConnectFirst(std::unique_ptr<Client> self) {
  pending_self_ = std::move(self);
  connect_promise_.emplace();
  reactor::Deferred<std::unique_ptr<Client>> result = connect_promise_->GetDeferred();
  connect_promise_->SetCanceller([this] {
    // Abandon the attempt; the promise then fires kCancelled.
    Shutdown(absl::CancelledError("client: connect cancelled"));
    loop_.DeferredDelete(std::make_unique<DoomedClient>(std::move(pending_self_)));
  });
  StartAttempt();
  return result;
}

void ClientCore::StartAttempt() {
  if (closed_) return;
  SetState(ConnectionState::kConnecting, last_error_);
  if (closed_) return;
  connect_timer_->Schedule(options_.connect_timeout);
  attempt_ = connector_([this](absl::StatusOr<std::unique_ptr<reactor::Transport>> transport) {
    OnTransport(std::move(transport));
  });
}

void ClientCore::OnTransport(absl::StatusOr<std::unique_ptr<reactor::Transport>> transport) {
  if (closed_) return;
  if (!transport.ok()) return AttemptFailed(transport.status());
  ConnectionConfig config;
  config.client_name = options_.client_name;
  config.token = options_.token;
  config.max_incoming_frame_bytes = options_.max_incoming_frame_bytes;
  config.keepalive_interval = options_.keepalive_interval;
  ++generation_;
  connection_ = std::make_unique<Connection>(loop_, *std::move(transport), *this, *this, config);
}

void ClientCore::OnWelcome(const WelcomeInfo& welcome) {
  connect_timer_->Cancel();
  node_ = welcome.node;
  backoff_.Reset();
  if (first_connect_) {
    first_connect_ = false;
    SetState(ConnectionState::kReady, absl::OkStatus());
    std::optional<reactor::Promise<std::unique_ptr<Client>>> promise = std::move(connect_promise_);
    connect_promise_.reset();
    promise->Resolve(std::move(pending_self_));  // May destroy the client.
    return;
  }
  Reestablish();
  SetState(ConnectionState::kReady, absl::OkStatus());
}

void ClientCore::OnLost(const absl::Status& status) {
  if (closed_) return;
  DropConnection();
  if (state_ == ConnectionState::kConnecting) return AttemptFailed(status);
  ConnectionDropped(status);
}

void ClientCore::AttemptFailed(absl::Status status) {
  connect_timer_->Cancel();
  if (first_connect_) {
    std::optional<reactor::Promise<std::unique_ptr<Client>>> promise = std::move(connect_promise_);
    connect_promise_.reset();
    Shutdown(status);
    loop_.DeferredDelete(std::make_unique<DoomedClient>(std::move(pending_self_)));
    promise->Fail(std::move(status));
    return;
  }
  if (IsPermanentRefusal(status)) {
    closed_ = true;
    return SetState(ConnectionState::kClosed, std::move(status));
  }
  ScheduleReconnect(std::move(status));
}

void ClientCore::ConnectionDropped(absl::Status status) {
  unadopted_.clear();
  pending_releases_.clear();
  dispatcher_.ConnectionLost();
  if (closed_) return;  // A cancelled servant call closed the client.
  if (!options_.reconnect.enabled) {
    closed_ = true;
    return SetState(ConnectionState::kClosed, std::move(status));
  }
  ScheduleReconnect(std::move(status));
}

void ClientCore::ScheduleReconnect(absl::Status status) {
  std::optional<absl::Duration> delay = backoff_.NextDelay();
  if (!delay.has_value()) {
    closed_ = true;
    return SetState(ConnectionState::kClosed, std::move(status));
  }
  backoff_timer_->Schedule(*delay);
  SetState(ConnectionState::kReconnecting, std::move(status));
}

void ClientCore::SetState(ConnectionState state, absl::Status reason) {
  const bool changed = state != state_ || !(reason == last_error_);
  state_ = state;
  last_error_ = std::move(reason);
  if (changed && state_callback_ != nullptr) state_callback_(state_, last_error_);
}

void ClientCore::DropConnection() {
  if (connection_ == nullptr) return;
  connection_->Shutdown(absl::UnavailableError("client: connection dropped"));
  loop_.DeferredDelete(std::move(connection_));
}

void ClientCore::Shutdown(absl::Status reason) {
  if (closed_ && connection_ == nullptr) return;
  closed_ = true;
  state_ = ConnectionState::kClosed;
  last_error_ = reason;
  connect_timer_->Cancel();
  backoff_timer_->Cancel();
  release_timer_->Cancel();
  attempt_.reset();
  for (HeldRef* held : refs_) held->client_ = nullptr;
  refs_.clear();
  for (Subscription* subscription : live_subscriptions_) subscription->client_ = nullptr;
  live_subscriptions_.clear();
  subscriptions_.clear();
  if (connection_ != nullptr) {
    Connection& connection = *connection_;
    loop_.DeferredDelete(std::move(connection_));
    connection.Shutdown(std::move(reason));  // Completes pending calls: user code runs.
  }
}

void ClientCore::StartCall(absl::string_view service, uint64_t object_id, uint64_t generation,
                           const google::protobuf::MethodDescriptor& method, Controller& controller,
                           const google::protobuf::Message& request,
                           google::protobuf::Message& response, google::protobuf::Closure& done) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  absl::Status status;
  if (!ready()) {
    status = absl::UnavailableError(closed_ ? "client: closed" : "client: not connected");
  } else if (generation != generation_) {
    status = absl::UnavailableError("client: object reference from a previous connection");
  }
  if (!status.ok()) {
    controller.Complete(std::move(status));
    done.Run();
    return;
  }
  if (dispatcher_.has_exports()) CountSent(request);
  const absl::Duration timeout =
      controller.timeout() < absl::ZeroDuration() ? options_.default_timeout : controller.timeout();
  connection_->StartCall(next_call_id_++, service, object_id, method.name(), request, response,
                         controller, done, timeout);
}

void ClientCore::CancelCall(uint64_t call_id) {
  if (connection_ != nullptr) {
    connection_->CancelCall(call_id, absl::CancelledError("client: call cancelled"));
  }
}

absl::Status ClientCore::Publish(absl::string_view topic,
                                 const google::protobuf::Message& message) {
  if (!ready()) return absl::UnavailableError("client: not connected");
  return connection_->SendPublish(topic, message);
}

void ClientCore::OnReplyParsed(const google::protobuf::Message& response) {
  CountReceived(response);
}

void ClientCore::OnRequestParsed(const google::protobuf::Message& request) {
  CountReceived(request);
}

void ClientCore::CountReceived(const google::protobuf::Message& message) {
  walker_.ForEach(message, [&](const weft::v1::ObjectRef& ref) {
    if (ref.object_id() != 0) ++unadopted_[ref.object_id()];
  });
}

void ClientCore::CountSent(const google::protobuf::Message& message) {
  walker_.ForEach(message, [&](const weft::v1::ObjectRef& ref) {
    if (ref.node().empty()) dispatcher_.CountSent(ref.object_id());
  });
}

}  // namespace weft::clients::internal
