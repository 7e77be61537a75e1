// FrameEquals() and FrameToString(): compare and print decoded wire frames field by field.
//
// Part of //protocols/wire/testing (testonly). wire_types.h keeps its frames plain structs of
// views without operator==, so the codec tests, the protobuf cross-check and the fuzz target
// share this one comparison. Views are compared by content, never by address.
#ifndef WEFT_PROTOCOLS_WIRE_TESTING_FRAME_EQUAL_H_
#define WEFT_PROTOCOLS_WIRE_TESTING_FRAME_EQUAL_H_

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "protocols/wire/wire_types.h"

namespace weft::protocols::wire::testing {
namespace frame_equal_internal {

inline auto Fields(const Hello& f) { return std::tie(f.version, f.client_name, f.token); }
inline auto Fields(const Welcome& f) {
  return std::tie(f.version, f.node, f.max_frame_bytes, f.max_in_flight);
}
inline auto Fields(const Register& f) { return std::tie(f.call_id, f.services, f.descriptors); }
inline auto Fields(const Call& f) {
  return std::tie(f.call_id, f.service, f.object_id, f.method, f.payload, f.timeout_micros,
                  f.metadata, f.one_way);
}
inline auto Fields(const Reply& f) {
  return std::tie(f.call_id, f.status_code, f.status_message, f.payload);
}
inline auto Fields(const Cancel& f) { return std::tie(f.call_id); }
inline auto Fields(const Release& f) { return std::tie(f.object_ids); }
inline auto Fields(const Publish& f) { return std::tie(f.topic, f.payload, f.type_url); }
inline auto Fields(const Subscribe& f) { return std::tie(f.topic, f.unsubscribe); }
inline auto Fields(const Ping& f) { return std::tie(f.nonce); }
inline auto Fields(const Pong& f) { return std::tie(f.nonce); }
inline auto Fields(const GoAway& f) { return std::tie(f.status_code, f.status_message); }

inline constexpr const char* kKindNames[] = {"hello",     "welcome", "register", "call",
                                             "reply",     "cancel",  "release",  "publish",
                                             "subscribe", "ping",    "pong",     "go_away"};

template <typename T>
void AppendValue(const T& value, std::string& out) {
  if constexpr (std::is_same_v<T, absl::string_view>) {
    absl::StrAppend(&out, "\"", absl::CHexEscape(value), "\"");
  } else if constexpr (std::is_same_v<T, bool>) {
    out += value ? "true" : "false";
  } else if constexpr (std::is_integral_v<T>) {
    absl::StrAppend(&out, value);
  } else if constexpr (std::is_same_v<T, std::pair<absl::string_view, absl::string_view>>) {
    AppendValue(value.first, out);
    out += ":";
    AppendValue(value.second, out);
  } else {  // A std::vector of one of the above.
    out += "[";
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (i != 0) out += ", ";
      AppendValue(value[i], out);
    }
    out += "]";
  }
}

}  // namespace frame_equal_internal

// True when `a` and `b` are the same kind of frame with equal fields (views by content).
inline bool FrameEquals(const Frame& a, const Frame& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        return frame_equal_internal::Fields(value) == frame_equal_internal::Fields(std::get<T>(b));
      },
      a);
}

// A one-line dump for test failure messages: `call{7, "svc", 0, ...}` (fields in proto order).
inline std::string FrameToString(const Frame& frame) {
  std::string out = absl::StrCat(frame_equal_internal::kKindNames[frame.index()], "{");
  std::visit(
      [&](const auto& value) {
        bool first = true;
        std::apply(
            [&](const auto&... field) {
              ((out += first ? "" : ", ", first = false,
                frame_equal_internal::AppendValue(field, out)),
               ...);
            },
            frame_equal_internal::Fields(value));
      },
      frame);
  out += "}";
  return out;
}

}  // namespace weft::protocols::wire::testing

#endif  // WEFT_PROTOCOLS_WIRE_TESTING_FRAME_EQUAL_H_
