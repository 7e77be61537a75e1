// Plain structs for JSON-RPC 2.0 (https://www.jsonrpc.org/specification): a parsed call, the
// errors the codec answers itself, a parsed body (one request or a batch) and the error codes.
//
// Part of //protocols/jsonrpc (sans-I/O). JSON values the gateway passes on (`params`, `id`)
// stay raw JSON text, views into the body the decoder was given, so nothing is copied or
// re-serialized: `params` goes straight to protobuf's JsonStringToMessage and `id` is echoed
// byte for byte, which keeps even a 30-digit numeric id exact.
#ifndef WEFT_PROTOCOLS_JSONRPC_JSONRPC_TYPES_H_
#define WEFT_PROTOCOLS_JSONRPC_JSONRPC_TYPES_H_

#include <cstdint>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace weft::protocols::jsonrpc {

// Error codes, spec §5.1. The codec itself answers with kParseError, kInvalidRequest and
// kMethodNotFound (for the reserved "rpc." names); the gateway uses the rest.
inline constexpr int32_t kParseError = -32700;      // Invalid JSON.
inline constexpr int32_t kInvalidRequest = -32600;  // Not a valid Request object, or a limit.
inline constexpr int32_t kMethodNotFound = -32601;
inline constexpr int32_t kInvalidParams = -32602;
inline constexpr int32_t kInternalError = -32603;

// -32099 to -32000 are "reserved for implementation-defined server-errors". Weft's, each named
// for the absl::StatusCode a broker call fails with:
inline constexpr int32_t kServerErrorFirst = -32099;
inline constexpr int32_t kServerErrorLast = -32000;
inline constexpr int32_t kDeadlineExceededError = -32000;
inline constexpr int32_t kUnavailableError = -32001;
inline constexpr int32_t kResourceExhaustedError = -32002;
inline constexpr int32_t kUnauthenticatedError = -32003;
inline constexpr int32_t kPermissionDeniedError = -32004;
inline constexpr int32_t kCancelledError = -32005;

// How a call passes its parameters (spec §4.2).
enum class ParamsKind : uint8_t {
  kNone,    // No "params" member.
  kObject,  // By name.
  kArray,   // By position.
};

// A valid Request object (spec §4): a call, or a notification when it has no "id". Views point
// into the body given to JsonRpcDecoder::Parse() or into the decoder (`method`): valid until
// the decoder's next Parse() or destruction, and while that body lives.
struct Call {
  // Unescaped; never longer than JsonRpcLimits::max_method_bytes, never starting with "rpc.".
  absl::string_view method;
  ParamsKind params_kind = ParamsKind::kNone;
  // The raw JSON text of "params" (`{...}` or `[...]`); empty for kNone.
  absl::string_view params;
  // kArray only: the raw JSON text of each element of "params", in order, without whitespace.
  absl::Span<const absl::string_view> positional;
  // The raw JSON text of "id": a string with its quotes, a number, or `null`, to be echoed as is
  // in the response. Empty exactly when `notification`.
  absl::string_view id;
  // No "id" member: the server must not reply, not even with an error (spec §4.1).
  bool notification = false;
};

// An entry the codec answers itself, or the whole body when it is not valid JSON, not a request
// or over a limit.
struct CallError {
  // kParseError, kInvalidRequest or kMethodNotFound.
  int32_t code = kInvalidRequest;
  // The raw JSON id to answer with: the Request object's id when it could be read, else `null`.
  absl::string_view id = "null";
  // Only with kMethodNotFound: the request was a well-formed notification, so nothing is sent.
  // Invalid Request objects are always answered, id or not (spec §7 examples).
  bool notification = false;
  // Why, for logs and metrics (never sent): kInvalidArgument (malformed), kResourceExhausted (a
  // limit) or kNotFound (a reserved method), with a "jsonrpc: ..." message.
  absl::Status status;
};

using Entry = std::variant<Call, CallError>;

// One parsed HTTP body.
struct ParsedRequest {
  // The body was a non-empty array: the responses go out as one array (spec §6). An empty
  // array is not a batch; it gets a single Invalid Request error.
  bool batch = false;
  // In request order; at least one. Exactly one unless `batch`.
  std::vector<Entry> entries;
};

// An Error object (spec §5.1) for the encoder.
struct ErrorObject {
  int32_t code = kInternalError;
  // Any bytes; the encoder escapes them and replaces invalid UTF-8.
  absl::string_view message;
  // Raw JSON text of "data", written as is; empty to omit the member.
  absl::string_view data;
};

}  // namespace weft::protocols::jsonrpc

#endif  // WEFT_PROTOCOLS_JSONRPC_JSONRPC_TYPES_H_
