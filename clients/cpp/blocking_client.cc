#include "clients/cpp/blocking_client.h"

#include <utility>

#include "absl/synchronization/notification.h"
#include "google/protobuf/stubs/callback.h"

namespace weft::clients {

// BlockingClient::channel(): forwards each call to the loop.
class BlockingClient::BlockingChannel final : public google::protobuf::RpcChannel {
 public:
  explicit BlockingChannel(BlockingClient& owner) : owner_(owner) {}

  // google::protobuf::RpcChannel
  void CallMethod(const google::protobuf::MethodDescriptor* method,
                  google::protobuf::RpcController* controller,
                  const google::protobuf::Message* request, google::protobuf::Message* response,
                  google::protobuf::Closure* done) override {
    WEFT_CHECK(controller != nullptr);
    if (done != nullptr) {
      owner_.PostToLoop([this, method, controller, request, response, done] {
        owner_.client_->channel().CallMethod(method, controller, request, response, done);
      });
      return;
    }
    WEFT_CHECK(!owner_.loop_->IsInLoopThread());
    absl::Notification finished;
    std::unique_ptr<google::protobuf::Closure> notify(
        google::protobuf::NewPermanentCallback(&finished, &absl::Notification::Notify));
    owner_.PostToLoop([&] {
      owner_.client_->channel().CallMethod(method, controller, request, response, notify.get());
    });
    finished.WaitForNotification();
  }

 private:
  BlockingClient& owner_;
};

BlockingClient::BlockingClient() = default;

absl::StatusOr<std::unique_ptr<BlockingClient>> BlockingClient::Connect(absl::string_view endpoint,
                                                                        ClientOptions options) {
  absl::StatusOr<std::unique_ptr<reactor::EpollEventLoop>> loop = reactor::EpollEventLoop::Create();
  if (!loop.ok()) return loop.status();
  std::unique_ptr<BlockingClient> blocking(new BlockingClient());
  blocking->loop_ = *std::move(loop);
  blocking->channel_ = std::make_unique<BlockingChannel>(*blocking);
  reactor::EpollEventLoop& event_loop = *blocking->loop_;
  blocking->thread_ = std::thread([&event_loop] { event_loop.Run(); });

  absl::Status status = absl::UnknownError("client: not run");
  absl::Notification connected;
  BlockingClient& self = *blocking;
  event_loop.Post([&] {
    Client::Connect(event_loop, endpoint, std::move(options))
        .Handle([&](absl::StatusOr<std::unique_ptr<Client>> client) {
          if (client.ok()) {
            self.client_ = *std::move(client);
            status = absl::OkStatus();
          } else {
            status = client.status();
          }
          connected.Notify();
        });
  });
  connected.WaitForNotification();
  if (!status.ok()) return status;  // The destructor stops and joins the loop.
  return blocking;
}

BlockingClient::~BlockingClient() {
  if (loop_ == nullptr) return;
  loop_->Post([this] {
    client_.reset();
    loop_->Stop();
  });
  if (thread_.joinable()) thread_.join();
  // Deferred deletions queued by the client's destruction run here, on this thread, now that
  // the loop thread is gone.
  loop_.reset();
}

void BlockingClient::PostToLoop(absl::AnyInvocable<void()> task) { loop_->Post(std::move(task)); }

void BlockingClient::RunInLoop(absl::AnyInvocable<void(Client&)> task) {
  WEFT_CHECK(!loop_->IsInLoopThread());
  absl::Notification done;
  loop_->Post([&] {
    task(*client_);
    done.Notify();
  });
  done.WaitForNotification();
}

reactor::EventLoop& BlockingClient::loop() { return *loop_; }

google::protobuf::RpcChannel& BlockingClient::channel() { return *channel_; }

weft::v1::ObjectRef BlockingClient::Export(std::unique_ptr<google::protobuf::Service> servant) {
  weft::v1::ObjectRef ref;
  RunInLoop([&](Client& client) { ref = client.Export(std::move(servant)); });
  return ref;
}

absl::Status BlockingClient::Register(
    std::vector<std::unique_ptr<google::protobuf::Service>> services) {
  return RunSync([&](Client& client) { return client.Register(std::move(services)); });
}

std::unique_ptr<BlockingSubscription> BlockingClient::Subscribe(absl::string_view topic,
                                                                PublicationCallback callback) {
  std::unique_ptr<Subscription> subscription;
  RunInLoop([&](Client& client) { subscription = client.Subscribe(topic, std::move(callback)); });
  return std::unique_ptr<BlockingSubscription>(
      new BlockingSubscription(*this, std::move(subscription)));
}

absl::Status BlockingClient::Publish(absl::string_view topic,
                                     const google::protobuf::Message& message) {
  absl::Status status;
  RunInLoop([&](Client& client) { status = client.Publish(topic, message); });
  return status;
}

ConnectionState BlockingClient::state() {
  ConnectionState state = ConnectionState::kClosed;
  RunInLoop([&](Client& client) { state = client.state(); });
  return state;
}

BlockingSubscription::~BlockingSubscription() {
  owner_->PostToLoop([subscription = std::move(subscription_)]() mutable { subscription.reset(); });
}

}  // namespace weft::clients
