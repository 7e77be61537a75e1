// Ref<Stub>: an owned reference to a remote object, with a typed stub that calls it.
//
// Part of //clients/cpp:client (included by client.h). docs/wire.md "Object references": every
// ObjectRef this connection receives (in a Reply or an incoming Call) is held once by the
// connection until released. Client::Adopt() turns one such receipt into a Ref; destroying the
// Ref releases it (Release frames are batched, one per loop iteration, ids repeated per count).
//
//   absl::StatusOr<Ref<demo::CounterObject_Stub>> counter =
//       client.Adopt<demo::CounterObject_Stub>(created.counter());
//   co_await client.Call(*counter, &demo::CounterObject_Stub::Increment, request);
//
// A Ref is only valid for the connection it was received on: after a reconnect its calls fail
// UNAVAILABLE and destroying it sends nothing (the broker released it when the old connection
// closed). A Ref may outlive its Client; it is then detached and does nothing.
//
// Threading: loop thread of its Client only (see BlockingRef for other threads).
#ifndef WEFT_CLIENTS_CPP_REF_H_
#define WEFT_CLIENTS_CPP_REF_H_

#include <cstdint>
#include <memory>
#include <utility>

#include "google/protobuf/service.h"
#include "weft/v1/object_ref.pb.h"

namespace weft::clients {

class Client;

namespace internal {

class ClientCore;

// The untyped part of a Ref: the channel routing calls by object id, and the count it releases.
class HeldRef final : public google::protobuf::RpcChannel {
 public:
  HeldRef(Client& client, weft::v1::ObjectRef ref, uint64_t generation);
  // Releases one count of the reference unless detached or from an older connection.
  ~HeldRef() override;

  // google::protobuf::RpcChannel
  void CallMethod(const google::protobuf::MethodDescriptor* method,
                  google::protobuf::RpcController* controller,
                  const google::protobuf::Message* request, google::protobuf::Message* response,
                  google::protobuf::Closure* done) override;

  const weft::v1::ObjectRef& ref() const { return ref_; }
  uint64_t generation() const { return generation_; }

 private:
  friend class weft::clients::Client;
  friend class ClientCore;

  Client* client_;  // Null once the client is gone.
  weft::v1::ObjectRef ref_;
  uint64_t generation_;
};

}  // namespace internal

template <typename Stub>
class Ref {
 public:
  // An empty reference; operator bool is false.
  Ref() = default;
  Ref(Ref&&) noexcept = default;
  Ref& operator=(Ref&&) noexcept = default;
  ~Ref() { Reset(); }

  explicit operator bool() const { return held_ != nullptr; }

  // A stub whose calls go to the object. Non-empty references only.
  Stub& stub() const { return *stub_; }
  google::protobuf::RpcChannel& channel() const { return *held_; }
  const weft::v1::ObjectRef& object_ref() const { return held_->ref(); }
  uint64_t object_id() const { return held_->ref().object_id(); }

  // Releases the reference now (as the destructor does) and empties this.
  void Reset() {
    stub_.reset();
    held_.reset();
  }

 private:
  friend class Client;

  explicit Ref(std::unique_ptr<internal::HeldRef> held)
      : held_(std::move(held)), stub_(std::make_unique<Stub>(held_.get())) {}

  std::unique_ptr<internal::HeldRef> held_;
  std::unique_ptr<Stub> stub_;  // Uses *held_; destroyed first.
};

}  // namespace weft::clients

#endif  // WEFT_CLIENTS_CPP_REF_H_
