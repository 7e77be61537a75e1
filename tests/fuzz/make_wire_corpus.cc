// Writes the seed corpus of the wire fuzz target: realistic streams made by the real encoder.
//
// Part of //tests/fuzz. The seeds are checked in under tests/fuzz/corpus/wire/; regenerate them
// after a change to the wire format with
//   bazel run //tests/fuzz:make_wire_corpus -- "$PWD/tests/fuzz/corpus/wire"
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "protocols/wire/wire_encoder.h"
#include "protocols/wire/wire_types.h"

namespace weft::protocols::wire {
namespace {

std::string Encode(const std::vector<Frame>& frames) {
  std::string out;
  for (const Frame& frame : frames) EncodeFrame(frame, out);
  return out;
}

Call SampleCall() {
  Call call;
  call.call_id = 7;
  call.service = "demo.Calculator";
  call.method = "Add";
  call.payload = absl::string_view("\x08\x02\x10\x03", 4);
  call.timeout_micros = 2500000;
  call.metadata = {{"trace-id", "4bf92f3577b34da6"}, {"authorization", "Bearer t0ken"}};
  return call;
}

std::vector<std::pair<std::string, std::string>> Seeds() {
  Register reg;
  reg.call_id = 1;
  reg.services = {"demo.Calculator", "demo.Greeter"};
  reg.descriptors = absl::string_view(
      "\x0a\x0f\x0a\x0d"
      "demo.proto",
      14);
  Call object_call;
  object_call.call_id = 8;
  object_call.object_id = 42;
  object_call.method = "OnEvent";
  object_call.one_way = true;
  Release release;
  release.object_ids = {42, 300, 1ull << 40};
  // Empty elements of repeated fields and maps, which protobuf writes and must survive.
  Register edge_register;
  edge_register.services = {"", "demo.Greeter"};
  Call edge_call;
  edge_call.method = "M";
  edge_call.timeout_micros = -1;
  edge_call.metadata = {{"", ""}, {"k", ""}};
  const Call call = SampleCall();
  std::string call_header;
  EncodeCallHeader(call, call.payload.size(), call_header);
  call_header.append(call.payload.data(), call.payload.size());
  std::string reply_header;
  EncodeReplyHeader(Reply{7, 0, "", ""}, 2, reply_header);
  reply_header += "\x08\x05";
  return {
      {"hello", Encode({Hello{1, "billing-worker/3", "secret-token"}})},
      {"welcome", Encode({Welcome{1, "node-a", 4u << 20, 128}})},
      {"register", Encode({reg})},
      {"call", Encode({call})},
      {"call_object_one_way", Encode({object_call})},
      {"call_header", call_header},
      {"reply_ok", Encode({Reply{7, 0, "", "\x08\x05"}})},
      {"reply_error", Encode({Reply{9, 5, "not found: demo.Missing", ""}})},
      {"reply_header", reply_header},
      {"cancel", Encode({Cancel{9}})},
      {"release", Encode({release})},
      {"publish", Encode({Publish{"orders",
                                  "\x0a\x03"
                                  "abc",
                                  "type.googleapis.com/demo.Order"}})},
      {"subscribe", Encode({Subscribe{"orders", false}, Subscribe{"orders", true}})},
      {"ping_pong", Encode({Ping{0xfeedface}, Pong{0xfeedface}})},
      {"go_away", Encode({GoAway{14, "broker shutting down"}})},
      {"empty_kinds", Encode({Hello{}, Welcome{}, Register{}, Call{}, Reply{}, Cancel{}, Release{},
                              Publish{}, Subscribe{}, Ping{}, Pong{}, GoAway{}})},
      {"edge_values", Encode({edge_register, edge_call, Reply{UINT64_MAX, -1, "", ""},
                              Release{{0, UINT64_MAX}}, GoAway{INT32_MIN, ""}})},
      {"session",
       Encode({Hello{1, "cli", ""}, Welcome{1, "node-a", 1u << 20, 64}, reg, call,
               Reply{7, 0, "", "\x08\x05"}, object_call, Ping{1}, Pong{1}, release,
               Subscribe{"orders", false}, Publish{"orders", "x", "type.googleapis.com/demo.Order"},
               Cancel{7}, GoAway{0, "bye"}})},
  };
}

}  // namespace
}  // namespace weft::protocols::wire

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  for (const auto& [name, bytes] : weft::protocols::wire::Seeds()) {
    const std::string path = std::string(argv[1]) + "/" + name;
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!file) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
