// Fuzz target for the HTTP gateway's XML-RPC to protobuf mapping (gateways/http/xmlrpc_mapping.h).
//
// The input is an XML-RPC body from a peer, decoded by the real XmlRpcDecoder, then mapped onto
// a message with every field type (testdata AllTypes). Properties:
//  - XmlRpcParamsToMessage() never crashes; it fails only with kInvalidArgument or
//    kResourceExhausted, with an "xmlrpc: " message.
//  - A message it builds is written back by WriteMessageAsXmlRpc() (or refused with
//    kInvalidArgument, for values XML-RPC cannot carry), and what it writes decodes and maps
//    again to an equal message.
//  - The same hold for the input placed inside a <param>, which reaches the value grammar more
//    often than a mutated whole document does.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gateways/http/testdata/xmlrpc_mapping_test.pb.h"
#include "gateways/http/xmlrpc_mapping.h"
#include "google/protobuf/util/message_differencer.h"
#include "protocols/xmlrpc/xmlrpc_decoder.h"
#include "protocols/xmlrpc/xmlrpc_encoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"
#include "tests/fuzz/fuzz_check.h"

namespace weft::gateways::http {
namespace {

namespace xr = protocols::xmlrpc;
using testdata::AllTypes;

void CheckMappingStatus(const absl::Status& status) {
  if (status.ok()) return;
  WEFT_FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument ||
                      status.code() == absl::StatusCode::kResourceExhausted,
                  status.ToString());
  WEFT_FUZZ_CHECK(absl::StartsWith(status.message(), "xmlrpc: "), status.ToString());
}

void CheckBody(absl::string_view body) {
  static xr::XmlRpcDecoder* decoder = new xr::XmlRpcDecoder();
  static xr::MethodCall* call = new xr::MethodCall();
  if (!decoder->ParseCall(body, *call).ok()) return;
  AllTypes message;
  const absl::Status mapped = XmlRpcParamsToMessage(call->params(), message);
  CheckMappingStatus(mapped);
  if (!mapped.ok()) return;

  // Written back as one struct param, it maps to the same message.
  std::string written =
      "<?xml version=\"1.0\"?><methodCall><methodName>m</methodName><params>"
      "<param>";
  xr::ValueWriter writer(written);
  const absl::Status wrote = WriteMessageAsXmlRpc(message, writer);
  if (!wrote.ok() || !writer.status().ok()) {
    const absl::Status& refused = wrote.ok() ? writer.status() : wrote;
    WEFT_FUZZ_CHECK(refused.code() == absl::StatusCode::kInvalidArgument, refused.ToString());
    return;
  }
  written += "</param></params></methodCall>";
  xr::XmlRpcDecoder again_decoder;
  xr::MethodCall again;
  const absl::Status reparsed = again_decoder.ParseCall(written, again);
  WEFT_FUZZ_CHECK(reparsed.ok(), absl::StrCat(reparsed.ToString(), " in ", written));
  AllTypes round_trip;
  const absl::Status remapped = XmlRpcParamsToMessage(again.params(), round_trip);
  WEFT_FUZZ_CHECK(remapped.ok(), absl::StrCat(remapped.ToString(), " in ", written));
  WEFT_FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(message, round_trip),
                  absl::StrCat(message.ShortDebugString(), " != ", round_trip.ShortDebugString()));
}

}  // namespace
}  // namespace weft::gateways::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  weft::gateways::http::CheckBody(input);
  weft::gateways::http::CheckBody(
      absl::StrCat("<?xml version=\"1.0\"?><methodCall><methodName>m</methodName><params><param>",
                   input, "</param></params></methodCall>"));
  return 0;
}
