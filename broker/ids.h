// Identifiers shared by the broker's registries and router: object ids, reference holders and
// connections.
//
// Part of //broker (header-only, no dependencies beyond Abseil). Plain values: cheap to copy,
// hashable with absl::Hash, comparable with ==.
#ifndef WEFT_BROKER_IDS_H_
#define WEFT_BROKER_IDS_H_

#include <cstdint>
#include <utility>

namespace weft::broker {

// A broker-assigned object id (weft.v1.ObjectRef.object_id). Never 0 (0 means "no object" in
// weft.v1.Call) and never reused within a broker's lifetime.
using ObjectId = uint64_t;

// Who holds object references: a wire connection or an in-process holder (an owner servant, a
// gateway session). Opaque to the registries; the broker hands them out and never reuses one.
struct HolderId {
  uint64_t value = 0;

  friend bool operator==(const HolderId&, const HolderId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const HolderId& id) {
    return H::combine(std::move(h), id.value);
  }
};

// A connection, named by the index of the event loop that owns it and its id on that loop.
struct ConnectionRef {
  uint32_t loop = 0;
  uint64_t connection = 0;

  friend bool operator==(const ConnectionRef&, const ConnectionRef&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const ConnectionRef& ref) {
    return H::combine(std::move(h), ref.loop, ref.connection);
  }
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_IDS_H_
