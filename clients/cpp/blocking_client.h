// BlockingClient: a thread-safe, blocking face of Client for code that is not on an event loop.
//
// Part of //clients/cpp:client. It owns an EpollEventLoop running on a background thread and a
// Client on that loop; each method posts its work to the loop and waits for the result. Any
// number of threads may call concurrently (their calls are pipelined on the one connection).
// Methods must not be called from the loop thread itself (that would deadlock; WEFT_CHECK):
// servants, subscription callbacks and the state callback run on the loop thread and must use
// the async API via client() there.
//
//   absl::StatusOr<std::unique_ptr<BlockingClient>> client =
//       BlockingClient::Connect("tcp:127.0.0.1:7700", ClientOptions{});
//   absl::StatusOr<demo::AddResponse> sum = (*client)->Call(&demo::Calculator_Stub::Add, request);
#ifndef WEFT_CLIENTS_CPP_BLOCKING_CLIENT_H_
#define WEFT_CLIENTS_CPP_BLOCKING_CLIENT_H_

#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "clients/cpp/client.h"
#include "google/protobuf/service.h"
#include "reactor/base/check.h"
#include "reactor/epoll_event_loop.h"

namespace weft::clients {

class BlockingClient;

// A remote object reference owned by any thread; the blocking counterpart of Ref<Stub>. Destroying
// it releases the reference (posted to the loop). Must be destroyed before its BlockingClient.
template <typename Stub>
class BlockingRef {
 public:
  BlockingRef() = default;
  BlockingRef(BlockingRef&&) noexcept = default;
  BlockingRef& operator=(BlockingRef&& other) noexcept {
    Reset();
    owner_ = std::exchange(other.owner_, nullptr);
    ref_ = std::move(other.ref_);
    return *this;
  }
  ~BlockingRef() { Reset(); }

  explicit operator bool() const { return ref_ != nullptr; }
  // Copied when adopted; safe to read from any thread.
  const weft::v1::ObjectRef& object_ref() const { return object_ref_; }

  void Reset();

 private:
  friend class BlockingClient;

  BlockingClient* owner_ = nullptr;
  std::unique_ptr<Ref<Stub>> ref_;  // Touched on the loop thread only.
  weft::v1::ObjectRef object_ref_;
};

// The handle of BlockingClient::Subscribe(); destroying it (on any thread, before the client)
// unsubscribes.
class BlockingSubscription final {
 public:
  BlockingSubscription(const BlockingSubscription&) = delete;
  BlockingSubscription& operator=(const BlockingSubscription&) = delete;
  ~BlockingSubscription();

 private:
  friend class BlockingClient;
  BlockingSubscription(BlockingClient& owner, std::unique_ptr<Subscription> subscription)
      : owner_(&owner), subscription_(std::move(subscription)) {}

  BlockingClient* owner_;
  std::unique_ptr<Subscription> subscription_;  // Destroyed on the loop thread.
};

class BlockingClient final {
 public:
  // Starts the loop thread and connects as Client::Connect() does; blocks until Welcome or
  // failure (same errors).
  static absl::StatusOr<std::unique_ptr<BlockingClient>> Connect(absl::string_view endpoint,
                                                                 ClientOptions options);

  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;
  // Destroys the Client on the loop thread (pending calls fail CANCELLED), stops and joins it.
  ~BlockingClient();

  // Calls a service method; blocks until the result (statuses as in Controller::status()).
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(StubMethod<Stub, Request, Response> method, const Request& request,
                                const CallOptions& options = {}) {
    return RunSync([&](Client& client) { return client.Call(method, request, options); });
  }
  // Calls a method of a held remote object.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(const BlockingRef<Stub>& target,
                                StubMethod<Stub, Request, Response> method, const Request& request,
                                const CallOptions& options = {}) {
    if (!target) return absl::FailedPreconditionError("client: call on an empty Ref");
    return RunSync(
        [&](Client& client) { return client.Call(*target.ref_, method, request, options); });
  }

  // As Client::Adopt().
  template <typename Stub>
  absl::StatusOr<BlockingRef<Stub>> Adopt(const weft::v1::ObjectRef& ref);

  // As Client::Export(); the servant runs on the loop thread.
  weft::v1::ObjectRef Export(std::unique_ptr<google::protobuf::Service> servant);
  // As Client::Register(); blocks for the broker's answer.
  absl::Status Register(std::vector<std::unique_ptr<google::protobuf::Service>> services);
  // As Client::Subscribe(); `callback` runs on the loop thread. The handle may be destroyed on
  // any thread (the unsubscription is posted), before this client.
  std::unique_ptr<BlockingSubscription> Subscribe(absl::string_view topic,
                                                  PublicationCallback callback);
  absl::Status Publish(absl::string_view topic, const google::protobuf::Message& message);
  ConnectionState state();

  // A channel for generated stubs from any thread. With `done` null, CallMethod blocks until the
  // call completes; otherwise it returns at once and `done` runs later on the loop thread. The
  // controller must be a weft::clients::Controller (required); request, response and controller
  // must stay valid until completion. StartCancel() works from any thread.
  google::protobuf::RpcChannel& channel();

  // Runs `task` with the Client on the loop thread and waits for it (any thread but the loop's).
  void RunInLoop(absl::AnyInvocable<void(Client&)> task);
  reactor::EventLoop& loop();

 private:
  class BlockingChannel;
  template <typename Stub>
  friend class BlockingRef;
  friend class BlockingSubscription;

  BlockingClient();

  // Starts `start(client)` (which returns a Deferred<T>) on the loop and waits for its result.
  template <typename Start>
  auto RunSync(Start&& start)
      -> reactor::DeferredResult<typename std::invoke_result_t<Start&, Client&>::value_type>;
  // Posts `task` to the loop without waiting (for destructors of handles).
  void PostToLoop(absl::AnyInvocable<void()> task);

  std::unique_ptr<reactor::EpollEventLoop> loop_;
  std::unique_ptr<Client> client_;  // Created, used and destroyed on the loop thread.
  std::unique_ptr<BlockingChannel> channel_;
  std::thread thread_;
};

// Template members.

template <typename Start>
auto BlockingClient::RunSync(Start&& start)
    -> reactor::DeferredResult<typename std::invoke_result_t<Start&, Client&>::value_type> {
  using T = typename std::invoke_result_t<Start&, Client&>::value_type;
  WEFT_CHECK(!loop_->IsInLoopThread());
  reactor::DeferredResult<T> result = absl::UnknownError("client: not run");
  absl::Notification done;
  loop_->Post([&] {
    start(*client_).Handle([&](reactor::DeferredResult<T> r) {
      result = std::move(r);
      done.Notify();
    });
  });
  done.WaitForNotification();
  return result;
}

template <typename Stub>
absl::StatusOr<BlockingRef<Stub>> BlockingClient::Adopt(const weft::v1::ObjectRef& ref) {
  WEFT_CHECK(!loop_->IsInLoopThread());
  absl::StatusOr<Ref<Stub>> adopted = absl::UnknownError("client: not run");
  RunInLoop([&](Client& client) { adopted = client.Adopt<Stub>(ref); });
  if (!adopted.ok()) return adopted.status();
  BlockingRef<Stub> out;
  out.owner_ = this;
  out.ref_ = std::make_unique<Ref<Stub>>(*std::move(adopted));
  out.object_ref_ = ref;
  return out;
}

template <typename Stub>
void BlockingRef<Stub>::Reset() {
  if (ref_ == nullptr) return;
  owner_->PostToLoop([ref = std::move(ref_)]() mutable { ref.reset(); });
  owner_ = nullptr;
}

}  // namespace weft::clients

#endif  // WEFT_CLIENTS_CPP_BLOCKING_CLIENT_H_
