// Fuzz target for the JSON-RPC 2.0 codec (protocols/jsonrpc): JsonRpcDecoder::Parse() and,
// through the responses it leads to, every encoder.
//
// The input is one HTTP body. Properties:
//  - Parsing never crashes, and yields at least one entry; exactly one unless it is a batch, and
//    a batch never has more entries than the limit.
//  - Each CallError is well-formed: kParseError and the limits answer the whole body (one entry,
//    id null); the status code matches the JSON-RPC code (kInvalidArgument or
//    kResourceExhausted for -32600 and -32700, kNotFound for -32601) and its message starts
//    "jsonrpc: "; only -32601 may be silent; the id is `null` or a valid string or number.
//  - Each Call obeys the envelope rules: method within the limit and not "rpc."; id empty
//    exactly for notifications, else a string, number or null; params, each positional element
//    and the id are views into the body and valid JSON of the right type, the elements being
//    exactly those of the params array.
//  - An oracle (ParseJsonTree(): RapidJSON's reader building a plain tree) agrees
//    on validity: what it refuses is a parse error (or a limit reached first), and what it
//    accepts is not, with the same number of batch entries and, for each Call, the same method
//    and notification flag.
//  - Parsing the same body again with a decoder that parsed another body in between gives the
//    same result.
//  - The response body a gateway would build with ResponseWriter (results, errors with the
//    method as message and params as data, the codec's own errors) is valid UTF-8 JSON that
//    the oracle parses back: one well-formed response object per answered entry, in an array
//    exactly for a batch, nothing when nothing is answered. EncodeString() of the input is a
//    JSON string, which decodes back to the input when that is valid UTF-8.
//  - The same holds under tight limits.

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "protocols/jsonrpc/jsonrpc_decoder.h"
#include "protocols/jsonrpc/jsonrpc_encoder.h"
#include "protocols/jsonrpc/jsonrpc_types.h"
#include "protocols/jsonrpc/limits.h"
#include "protocols/jsonrpc/testing/json_tree.h"
#include "tests/fuzz/fuzz_check.h"

namespace weft::protocols::jsonrpc {
namespace {

using ::weft::protocols::jsonrpc::testing::JsonTree;
using ::weft::protocols::jsonrpc::testing::JsonVerdict;

// An independent parse to check the codec against (protocols/jsonrpc/testing/json_tree.h).
JsonVerdict ParseJson(absl::string_view json, JsonTree& out) {
  return ::weft::protocols::jsonrpc::testing::ParseJsonTree(json, out);
}

bool Inside(absl::string_view part, absl::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// A copy of everything a ParsedRequest says, to compare two parses.
std::string Snapshot(const ParsedRequest& request) {
  std::string out = request.batch ? "batch" : "single";
  for (const Entry& entry : request.entries) {
    if (const CallError* error = std::get_if<CallError>(&entry)) {
      absl::StrAppend(&out, "|error ", error->code, " ", error->id, " ", error->notification, " ",
                      error->status.ToString());
      continue;
    }
    const Call& call = std::get<Call>(entry);
    absl::StrAppend(&out, "|call ", absl::CEscape(call.method), " ",
                    static_cast<int>(call.params_kind), " ", call.params, " ", call.id, " ",
                    call.notification);
    for (absl::string_view element : call.positional) absl::StrAppend(&out, " <", element, ">");
  }
  return out;
}

void CheckId(absl::string_view id) {
  JsonTree value;
  WEFT_FUZZ_CHECK(ParseJson(id, value) == JsonVerdict::kValid,
                  absl::StrCat("id ", absl::CEscape(id)));
  WEFT_FUZZ_CHECK(value.type == JsonTree::Type::kString || value.type == JsonTree::Type::kNumber ||
                      value.type == JsonTree::Type::kNull,
                  absl::CEscape(id));
}

void CheckError(const CallError& error, const ParsedRequest& request) {
  const absl::StatusCode status = error.status.code();
  WEFT_FUZZ_CHECK(absl::StartsWith(error.status.message(), "jsonrpc: "), error.status.ToString());
  switch (error.code) {
    case kParseError:
      WEFT_FUZZ_CHECK(status == absl::StatusCode::kInvalidArgument, error.status.ToString());
      break;
    case kInvalidRequest:
      WEFT_FUZZ_CHECK(status == absl::StatusCode::kInvalidArgument ||
                          status == absl::StatusCode::kResourceExhausted,
                      error.status.ToString());
      break;
    case kMethodNotFound:
      WEFT_FUZZ_CHECK(status == absl::StatusCode::kNotFound, error.status.ToString());
      break;
    default:
      WEFT_FUZZ_CHECK(false, absl::StrCat("code ", error.code));
  }
  WEFT_FUZZ_CHECK(!error.notification || error.code == kMethodNotFound);
  WEFT_FUZZ_CHECK(!error.notification || error.id == "null");
  if (error.code == kParseError) {
    WEFT_FUZZ_CHECK(!request.batch && request.entries.size() == 1 && error.id == "null");
  }
  CheckId(error.id);
}

void CheckCall(const Call& call, absl::string_view body, const JsonRpcLimits& limits) {
  WEFT_FUZZ_CHECK(call.method.size() <= limits.max_method_bytes);
  WEFT_FUZZ_CHECK(!absl::StartsWith(call.method, "rpc."), absl::CEscape(call.method));
  WEFT_FUZZ_CHECK(call.notification == call.id.empty());
  if (!call.notification) {
    WEFT_FUZZ_CHECK(Inside(call.id, body));
    CheckId(call.id);
  }
  if (call.params_kind == ParamsKind::kNone) {
    WEFT_FUZZ_CHECK(call.params.empty() && call.positional.empty());
    return;
  }
  WEFT_FUZZ_CHECK(Inside(call.params, body));
  JsonTree params;
  WEFT_FUZZ_CHECK(ParseJson(call.params, params) == JsonVerdict::kValid,
                  absl::CEscape(call.params));
  if (call.params_kind == ParamsKind::kObject) {
    WEFT_FUZZ_CHECK(params.type == JsonTree::Type::kObject && call.positional.empty(),
                    absl::CEscape(call.params));
    return;
  }
  WEFT_FUZZ_CHECK(
      params.type == JsonTree::Type::kArray && params.items.size() == call.positional.size(),
      absl::CEscape(call.params));
  for (std::size_t i = 0; i < call.positional.size(); ++i) {
    WEFT_FUZZ_CHECK(Inside(call.positional[i], call.params));
    JsonTree element;
    WEFT_FUZZ_CHECK(
        ParseJson(call.positional[i], element) == JsonVerdict::kValid && element == params.items[i],
        absl::CEscape(call.positional[i]));
  }
}

void CheckParsed(const ParsedRequest& request, absl::string_view body,
                 const JsonRpcLimits& limits) {
  WEFT_FUZZ_CHECK(!request.entries.empty());
  WEFT_FUZZ_CHECK(request.batch || request.entries.size() == 1);
  WEFT_FUZZ_CHECK(request.entries.size() <= limits.max_batch_entries);
  for (const Entry& entry : request.entries) {
    if (const CallError* error = std::get_if<CallError>(&entry)) {
      CheckError(*error, request);
    } else {
      CheckCall(std::get<Call>(entry), body, limits);
    }
  }
}

// True when the body as a whole was refused (a parse error or a limit).
bool RefusedWhole(const ParsedRequest& request) {
  if (request.batch || request.entries.size() != 1) return false;
  const CallError* error = std::get_if<CallError>(&request.entries[0]);
  return error != nullptr && (error->code == kParseError ||
                              error->status.code() == absl::StatusCode::kResourceExhausted);
}

// The oracle's view of validity and of the batch's shape.
void CheckAgainstOracle(const ParsedRequest& request, absl::string_view body) {
  if (absl::StartsWith(body, "\xEF\xBB\xBF")) body.remove_prefix(3);
  JsonTree root;
  const JsonVerdict verdict = ParseJson(body, root);
  if (verdict == JsonVerdict::kTooDeep) {
    WEFT_FUZZ_CHECK(RefusedWhole(request));
    return;
  }
  if (verdict == JsonVerdict::kInvalid) {
    WEFT_FUZZ_CHECK(RefusedWhole(request), absl::CEscape(body));
    return;
  }
  const CallError* first = std::get_if<CallError>(&request.entries[0]);
  WEFT_FUZZ_CHECK(first == nullptr || first->code != kParseError, first->status.ToString());
  if (RefusedWhole(request)) return;  // A limit.
  WEFT_FUZZ_CHECK(request.batch == (root.type == JsonTree::Type::kArray && !root.items.empty()));
  if (!request.batch) return;
  WEFT_FUZZ_CHECK(request.entries.size() == root.items.size());
  for (std::size_t i = 0; i < root.items.size(); ++i) {
    const Call* call = std::get_if<Call>(&request.entries[i]);
    if (call == nullptr) continue;
    const JsonTree* method = root.items[i].Find("method");
    WEFT_FUZZ_CHECK(method != nullptr && method->type == JsonTree::Type::kString &&
                    method->text == call->method);
    WEFT_FUZZ_CHECK((root.items[i].Find("id") == nullptr) == call->notification);
  }
}

// Each response object: {"jsonrpc":"2.0", "result" or "error":{"code":n,"message":s}, "id"}.
void CheckResponseObject(const JsonTree& response, const std::string& out) {
  WEFT_FUZZ_CHECK(response.type == JsonTree::Type::kObject && response.keys.size() == 3,
                  absl::CEscape(out));
  const JsonTree* jsonrpc = response.Find("jsonrpc");
  WEFT_FUZZ_CHECK(jsonrpc != nullptr && jsonrpc->text == "2.0" && response.Find("id") != nullptr,
                  absl::CEscape(out));
  if (response.Find("result") != nullptr) return;
  const JsonTree* error = response.Find("error");
  WEFT_FUZZ_CHECK(error != nullptr && error->type == JsonTree::Type::kObject, absl::CEscape(out));
  const JsonTree* code = error->Find("code");
  const JsonTree* message = error->Find("message");
  WEFT_FUZZ_CHECK(code != nullptr && code->type == JsonTree::Type::kNumber && message != nullptr &&
                      message->type == JsonTree::Type::kString,
                  absl::CEscape(out));
}

// Answers every entry the way a gateway might, then parses the whole response body back.
void CheckResponses(const ParsedRequest& request) {
  std::string out;
  ResponseWriter writer(request.batch, out);
  std::size_t expected = 0;
  for (std::size_t i = 0; i < request.entries.size(); ++i) {
    if (const CallError* error = std::get_if<CallError>(&request.entries[i])) {
      writer.AddCallError(*error);
      expected += error->notification ? 0 : 1;
      continue;
    }
    const Call& call = std::get<Call>(request.entries[i]);
    if (call.notification) continue;
    ++expected;
    if (i % 2 == 0) {
      writer.AddResult(call.id, call.params.empty() ? "null" : call.params);
    } else {  // The method as message: any bytes, since escapes may decode to lone surrogates.
      writer.AddError(call.id, ErrorObject{kInvalidParams, call.method, call.params});
    }
  }
  WEFT_FUZZ_CHECK(writer.Finish() == expected);
  if (expected == 0) {
    WEFT_FUZZ_CHECK(out.empty());
    return;
  }
  JsonTree response;
  WEFT_FUZZ_CHECK(ParseJson(out, response) == JsonVerdict::kValid, absl::CEscape(out));
  if (!request.batch) return CheckResponseObject(response, out);
  WEFT_FUZZ_CHECK(response.type == JsonTree::Type::kArray && response.items.size() == expected,
                  absl::CEscape(out));
  for (const JsonTree& item : response.items) CheckResponseObject(item, out);
}

// Any bytes encode to a JSON string; valid UTF-8 comes back unchanged.
void CheckEncodeString(absl::string_view input) {
  std::string json;
  EncodeString(input, json);
  JsonTree value;
  WEFT_FUZZ_CHECK(
      ParseJson(json, value) == JsonVerdict::kValid && value.type == JsonTree::Type::kString,
      absl::CEscape(json));
  std::string quoted = absl::StrCat("\"", input, "\"");
  for (char& c : quoted) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = 'x';
  }
  quoted.front() = quoted.back() = '"';
  JsonTree check;
  if (ParseJson(quoted, check) == JsonVerdict::kValid) {  // `input` is valid UTF-8.
    WEFT_FUZZ_CHECK(value.text == input, absl::CEscape(json));
  }
}

void FuzzJsonRpc(absl::string_view input) {
  const JsonRpcLimits limits;
  JsonRpcDecoder decoder(limits);
  const std::string first = Snapshot(decoder.Parse(input));
  const ParsedRequest& request = decoder.Parse(input);
  WEFT_FUZZ_CHECK(Snapshot(request) == first, "parsing twice");
  CheckParsed(request, input, limits);
  CheckAgainstOracle(request, input);
  CheckResponses(request);

  decoder.Parse(R"([{"jsonrpc":"2.0","method":"a","params":[1,[2]],"id":1},{"x":1},[]])");
  WEFT_FUZZ_CHECK(Snapshot(decoder.Parse(input)) == first, "parsing after another body");

  JsonRpcLimits tight;
  tight.max_request_bytes = 512;
  tight.max_depth = 4;
  tight.max_batch_entries = 3;
  tight.max_method_bytes = 6;
  JsonRpcDecoder tight_decoder(tight);
  const ParsedRequest& tight_request = tight_decoder.Parse(input);
  CheckParsed(tight_request, input, tight);
  CheckResponses(tight_request);

  CheckEncodeString(input);
}

}  // namespace
}  // namespace weft::protocols::jsonrpc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::protocols::jsonrpc::FuzzJsonRpc(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
