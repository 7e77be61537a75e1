// Encoders for JSON-RPC 2.0 responses (spec §5) and their batch framing (spec §6).
//
// Part of //protocols/jsonrpc (sans-I/O). Each function appends compact JSON to `out`, members
// in the spec's order: {"jsonrpc":"2.0","result":...,"id":...}. Raw JSON arguments (`id`,
// `result`, ErrorObject::data) are written as given: `id` comes from the decoder and `result`
// from protobuf's MessageToJsonString, both valid JSON already. Text arguments (error messages)
// are escaped, and invalid UTF-8 in them is replaced, so the output is always valid JSON.
// Nothing here allocates beyond growing `out`.
#ifndef WEFT_PROTOCOLS_JSONRPC_JSONRPC_ENCODER_H_
#define WEFT_PROTOCOLS_JSONRPC_JSONRPC_ENCODER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "protocols/jsonrpc/jsonrpc_types.h"

namespace weft::protocols::jsonrpc {

// {"jsonrpc":"2.0","result":<result>,"id":<id>}; `result` and `id` are raw JSON.
void EncodeResult(absl::string_view id, absl::string_view result, std::string& out);

// {"jsonrpc":"2.0","error":{"code":..,"message":"..","data":<data>},"id":<id>}; `data` only
// when not empty. `id` is raw JSON (`null` when the request's id is unknown).
void EncodeError(absl::string_view id, const ErrorObject& error, std::string& out);

// The codec's answer to `error`, with the standard message for its code: the spec's exact
// text, e.g. {"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}.
// Appends nothing when error.notification.
void EncodeCallError(const CallError& error, std::string& out);

// `text` as a JSON string literal, quotes included. `"`, `\` and control characters are
// escaped (\n, \t... or \u00XX); valid UTF-8 is copied as is; each byte that is not part of a
// valid UTF-8 sequence (RFC 3629: no overlongs, surrogates or code points past U+10FFFF)
// becomes U+FFFD.
void EncodeString(absl::string_view text, std::string& out);

// The spec's message for the codes of spec §5.1 and the kServerError* constants of
// jsonrpc_types.h ("Parse error", "Invalid Request", "Deadline exceeded"...); "Server error"
// for the rest of -32099..-32000 and "Error" for any other code.
absl::string_view StandardErrorMessage(int32_t code);

// Writes the body answering one ParsedRequest (spec §6): a single request's response alone,
// a batch's responses as one array in the order they are added, and nothing at all when there
// is nothing to answer (notifications only), for which the HTTP gateway sends 204 No Content,
// since the spec forbids an empty array. Add responses in request order; a gateway whose calls
// finish out of order encodes each into its own string and adds them with AddEncoded() once
// all are done.
class ResponseWriter {
 public:
  // `out` must outlive the writer. `batch` is ParsedRequest::batch.
  ResponseWriter(bool batch, std::string& out) : batch_(batch), out_(out) {}

  ResponseWriter(const ResponseWriter&) = delete;
  ResponseWriter& operator=(const ResponseWriter&) = delete;

  void AddResult(absl::string_view id, absl::string_view result);
  void AddError(absl::string_view id, const ErrorObject& error);
  // Nothing for a notification.
  void AddCallError(const CallError& error);
  // One response already encoded by EncodeResult() or EncodeError().
  void AddEncoded(absl::string_view response);

  // Closes the batch array. Returns how many responses were written; 0 means nothing was
  // appended to `out` and the reply has no body. Call once, after the last Add.
  std::size_t Finish();

 private:
  // Writes '[' before a batch's first response and ',' before the others.
  void BeginResponse();

  const bool batch_;
  std::string& out_;
  std::size_t count_ = 0;
};

}  // namespace weft::protocols::jsonrpc

#endif  // WEFT_PROTOCOLS_JSONRPC_JSONRPC_ENCODER_H_
