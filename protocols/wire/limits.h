// Size and count caps of the native wire protocol (docs/wire.md, "Limits").
//
// Part of //protocols/wire. A peer that exceeds one gets RESOURCE_EXHAUSTED in a GoAway and the
// connection closes; nothing it sent past the limit is buffered.
#ifndef WEFT_PROTOCOLS_WIRE_LIMITS_H_
#define WEFT_PROTOCOLS_WIRE_LIMITS_H_

#include <cstdint>

namespace weft::protocols::wire {

struct WireLimits {
  // Largest frame body (the value of the 4-byte length prefix). docs/wire.md §Framing.
  uint32_t max_frame_bytes = 4 * 1024 * 1024;
  // Longest service, method, topic, client name or metadata key/value.
  uint32_t max_name_bytes = 1024;
  // Most metadata entries on one Call.
  uint32_t max_metadata_entries = 64;
  // Most services in one Register and object ids in one Release.
  uint32_t max_list_entries = 4096;
};

}  // namespace weft::protocols::wire

#endif  // WEFT_PROTOCOLS_WIRE_LIMITS_H_
