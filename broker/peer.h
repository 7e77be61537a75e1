// The broker's side of a connected peer: what a gateway session hands the broker (incoming
// calls) and what the broker asks of the session (replies, calls to objects and services the
// peer hosts, releases, publications).
//
// Part of //broker. Protocol-neutral: the native wire gateway (gateways/wire) maps these to and
// from frames; other gateways may implement the same callbacks. Payloads are serialized protobuf
// messages of the method's types; views are valid only during the call that passes them.
#ifndef WEFT_BROKER_PEER_H_
#define WEFT_BROKER_PEER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/message.h"

namespace weft::broker {

// A message body: either a message object, serialized by whoever writes it out (the hot path
// serializes a servant's response straight into the connection's output), or bytes.
class Payload {
 public:
  Payload() = default;
  explicit Payload(const google::protobuf::Message& message)
      : message_(&message), size_(message.ByteSizeLong()) {}
  explicit Payload(absl::string_view bytes) : bytes_(bytes), size_(bytes.size()) {}

  std::size_t size() const { return size_; }
  // Writes exactly size() bytes at `out`.
  void SerializeTo(char* out) const;
  // Appends the bytes to `out`.
  void AppendTo(std::string& out) const;
  // The message, when the payload is one (not bytes): a gateway that would parse the bytes back
  // into a message of the same type can read it instead. Valid for the payload's lifetime.
  const google::protobuf::Message* message() const { return message_; }

 private:
  const google::protobuf::Message* message_ = nullptr;
  absl::string_view bytes_;
  std::size_t size_ = 0;
};

using MetadataView = absl::Span<const std::pair<absl::string_view, absl::string_view>>;

// A call a peer makes (the wire protocol's Call frame).
struct IncomingCall {
  uint64_t call_id = 0;
  // Exactly one of `service` and `object_id` is set.
  absl::string_view service;
  uint64_t object_id = 0;
  absl::string_view method;
  absl::string_view payload;
  // > 0: the caller's deadline, relative to now.
  int64_t timeout_micros = 0;
  MetadataView metadata;
  bool one_way = false;
};

// A call the broker asks a peer to run, on a service it registered or an object it hosts (then
// `object_id` is the peer's own id for it).
struct OutgoingCall {
  uint64_t call_id = 0;
  absl::string_view service;
  uint64_t object_id = 0;
  absl::string_view method;
  Payload payload;
  int64_t timeout_micros = 0;
  MetadataView metadata;
  bool one_way = false;
};

// Implemented by a connection's session; every method runs on the connection's loop, possibly
// re-entrantly from inside a BrokerShard call the session made. These callbacks must not call
// the BrokerShard themselves (queue the bytes, as WireSession does): the shard may be in the
// middle of the call that produced them.
class PeerCallbacks {
 public:
  PeerCallbacks() = default;
  PeerCallbacks(const PeerCallbacks&) = delete;
  PeerCallbacks& operator=(const PeerCallbacks&) = delete;
  virtual ~PeerCallbacks() = default;

  // The answer to the peer's call `call_id` (exactly once per call that is not one-way).
  // `payload` is empty unless `status` is OK.
  virtual void OnReply(uint64_t call_id, const absl::Status& status, const Payload& payload) = 0;
  // Run a call on something the peer hosts; answer with BrokerShard::Reply() unless one-way.
  virtual void OnCall(const OutgoingCall& call) = 0;
  // The broker gave up on call `call_id` it made to the peer (its caller cancelled or timed out).
  virtual void OnCancel(uint64_t call_id) = 0;
  // The broker dropped references to objects the peer hosts: one count per listed id (the peer's
  // own ids; an id may repeat).
  virtual void OnRelease(absl::Span<const uint64_t> object_ids) = 0;
  // A publication on a topic the peer subscribed to.
  virtual void OnPublish(absl::string_view topic, absl::string_view payload,
                         absl::string_view type_url) = 0;
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_PEER_H_
