// Fuzz target for the XML-RPC codec (protocols/xmlrpc): XmlRpcDecoder, the encoders,
// system.multicall and the scalar readers.
//
// The input is an HTTP body from a peer. Properties:
//  - ParseCall() and ParseResponse() never crash, with default and with tight limits; errors
//    are kInvalidArgument, kResourceExhausted or kUnimplemented with an "xmlrpc: " message.
//  - A decoder reused across every input gives the same outcome as a fresh one.
//  - Whatever parses re-encodes (EncodeCall(), EncodeResponse(), EncodeFault()) without error,
//    parses back to an equal call, value or fault, and re-encodes to the same bytes.
//  - A document that parses under tight limits parses to the same value under the defaults.
//  - The same hold for the input placed inside a <param>, which reaches the value grammar
//    more often than a mutated whole document does.
//  - SplitMulticall() of any parsed call never crashes, fails only with kInvalidArgument, and
//    EncodeMulticallResponse() of its entries parses back with one slot per entry.
//  - ParseDateTime(), ParseDoubleText() and DecodeBase64InPlace() of the raw input round-trip
//    through FormatDateTime(), ValueWriter and the base64 writer.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "protocols/xmlrpc/date_time.h"
#include "protocols/xmlrpc/limits.h"
#include "protocols/xmlrpc/multicall.h"
#include "protocols/xmlrpc/scalar_text.h"
#include "protocols/xmlrpc/xmlrpc_decoder.h"
#include "protocols/xmlrpc/xmlrpc_encoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"
#include "tests/fuzz/fuzz_check.h"

namespace weft::protocols::xmlrpc {
namespace {

void CheckStatus(const absl::Status& status) {
  if (status.ok()) return;
  const absl::StatusCode code = status.code();
  WEFT_FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument ||
                      code == absl::StatusCode::kResourceExhausted ||
                      code == absl::StatusCode::kUnimplemented,
                  status.ToString());
  WEFT_FUZZ_CHECK(absl::StartsWith(status.message(), "xmlrpc: "), status.ToString());
}

XmlRpcLimits TightLimits() {
  XmlRpcLimits limits;
  limits.max_body_bytes = 1024;
  limits.max_depth = 3;
  limits.max_values = 16;
  limits.max_string_bytes = 16;
  limits.max_method_name_bytes = 8;
  return limits;
}

// For re-parsing what the encoder wrote, which may be longer than the input (an untyped value
// gains <string>, "1e300" becomes 301 digits): every limit but the body's as by default.
XmlRpcLimits RoundTripLimits() {
  XmlRpcLimits limits;
  limits.max_body_bytes = std::numeric_limits<int32_t>::max();
  return limits;
}

// The decoders live across inputs, as in the gateway, so reuse is what gets fuzzed.
struct Decoders {
  XmlRpcDecoder reused;
  XmlRpcDecoder tight{TightLimits()};
  XmlRpcDecoder round_trip{RoundTripLimits()};
};

Decoders& SharedDecoders() {
  static Decoders* decoders = new Decoders();
  return *decoders;
}

void CheckMulticall(const MethodCall& call, XmlRpcDecoder& decoder) {
  std::vector<absl::StatusOr<MulticallEntry>> entries;
  const absl::Status split = SplitMulticall(call.params(), entries);
  if (!split.ok()) {
    WEFT_FUZZ_CHECK(split.code() == absl::StatusCode::kInvalidArgument, split.ToString());
    return;
  }
  std::vector<MulticallResult> results;
  for (const absl::StatusOr<MulticallEntry>& entry : entries) {
    if (entry.ok()) {
      WEFT_FUZZ_CHECK(IsValidMethodName(entry->method_name));
      WEFT_FUZZ_CHECK(entry->params.type() == ValueType::kArray);
      results.emplace_back(entry->params);
    } else {
      WEFT_FUZZ_CHECK(entry.status().code() == absl::StatusCode::kInvalidArgument);
      results.emplace_back(Fault{1, std::string(entry.status().message())});
    }
  }
  std::string body;
  const absl::Status encoded = EncodeMulticallResponse(results, body);
  WEFT_FUZZ_CHECK(encoded.ok(), encoded.ToString());
  MethodResponse response;
  const absl::Status parsed = decoder.ParseResponse(body, response);
  WEFT_FUZZ_CHECK(parsed.ok(), parsed.ToString());
  WEFT_FUZZ_CHECK(response.value().size() == entries.size());
}

// A parsed call survives encode -> parse -> encode; returns its encoding.
std::string CheckCall(const MethodCall& call, XmlRpcDecoder& decoder) {
  std::string body;
  const absl::Status encoded = EncodeCall(call.method_name, call.params(), body);
  WEFT_FUZZ_CHECK(encoded.ok(), encoded.ToString());
  MethodCall again;
  const absl::Status parsed = decoder.ParseCall(body, again);
  WEFT_FUZZ_CHECK(parsed.ok(), absl::StrCat(parsed.ToString(), " for ", body));
  WEFT_FUZZ_CHECK(again.method_name == call.method_name);
  WEFT_FUZZ_CHECK(
      again.params() == call.params(),
      absl::StrCat(call.params().DebugString(), " came back as ", again.params().DebugString()));
  std::string body_again;
  WEFT_FUZZ_CHECK(EncodeCall(again.method_name, again.params(), body_again).ok());
  WEFT_FUZZ_CHECK(body_again == body, body);
  return body;
}

// A parsed response survives encode -> parse -> encode; returns its encoding.
std::string CheckResponse(const MethodResponse& response, XmlRpcDecoder& decoder) {
  std::string body;
  if (response.fault.has_value()) {
    EncodeFault(*response.fault, body);
  } else {
    const absl::Status encoded = EncodeResponse(response.value(), body);
    WEFT_FUZZ_CHECK(encoded.ok(), encoded.ToString());
  }
  MethodResponse again;
  const absl::Status parsed = decoder.ParseResponse(body, again);
  WEFT_FUZZ_CHECK(parsed.ok(), absl::StrCat(parsed.ToString(), " for ", body));
  WEFT_FUZZ_CHECK(again.fault == response.fault);
  if (!response.fault.has_value()) {
    WEFT_FUZZ_CHECK(again.value() == response.value(),
                    absl::StrCat(response.value().DebugString(), " came back as ",
                                 again.value().DebugString()));
  }
  std::string body_again;
  if (again.fault.has_value()) {
    EncodeFault(*again.fault, body_again);
  } else {
    WEFT_FUZZ_CHECK(EncodeResponse(again.value(), body_again).ok());
  }
  WEFT_FUZZ_CHECK(body_again == body, body);
  return body;
}

void FuzzCall(absl::string_view body) {
  Decoders& decoders = SharedDecoders();
  MethodCall call;
  const absl::Status status = decoders.reused.ParseCall(body, call);
  CheckStatus(status);
  std::string encoded;
  if (status.ok()) {
    encoded = CheckCall(call, decoders.round_trip);
    CheckMulticall(call, decoders.round_trip);
  }

  XmlRpcDecoder fresh;
  MethodCall fresh_call;
  const absl::Status fresh_status = fresh.ParseCall(body, fresh_call);
  WEFT_FUZZ_CHECK(fresh_status == status,
                  absl::StrCat(fresh_status.ToString(), " vs reused ", status.ToString()));
  if (status.ok()) WEFT_FUZZ_CHECK(fresh_call.params() == call.params());

  MethodCall tight_call;
  const absl::Status tight = decoders.tight.ParseCall(body, tight_call);
  CheckStatus(tight);
  if (tight.ok()) {
    WEFT_FUZZ_CHECK(status.ok(), status.ToString());
    WEFT_FUZZ_CHECK(tight_call.params() == call.params());
  }
}

void FuzzResponse(absl::string_view body) {
  Decoders& decoders = SharedDecoders();
  MethodResponse response;
  const absl::Status status = decoders.reused.ParseResponse(body, response);
  CheckStatus(status);
  if (status.ok()) CheckResponse(response, decoders.round_trip);

  MethodResponse tight_response;
  const absl::Status tight = decoders.tight.ParseResponse(body, tight_response);
  CheckStatus(tight);
  if (tight.ok()) {
    WEFT_FUZZ_CHECK(status.ok(), status.ToString());
    WEFT_FUZZ_CHECK(tight_response.value() == response.value());
    WEFT_FUZZ_CHECK(tight_response.fault == response.fault);
  }
}

void FuzzScalars(absl::string_view input) {
  if (absl::StatusOr<DateTime> date = ParseDateTime(input); date.ok()) {
    absl::StatusOr<std::string> text = FormatDateTime(*date);
    WEFT_FUZZ_CHECK(text.ok(), text.status().ToString());
    absl::StatusOr<DateTime> again = ParseDateTime(*text);
    WEFT_FUZZ_CHECK(again.ok() && *again == *date, *text);
  }
  if (absl::StatusOr<double> number = internal::ParseDoubleText(input); number.ok()) {
    ValueTree tree;
    tree.AddDouble(*number);
    std::string body;
    WEFT_FUZZ_CHECK(EncodeResponse(tree.root(), body).ok());
    MethodResponse response;
    WEFT_FUZZ_CHECK(SharedDecoders().round_trip.ParseResponse(body, response).ok(), body);
    WEFT_FUZZ_CHECK(response.value() == tree.root(), body);
  }
  std::string bytes(input);
  if (internal::DecodeBase64InPlace(bytes).ok()) {
    std::string xml;
    ValueWriter writer(xml);
    writer.AppendBase64(bytes);
    constexpr absl::string_view kOpen = "<value><base64>";
    constexpr absl::string_view kClose = "</base64></value>";
    std::string text = xml.substr(kOpen.size(), xml.size() - kOpen.size() - kClose.size());
    WEFT_FUZZ_CHECK(internal::DecodeBase64InPlace(text).ok());
    WEFT_FUZZ_CHECK(text == bytes);
  }
}

void FuzzXmlRpc(absl::string_view input) {
  FuzzCall(input);
  FuzzResponse(input);
  FuzzCall(absl::StrCat("<methodCall><methodName>f</methodName><params><param>", input,
                        "</param></params></methodCall>"));
  FuzzResponse(
      absl::StrCat("<methodResponse><params><param>", input, "</param></params></methodResponse>"));
  FuzzScalars(input);
}

}  // namespace
}  // namespace weft::protocols::xmlrpc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::protocols::xmlrpc::FuzzXmlRpc(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
