// Walking the weft.v1.ObjectRef values inside any protobuf message.
//
// Part of //broker. The broker counts who holds which remote object by scanning every request
// and reply for ObjectRefs (in any field, at any depth, in repeated fields and map values), and
// rewrites them when a reference crosses between a client's and the broker's id spaces. Message
// types that cannot contain an ObjectRef are skipped without touching their fields, using
// DescriptorRegistry::ContainsObjectRef's per-type cache, so scanning a plain message costs one
// hash lookup.
//
// Not scanned: extensions, unknown fields and google.protobuf.Any payloads. An ObjectRef field
// is recognised by descriptor identity with the compiled-in weft.v1.ObjectRef. Threading: that
// of the registry (its cache fills on first use of a type).
#ifndef WEFT_BROKER_OBJECT_REFS_H_
#define WEFT_BROKER_OBJECT_REFS_H_

#include "absl/functional/function_ref.h"
#include "broker/descriptor_registry.h"
#include "google/protobuf/message.h"
#include "weft/v1/object_ref.pb.h"

namespace weft::broker {

// Calls `visit` once for every ObjectRef inside `message` (`message` itself included when it is
// an ObjectRef), depth first in field declaration order, repeated elements in order. Only present
// singular fields are visited. `visit` may modify the reference in place but must not add or
// remove fields of `message`. Message types built by the registry's factory (or generated) hold
// generated ObjectRefs and are visited in place; any other ObjectRef representation is copied
// into a weft::v1::ObjectRef, visited, and copied back. Synchronous: `visit` is not kept.
void ForEachObjectRef(google::protobuf::Message& message, const DescriptorRegistry& registry,
                      absl::FunctionRef<void(weft::v1::ObjectRef&)> visit);

// Read-only variant: same order and coverage; `visit` sees each reference once.
void ForEachObjectRef(const google::protobuf::Message& message, const DescriptorRegistry& registry,
                      absl::FunctionRef<void(const weft::v1::ObjectRef&)> visit);

}  // namespace weft::broker

#endif  // WEFT_BROKER_OBJECT_REFS_H_
