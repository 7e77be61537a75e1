// JsonRpcDecoder: parses one JSON-RPC 2.0 body (a Request object or a batch) into calls to
// dispatch and the errors the codec answers itself.
//
// Part of //protocols/jsonrpc (sans-I/O: bytes in, calls out). JSON-RPC over HTTP carries one
// complete JSON text per request body, which the HTTP codec has already gathered, so this
// decoder takes the whole body in one Parse() instead of the Feed()/Next() pair other decoders
// use: there is nothing to resume between chunks, and a JSON text can only be judged valid at
// its end anyway (spec §7: a batch with a syntax error anywhere is one -32700, with no calls).
//
// The JSON grammar, strings, escapes and UTF-8 are checked by RapidJSON's SAX reader, reading a
// reused copy of the body in place; the envelope rules are checked here as the events arrive,
// recording where `params`, its elements and `id` lie in the body instead of building a DOM.
// A session owns one decoder and reuses it, so a steady stream of requests parses without
// allocating.
#ifndef WEFT_PROTOCOLS_JSONRPC_JSONRPC_DECODER_H_
#define WEFT_PROTOCOLS_JSONRPC_JSONRPC_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "protocols/jsonrpc/jsonrpc_types.h"
#include "protocols/jsonrpc/limits.h"

namespace weft::protocols::jsonrpc {

// One per session, reused for each body; not thread-safe (a session's loop thread only).
class JsonRpcDecoder {
 public:
  explicit JsonRpcDecoder(const JsonRpcLimits& limits = JsonRpcLimits{}) : limits_(limits) {}

  JsonRpcDecoder(const JsonRpcDecoder&) = delete;
  JsonRpcDecoder& operator=(const JsonRpcDecoder&) = delete;

  // Parses one whole body. Never fails as such: what the spec answers with an error becomes a
  // CallError entry (see ParsedRequest and docs/jsonrpc.md for every rule). The result and all
  // views in it live in the decoder and in `body`: they are valid until the next Parse() and
  // while `body` lives. `body` is only read; a UTF-8 byte order mark in front is skipped.
  const ParsedRequest& Parse(absl::string_view body);

 private:
  class Handler;  // RapidJSON's SAX handler, in the .cc file.

  // Where one Call's positional params lie in `elements_`.
  struct PositionalRange {
    std::size_t entry = 0;
    std::size_t begin = 0;
    std::size_t count = 0;
  };

  // Forgets the last result; frees buffers a much larger earlier body left behind.
  void Reset(std::size_t body_size);
  // Makes `status` the answer to the whole body: one error entry, id null, not a batch.
  void FailBody(int32_t code, absl::Status status);
  // Points each Call's `positional` into `elements_`, which may have moved while it grew.
  void LinkPositional();

  const JsonRpcLimits limits_;
  std::string buffer_;  // The body plus NUL padding, parsed (and unescaped) in place.
  ParsedRequest request_;
  std::vector<absl::string_view> elements_;  // Positional params of all calls, in order.
  std::vector<PositionalRange> positional_;
};

}  // namespace weft::protocols::jsonrpc

#endif  // WEFT_PROTOCOLS_JSONRPC_JSONRPC_DECODER_H_
