// Size and count caps of the JSON-RPC 2.0 codec (docs/jsonrpc.md, "Limits").
//
// Part of //protocols/jsonrpc. JSON-RPC 2.0 sets no limits of its own; RFC 8259 §9 lets a JSON
// parser "set limits on the size of texts that it accepts", "on the maximum depth of nesting"
// and "on the length and character contents of strings". A body that breaks a limit is answered
// with one -32600 Invalid Request (id null, status kResourceExhausted), never a batch: the decoder
// stops reading at the first violation, so it has no entries to answer one by one. Only an
// over-long method name is answered per entry, like any other invalid Request object.
#ifndef WEFT_PROTOCOLS_JSONRPC_LIMITS_H_
#define WEFT_PROTOCOLS_JSONRPC_LIMITS_H_

#include <cstdint>

namespace weft::protocols::jsonrpc {

struct JsonRpcLimits {
  // Largest body (one HTTP request body), checked before any parsing. Matches the native wire
  // protocol's largest frame (WireLimits::max_frame_bytes).
  uint32_t max_request_bytes = 4 * 1024 * 1024;
  // Most arrays and objects open at once, counting the batch array and the Request object:
  // `{"params":{"a":[1]}}` is 3 deep. Deeper text is refused before it is read further, so the
  // recursive parser's stack stays bounded. protobuf's JSON parser (which reads `params`)
  // refuses more than 100 levels on its own.
  uint32_t max_depth = 64;
  // Most entries in one batch (spec §6 "Batch").
  uint32_t max_batch_entries = 128;
  // Longest method name, in bytes after unescaping (a protobuf full name: package, service and
  // method joined by dots, e.g. "demo.Calculator.Add").
  uint32_t max_method_bytes = 256;
};

}  // namespace weft::protocols::jsonrpc

#endif  // WEFT_PROTOCOLS_JSONRPC_LIMITS_H_
