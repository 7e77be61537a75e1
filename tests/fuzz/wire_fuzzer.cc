// Fuzz target for the native wire codec (protocols/wire): WireDecoder, DecodeFrameBody() and,
// through round trips, every encoder.
//
// The input is a byte stream from a peer. Properties:
//  - Feeding it whole, one byte at a time, or in pseudo-random chunks (split points derived from
//    the input, sometimes Feed()ing again without draining) never crashes and yields the same
//    frames, the same final status and the same number of buffered bytes.
//  - Errors are kInvalidArgument, kResourceExhausted or kUnimplemented, and poison the decoder:
//    a later Feed() returns the same error and Next() yields nothing.
//  - Any decoded frame re-encoded with EncodeFrame() decodes to an equal frame, whose encoding is
//    the same bytes; EncodeReplyHeader()/EncodeCallHeader() plus the payload agree with
//    EncodeReply()/EncodeCall().
//  - The same holds with tight limits, and for the input taken as one frame body.
//  - A frame built from the input as a recipe (class Recipe) survives encode -> decode.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "protocols/wire/limits.h"
#include "protocols/wire/testing/frame_equal.h"
#include "protocols/wire/wire_decoder.h"
#include "protocols/wire/wire_encoder.h"
#include "protocols/wire/wire_types.h"
#include "tests/fuzz/fuzz_check.h"

namespace weft::protocols::wire {
namespace {

using testing::FrameEquals;
using testing::FrameToString;

// What one way of feeding the input produced.
struct Outcome {
  std::vector<std::string> frames;  // Each decoded frame, re-encoded.
  absl::Status status;
  std::size_t buffered = 0;
};

void CheckStatus(const absl::Status& status) {
  if (status.ok()) return;
  const absl::StatusCode code = status.code();
  WEFT_FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument ||
                      code == absl::StatusCode::kResourceExhausted ||
                      code == absl::StatusCode::kUnimplemented,
                  status.ToString());
  WEFT_FUZZ_CHECK(absl::StartsWith(status.message(), "wire: "), status.ToString());
}

uint32_t LengthPrefix(absl::string_view framed) {
  const auto* u = reinterpret_cast<const unsigned char*>(framed.data());
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}

Frame DecodeEncoded(absl::string_view encoded, const WireLimits& limits) {
  WEFT_FUZZ_CHECK(encoded.size() >= 4 && LengthPrefix(encoded) == encoded.size() - 4);
  Frame frame;
  const absl::Status status = DecodeFrameBody(encoded.substr(4), limits, frame);
  WEFT_FUZZ_CHECK(status.ok(), status.ToString());
  return frame;
}

// The zero-copy encoders, with the payload appended, agree with the plain ones.
void CheckHeaderEncoders(const Frame& frame, const std::string& encoded, const WireLimits& limits) {
  if (const Reply* reply = std::get_if<Reply>(&frame)) {
    std::string out;
    EncodeReplyHeader(*reply, reply->payload.size(), out);
    out.append(reply->payload.data(), reply->payload.size());
    WEFT_FUZZ_CHECK(out == encoded, FrameToString(frame));  // The payload is the last field.
  } else if (const Call* call = std::get_if<Call>(&frame)) {
    std::string out;
    EncodeCallHeader(*call, call->payload.size(), out);
    out.append(call->payload.data(), call->payload.size());
    WEFT_FUZZ_CHECK(out.size() == encoded.size(), FrameToString(frame));
    WEFT_FUZZ_CHECK(FrameEquals(DecodeEncoded(out, limits), frame), FrameToString(frame));
  }
}

// Checks the round trip of one decoded frame (while its views are valid); returns its encoding.
std::string CheckFrame(const Frame& frame, const WireLimits& limits) {
  std::string encoded;
  EncodeFrame(frame, encoded);
  const Frame again = DecodeEncoded(encoded, limits);
  WEFT_FUZZ_CHECK(FrameEquals(frame, again),
                  absl::StrCat(FrameToString(frame), " came back as ", FrameToString(again)));
  std::string encoded_again;
  EncodeFrame(again, encoded_again);
  WEFT_FUZZ_CHECK(encoded_again == encoded, FrameToString(frame));
  CheckHeaderEncoders(frame, encoded, limits);
  return encoded;
}

// Feeds `input` in chunks of `chunk_size()` bytes, draining with Next() after a chunk only when
// `drain()` says so (and always at the end). Each chunk is a separate heap copy, freed once the
// decoder is drained: Feed()'s contract keeps bytes valid only until Next() returns nullopt.
template <typename ChunkSize, typename Drain>
Outcome Decode(absl::string_view input, const WireLimits& limits, ChunkSize chunk_size,
               Drain drain) {
  WireDecoder decoder(limits);
  Outcome outcome;
  std::vector<std::unique_ptr<char[]>> live;
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min<std::size_t>(chunk_size(), input.size() - pos);
    live.emplace_back(new char[std::max<std::size_t>(n, 1)]);
    std::memcpy(live.back().get(), input.data() + pos, n);
    const absl::Status fed = decoder.Feed(absl::string_view(live.back().get(), n));
    WEFT_FUZZ_CHECK(fed.ok(), fed.ToString());
    pos += n;
    if (pos < input.size() && !drain()) continue;
    while (std::optional<Frame> frame = decoder.Next()) {
      outcome.frames.push_back(CheckFrame(*frame, limits));
    }
    live.clear();
  } while (pos < input.size() && decoder.status().ok());
  outcome.status = decoder.status();
  outcome.buffered = decoder.buffered_bytes();
  CheckStatus(outcome.status);
  if (!outcome.status.ok()) {
    WEFT_FUZZ_CHECK(decoder.Feed("x") == outcome.status);
    WEFT_FUZZ_CHECK(!decoder.Next().has_value());
    WEFT_FUZZ_CHECK(decoder.status() == outcome.status);
  }
  return outcome;
}

void CheckSameOutcome(const Outcome& a, const Outcome& b, absl::string_view how) {
  WEFT_FUZZ_CHECK(a.frames == b.frames,
                  absl::StrCat(how, ": ", a.frames.size(), " frames vs ", b.frames.size()));
  WEFT_FUZZ_CHECK(a.status == b.status,
                  absl::StrCat(how, ": ", a.status.ToString(), " vs ", b.status.ToString()));
  WEFT_FUZZ_CHECK(a.buffered == b.buffered,
                  absl::StrCat(how, ": ", a.buffered, " vs ", b.buffered, " bytes buffered"));
}

// Reads the input as a recipe for a frame, so the encoders also see values the decoder would
// rarely reach by mutation alone (empty elements of repeated fields and maps, extreme integers).
class Recipe {
 public:
  explicit Recipe(absl::string_view data) : data_(data) {}

  uint8_t Byte() {
    const absl::string_view byte = Take(1);
    return byte.empty() ? 0 : static_cast<uint8_t>(byte[0]);
  }
  uint64_t Int() {
    uint64_t value = 0;
    for (char c : Take(8)) value = (value << 8) | static_cast<uint8_t>(c);
    return value;
  }
  // A string of 0 to 255 bytes; views point into the input.
  absl::string_view String() { return Take(Byte()); }
  std::size_t Count() { return Byte() % 6; }

  // `salt` spreads the kinds: seeds are wire streams, whose first byte is nearly always 0.
  Frame MakeFrame(uint64_t salt) {
    switch ((Byte() + salt) % 12) {
      case 0:
        return Hello{static_cast<uint32_t>(Int()), String(), String()};
      case 1:
        return Welcome{static_cast<uint32_t>(Int()), String(), static_cast<uint32_t>(Int()),
                       static_cast<uint32_t>(Int())};
      case 2: {
        Register reg{Int(), {}, String()};
        for (std::size_t n = Count(); n > 0; --n) reg.services.push_back(String());
        return reg;
      }
      case 3: {
        Call call{Int(), String(), Int(), String(), String(), static_cast<int64_t>(Int()),
                  {},    false};
        for (std::size_t n = Count(); n > 0; --n) call.metadata.emplace_back(String(), String());
        call.one_way = Byte() % 2 == 1;
        return call;
      }
      case 4:
        return Reply{Int(), static_cast<int32_t>(Int()), String(), String()};
      case 5:
        return Cancel{Int()};
      case 6: {
        Release release;
        for (std::size_t n = Count(); n > 0; --n) release.object_ids.push_back(Int());
        return release;
      }
      case 7:
        return Publish{String(), String(), String()};
      case 8:
        return Subscribe{String(), Byte() % 2 == 1};
      case 9:
        return Ping{Int()};
      case 10:
        return Pong{Int()};
      default:
        return GoAway{static_cast<int32_t>(Int()), String()};
    }
  }

 private:
  // Up to `n` bytes from the front; fewer (or none) once the input runs out.
  absl::string_view Take(std::size_t n) {
    const absl::string_view out = data_.substr(0, std::min(n, data_.size()));
    data_.remove_prefix(out.size());
    return out;
  }

  absl::string_view data_;
};

uint64_t Fnv1a(absl::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : bytes) hash = (hash ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return hash;
}

void FuzzWire(absl::string_view input) {
  const WireLimits limits;
  auto all = [&] { return input.size(); };
  auto always = [] { return true; };
  const Outcome whole = Decode(input, limits, all, always);

  if (input.size() <= 8192) {
    auto one = [] { return std::size_t{1}; };
    CheckSameOutcome(whole, Decode(input, limits, one, always), "one byte at a time");
  }

  std::mt19937_64 random(Fnv1a(input));
  auto split = [&] { return std::size_t{1} + random() % (random() % 4 == 0 ? 512 : 16); };
  auto sometimes = [&] { return random() % 4 != 0; };
  CheckSameOutcome(whole, Decode(input, limits, split, sometimes), "random splits");

  WireLimits tight;
  tight.max_frame_bytes = 96;
  tight.max_name_bytes = 8;
  tight.max_metadata_entries = 2;
  tight.max_list_entries = 4;
  Decode(input, tight, all, always);

  Recipe recipe(input);
  CheckFrame(recipe.MakeFrame(Fnv1a(input)), limits);

  Frame frame;
  const absl::Status status = DecodeFrameBody(input, limits, frame);
  CheckStatus(status);
  if (status.ok()) CheckFrame(frame, limits);
}

}  // namespace
}  // namespace weft::protocols::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::protocols::wire::FuzzWire(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
