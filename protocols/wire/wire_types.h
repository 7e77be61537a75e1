// Plain structs for the frames of the native wire protocol (idl/weft/v1/wire.proto).
//
// Part of //protocols/wire, which never includes generated proto code: these mirror the
// protobuf messages field for field, with strings and payloads as views into the decoder's
// input, so decoding a frame copies nothing. A view is valid until the next Feed() or Next().
#ifndef WEFT_PROTOCOLS_WIRE_WIRE_TYPES_H_
#define WEFT_PROTOCOLS_WIRE_WIRE_TYPES_H_

#include <cstdint>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"

namespace weft::protocols::wire {

// Field numbers of Frame.kind in wire.proto.
enum class FrameKind : uint32_t {
  kHello = 1,
  kWelcome = 2,
  kRegister = 3,
  kCall = 4,
  kReply = 5,
  kCancel = 6,
  kRelease = 7,
  kPublish = 8,
  kSubscribe = 9,
  kPing = 10,
  kPong = 11,
  kGoAway = 12,
};

struct Hello {
  uint32_t version = 0;
  absl::string_view client_name;
  absl::string_view token;
};

struct Welcome {
  uint32_t version = 0;
  absl::string_view node;
  uint32_t max_frame_bytes = 0;
  uint32_t max_in_flight = 0;
};

struct Register {
  uint64_t call_id = 0;
  std::vector<absl::string_view> services;
  // A serialized google.protobuf.FileDescriptorSet.
  absl::string_view descriptors;
};

struct Call {
  uint64_t call_id = 0;
  absl::string_view service;
  uint64_t object_id = 0;
  absl::string_view method;
  absl::string_view payload;
  int64_t timeout_micros = 0;
  std::vector<std::pair<absl::string_view, absl::string_view>> metadata;
  bool one_way = false;
};

struct Reply {
  uint64_t call_id = 0;
  int32_t status_code = 0;  // gRPC code; 0 is OK.
  absl::string_view status_message;
  absl::string_view payload;
};

struct Cancel {
  uint64_t call_id = 0;
};

struct Release {
  std::vector<uint64_t> object_ids;
};

struct Publish {
  absl::string_view topic;
  absl::string_view payload;
  absl::string_view type_url;
};

struct Subscribe {
  absl::string_view topic;
  bool unsubscribe = false;
};

struct Ping {
  uint64_t nonce = 0;
};

struct Pong {
  uint64_t nonce = 0;
};

struct GoAway {
  int32_t status_code = 0;
  absl::string_view status_message;
};

using Frame = std::variant<Hello, Welcome, Register, Call, Reply, Cancel, Release, Publish,
                           Subscribe, Ping, Pong, GoAway>;

}  // namespace weft::protocols::wire

#endif  // WEFT_PROTOCOLS_WIRE_WIRE_TYPES_H_
