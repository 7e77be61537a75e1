// Client: the asynchronous C++ client of Weft's native wire protocol (docs/wire.md), on one
// EventLoop. docs/client-cpp.md is the guide.
//
// Part of //clients/cpp:client, the public target. Typed calls go through protoc's generic-service
// stubs (`option cc_generic_services = true`) over a Weft google::protobuf::RpcChannel, so no
// plugin is needed:
//
//   Deferred<void> Run(reactor::EpollEventLoop& loop) {
//     absl::StatusOr<std::unique_ptr<Client>> client =
//         co_await Client::Connect(loop, "tcp:127.0.0.1:7700", ClientOptions{});
//     if (!client.ok()) co_return client.status();
//     demo::AddRequest request;
//     request.set_a(2);
//     absl::StatusOr<demo::AddResponse> sum =
//         co_await (*client)->Call(&demo::Calculator_Stub::Add, request);
//     ...
//   }
//
// The same Client hosts services (Register), exports callback objects (Export), holds remote
// object references (Adopt -> Ref<Stub>), publishes and subscribes, answers Pings, and reconnects
// with backoff when the connection drops: calls in flight then fail UNAVAILABLE, hosted
// services are registered again and topics subscribed again, while Refs and exported objects
// that the broker saw die with the old connection. Calls made while not connected fail
// UNAVAILABLE at once (no queueing across connections).
//
// Flow control: calls beyond the broker's Welcome.max_in_flight are queued locally in order and
// sent as replies free slots (their deadlines run while queued); they are never failed
// RESOURCE_EXHAUSTED by the client. A request over Welcome.max_frame_bytes fails
// RESOURCE_EXHAUSTED locally. Writes are coalesced: frames made in one loop iteration go out in
// one Transport::Write().
//
// Threading: everything here is loop-thread only (WEFT_DCHECK). From other threads use
// BlockingClient. Callbacks (call completion, publications, servants, the state callback) run
// on the loop thread. The Client may be destroyed from inside any of its callbacks; destroying it
// completes pending calls with CANCELLED, closes the connection and destroys hosted servants.
#ifndef WEFT_CLIENTS_CPP_CLIENT_H_
#define WEFT_CLIENTS_CPP_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "clients/cpp/client_options.h"
#include "clients/cpp/controller.h"
#include "clients/cpp/internal/typed_call.h"
#include "clients/cpp/ref.h"
#include "clients/cpp/subscription.h"
#include "google/protobuf/message.h"
#include "google/protobuf/service.h"
#include "reactor/deferred.h"
#include "reactor/event_loop.h"
#include "reactor/tcp_listener.h"
#include "reactor/transport.h"
#include "weft/v1/object_ref.pb.h"

namespace weft::reactor {
class EpollEventLoop;
}  // namespace weft::reactor

namespace weft::clients {

namespace internal {
class ClientCore;
}  // namespace internal

enum class ConnectionState {
  kConnecting,    // First attempt, or a reconnect attempt, in progress.
  kReady,         // Welcome received; calls go out.
  kReconnecting,  // Dropped; waiting out the backoff before the next attempt.
  kClosed,        // Close() called, reconnection off or exhausted, or a permanent refusal.
};

// Called on every state change with the new state and the reason (OK for kReady; the error that
// dropped or refused the connection otherwise).
using StateCallback = absl::AnyInvocable<void(ConnectionState state, const absl::Status& reason)>;

// Makes one connection attempt: `done` runs exactly once from the loop with a transport or an
// error, unless the returned handle is destroyed first (which cancels the attempt). This is how
// tests inject in-memory transports.
using TransportConnector = absl::AnyInvocable<std::unique_ptr<reactor::ConnectRequest>(
    absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<reactor::Transport>>)> done)>;

// A generated stub's method, e.g. &demo::Calculator_Stub::Add.
template <typename Stub, typename Request, typename Response>
using StubMethod = void (Stub::*)(google::protobuf::RpcController*, const Request*, Response*,
                                  google::protobuf::Closure*);

class Client final {
 public:
  // Connects to `endpoint` ("tcp:host:port", "tls:host:port:ca=...", "unix:/path"), sends Hello
  // and fires with the client once Welcome arrives. Errors: INVALID_ARGUMENT (bad endpoint),
  // UNAVAILABLE / NOT_FOUND / DEADLINE_EXCEEDED (connect or handshake; bounded by
  // connect_timeout), or the broker's GoAway status (UNAUTHENTICATED for a bad token,
  // FAILED_PRECONDITION for an unsupported version). One attempt; reconnection applies only to an
  // established connection. Cancelling the Deferred abandons the attempt. Loop thread only.
  static reactor::Deferred<std::unique_ptr<Client>> Connect(reactor::EpollEventLoop& loop,
                                                            absl::string_view endpoint,
                                                            ClientOptions options);
  // The same over any EventLoop, with connection attempts made by `connector` (every reconnect
  // calls it again).
  static reactor::Deferred<std::unique_ptr<Client>> Connect(reactor::EventLoop& loop,
                                                            TransportConnector connector,
                                                            ClientOptions options);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // --- Calls ---

  // Calls a service method through its generated stub; fires with the response or the status
  // described at Controller::status(). Cancelling the Deferred sends Cancel (CANCELLED).
  template <typename Stub, typename Request, typename Response>
  reactor::Deferred<Response> Call(StubMethod<Stub, Request, Response> method,
                                   const Request& request, const CallOptions& options = {});
  // Calls a method of a remote object held as `target`.
  template <typename Stub, typename Request, typename Response>
  reactor::Deferred<Response> Call(const Ref<Stub>& target,
                                   StubMethod<Stub, Request, Response> method,
                                   const Request& request, const CallOptions& options = {});

  // A channel calling services by the method's full service name, for generated stubs:
  // `demo::Calculator_Stub stub(&client.channel()); stub.Add(&controller, &req, &resp, done);`.
  // `controller` must be a weft::clients::Controller and `done` must be set (both required,
  // WEFT_CHECK); request, response and controller must stay valid until `done` runs, on the
  // loop thread, possibly inside CallMethod (e.g. UNAVAILABLE when not connected).
  google::protobuf::RpcChannel& channel();

  // --- Remote objects (see ref.h) ---

  // Takes one held count of `ref` (received in a reply or an incoming call on this connection)
  // as a Ref. FAILED_PRECONDITION when this connection holds no unadopted count of the id.
  template <typename Stub>
  absl::StatusOr<Ref<Stub>> Adopt(const weft::v1::ObjectRef& ref);
  // Releases a received, unadopted count of `ref` without adopting it. FAILED_PRECONDITION as
  // for Adopt().
  absl::Status Release(const weft::v1::ObjectRef& ref);
  // Received counts not yet adopted or released, for `object_id`.
  uint64_t unadopted_count(uint64_t object_id) const;

  // Hosts `servant` as a callback object and returns the reference to put in a request:
  // {node "", object_id = a new local id, interface = its full service name}. Calls on it are
  // dispatched with a ServerContext. Each time the reference goes out in a request or reply the
  // client counts one; Releases from the broker drop counts, and at zero the servant is destroyed
  // (after the current callback). A servant never sent stays until the Client goes; one that was
  // sent dies with the connection (the broker kills it).
  weft::v1::ObjectRef Export(std::unique_ptr<google::protobuf::Service> servant);
  // Local ids currently exported (for tests and diagnostics).
  std::size_t exported_count() const;

  // --- Hosting services ---

  // Hosts `services` (non-null): sends Register with their full names and a FileDescriptorSet
  // of their files and all transitive imports, dependencies first. Fires with the broker's
  // answer (OK, INVALID_ARGUMENT, ALREADY_EXISTS, ...) or UNAVAILABLE. The services are kept
  // (and registered again after every reconnect) only if the broker accepted them.
  reactor::Deferred<void> Register(
      std::vector<std::unique_ptr<google::protobuf::Service>> services);

  // --- Publish / subscribe ---

  // Delivers publications on `topic` to `callback` until the handle is destroyed.
  std::unique_ptr<Subscription> Subscribe(absl::string_view topic, PublicationCallback callback);
  // Publishes `message` on `topic` (type URL "type.googleapis.com/<full name>"). UNAVAILABLE
  // when not connected; RESOURCE_EXHAUSTED over the broker's max_frame_bytes.
  absl::Status Publish(absl::string_view topic, const google::protobuf::Message& message);

  // --- Connection ---

  ConnectionState state() const;
  // The error behind the current state (OK when kReady).
  const absl::Status& last_error() const;
  // Welcome.node of the current (or last) connection.
  const std::string& node() const;
  void SetStateCallback(StateCallback callback);
  // Closes for good: pending calls fail CANCELLED, the connection closes, no reconnection.
  void Close();

  reactor::EventLoop& loop() const;

 private:
  friend class internal::HeldRef;
  friend class internal::ClientCore;
  friend class Subscription;

  explicit Client(std::unique_ptr<internal::ClientCore> core);

  // Starts an untyped call on the current connection; see channel().
  void StartCall(absl::string_view service, uint64_t object_id, uint64_t generation,
                 const google::protobuf::MethodDescriptor& method, Controller& controller,
                 const google::protobuf::Message& request, google::protobuf::Message& response,
                 google::protobuf::Closure& done);
  std::unique_ptr<internal::HeldRef> AdoptHeld(const weft::v1::ObjectRef& ref,
                                               absl::Status& status);

  std::unique_ptr<internal::ClientCore> core_;
};

// Template members.

template <typename Stub, typename Request, typename Response>
reactor::Deferred<Response> Client::Call(StubMethod<Stub, Request, Response> method,
                                         const Request& request, const CallOptions& options) {
  Stub stub(&channel());
  return internal::StartTypedCall<Response>(
      options, [&](Controller* c, Response* r, google::protobuf::Closure* d) {
        (stub.*method)(c, &request, r, d);
      });
}

template <typename Stub, typename Request, typename Response>
reactor::Deferred<Response> Client::Call(const Ref<Stub>& target,
                                         StubMethod<Stub, Request, Response> method,
                                         const Request& request, const CallOptions& options) {
  if (!target) {
    return reactor::Fail<Response>(absl::FailedPreconditionError("client: call on an empty Ref"));
  }
  return internal::StartTypedCall<Response>(
      options, [&](Controller* c, Response* r, google::protobuf::Closure* d) {
        (target.stub().*method)(c, &request, r, d);
      });
}

template <typename Stub>
absl::StatusOr<Ref<Stub>> Client::Adopt(const weft::v1::ObjectRef& ref) {
  absl::Status status;
  std::unique_ptr<internal::HeldRef> held = AdoptHeld(ref, status);
  if (!status.ok()) return status;
  return Ref<Stub>(std::move(held));
}

}  // namespace weft::clients

#endif  // WEFT_CLIENTS_CPP_CLIENT_H_
