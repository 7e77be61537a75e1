// Fuzz target for the HTTP gateway's fast proto3 JSON mapping (gateways/http/json_mapping.h).
//
// The input is a JSON-RPC params object or a REST body from a peer, read onto a message with
// every field kind the mapping handles (testdata JsonTypes). Properties:
//  - JsonToMessage() never crashes; it fails only with kInvalidArgument or kResourceExhausted,
//    with a "json: " message.
//  - A message it reads is written back by MessageToJson(), which protobuf's own parser reads to
//    the same message (compared by deterministic serialization, so NaNs compare equal).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "gateways/http/json_mapping.h"
#include "gateways/http/testdata/json_mapping_test.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "tests/fuzz/fuzz_check.h"

namespace weft::gateways::http {
namespace {

std::string Deterministic(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

void Check(absl::string_view input) {
  testdata::JsonTypes message;
  static std::string* buffer = new std::string();
  const absl::Status read = JsonToMessage(input, message, *buffer);
  if (!read.ok()) {
    WEFT_FUZZ_CHECK(read.code() == absl::StatusCode::kInvalidArgument ||
                        read.code() == absl::StatusCode::kResourceExhausted,
                    read.ToString());
    WEFT_FUZZ_CHECK(absl::StartsWith(read.message(), "json: "), read.ToString());
    return;
  }
  std::string written;
  MessageToJson(message, written);
  testdata::JsonTypes theirs;
  const auto parsed = google::protobuf::util::JsonStringToMessage(written, &theirs);
  WEFT_FUZZ_CHECK(parsed.ok(), written);
  WEFT_FUZZ_CHECK(Deterministic(message) == Deterministic(theirs), written);
}

}  // namespace
}  // namespace weft::gateways::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::gateways::http::Check(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
