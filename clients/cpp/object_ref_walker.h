// ObjectRefWalker: finds the weft.v1.ObjectRef values inside any protobuf message.
//
// Part of //clients/cpp (internal). The client counts references it receives (replies, incoming
// calls) and references to its own exported objects it sends (requests, replies), as
// docs/wire.md "Object references" requires, by walking each message with reflection. Types
// that cannot contain an ObjectRef are skipped after one cached lookup. Not scanned: extensions,
// unknown fields and google.protobuf.Any payloads. Not thread-safe (the cache); one per client.
#ifndef WEFT_CLIENTS_CPP_OBJECT_REF_WALKER_H_
#define WEFT_CLIENTS_CPP_OBJECT_REF_WALKER_H_

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "weft/v1/object_ref.pb.h"

namespace weft::clients::internal {

class ObjectRefWalker {
 public:
  ObjectRefWalker() = default;
  ObjectRefWalker(const ObjectRefWalker&) = delete;
  ObjectRefWalker& operator=(const ObjectRefWalker&) = delete;

  // Calls `visit` for every ObjectRef in `message` (itself included), depth first, in field
  // order; only present singular fields. Synchronous.
  void ForEach(const google::protobuf::Message& message,
               absl::FunctionRef<void(const weft::v1::ObjectRef&)> visit);

  // True when a message of `type` can contain an ObjectRef at any depth. Cached.
  bool MayContain(const google::protobuf::Descriptor& type);

 private:
  bool Compute(const google::protobuf::Descriptor& root);

  absl::flat_hash_map<const google::protobuf::Descriptor*, bool> cache_;
};

}  // namespace weft::clients::internal

#endif  // WEFT_CLIENTS_CPP_OBJECT_REF_WALKER_H_
