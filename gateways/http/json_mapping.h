// The proto3 JSON mapping (https://protobuf.dev/programming-guides/proto3/#json) for the HTTP
// gateway's JSON-RPC path, written for speed: RapidJSON's SAX reader parses a copy of the text in
// place and each event fills the message by reflection (no DOM); reflection writes a message
// straight to text.
//
// Part of //gateways/http. protobuf's own util::JsonStringToMessage/MessageToJsonString convert
// through the binary form and build google.protobuf.Type descriptions on every call, which made
// a JSON-RPC call cost 0.15x Twisted's CPU against a 0.1x target (docs/benchmarks.md). This
// mapping covers every message whose fields (transitively) are scalars, enums, strings, bytes,
// messages, repeated and map fields; a message that uses a well-known type
// (google.protobuf.Timestamp, Any, Struct, wrappers...) has special JSON forms, and the callers
// use protobuf's util for those (JsonMappingSupport).
//
// Reading accepts what protobuf's parser accepts for these types: proto or JSON field names,
// integers as numbers or strings, 64-bit integers beyond 2^53 as strings, "NaN"/"Infinity"/
// "-Infinity" for floats, "true"/"false" strings for bools, enums by name or number, bytes in
// standard or URL-safe base64, null as the default. It is stricter than protobuf 3.21 where the
// proto3 JSON spec does not allow what protobuf lets through: null inside an array, a single value
// for a repeated field, a bool (or bool map key) spelled other than true/false, strings that are
// not UTF-8, numbers in strings with white space around them, and a member given twice are
// refused. Writing matches MessageToJsonString with always_print_primitive_fields: JSON names,
// 64-bit integers as strings, enums by name, every field without presence printed, unset fields
// with presence left out, repeated and map fields printed even when empty; a negative zero is
// written -0.0, which (unlike protobuf's -0) reads back with its sign.
#ifndef WEFT_GATEWAYS_HTTP_JSON_MAPPING_H_
#define WEFT_GATEWAYS_HTTP_JSON_MAPPING_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace weft::gateways::http {

// Whether this mapping handles `type` and every message type under it. Cached per type; one
// cache per loop (not thread-safe).
class JsonMappingSupport {
 public:
  bool Supported(const google::protobuf::Descriptor& type);

 private:
  bool Compute(const google::protobuf::Descriptor& type, int depth);
  absl::flat_hash_map<const google::protobuf::Descriptor*, bool> cache_;
};

// Fills `out` (cleared first) from the JSON object `json`, using `buffer` (reused across calls)
// for the copy it parses in place. kInvalidArgument naming the field at fault: not JSON, not
// UTF-8, not an object, an unknown field, a value of the wrong type or out of range, two members
// of one oneof; kResourceExhausted past 64 levels of nesting (the parse stops there, so deep
// input never deepens the stack).
absl::Status JsonToMessage(absl::string_view json, google::protobuf::Message& out,
                           std::string& buffer);

// The field of `type` called `name` by its proto name, else by its JSON (lowerCamel) name; null
// when none. No allocation. Shared with the REST routes' path, query and body names.
const google::protobuf::FieldDescriptor* FindFieldByProtoOrJsonName(
    const google::protobuf::Descriptor& type, absl::string_view name);

// Appends `message` as a JSON object to `out`.
void MessageToJson(const google::protobuf::Message& message, std::string& out);

}  // namespace weft::gateways::http

#endif  // WEFT_GATEWAYS_HTTP_JSON_MAPPING_H_
