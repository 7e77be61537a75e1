#include "protocols/wire/wire_encoder.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/wire/limits.h"
#include "protocols/wire/testing/frame_equal.h"
#include "protocols/wire/wire_decoder.h"
#include "protocols/wire/wire_format.h"
#include "protocols/wire/wire_types.h"
#include "tests/testing/status_matchers.h"

namespace weft::protocols::wire {
namespace {

using ::weft::protocols::wire::testing::FrameEquals;
using ::weft::protocols::wire::testing::FrameToString;
using ::weft::testing::IsOk;

// Decodes one whole length-prefixed frame, checking the prefix against the size.
Frame DecodeWhole(absl::string_view bytes) {
  Frame frame;
  EXPECT_GE(bytes.size(), 4u);
  if (bytes.size() < 4) return frame;
  EXPECT_EQ(internal::ReadBigEndian32(bytes.data()), bytes.size() - 4) << absl::CHexEscape(bytes);
  EXPECT_THAT(DecodeFrameBody(bytes.substr(4), WireLimits{}, frame), IsOk())
      << absl::CHexEscape(bytes);
  return frame;
}

std::vector<Reply> SampleReplies(absl::string_view payload) {
  return {
      Reply{1, 0, "", payload},
      Reply{UINT64_MAX, 13, "internal: store failed", payload},
      Reply{2, -7, "", payload},
      Reply{0, 0, "only a message", payload},
  };
}

std::vector<Call> SampleCalls(absl::string_view payload) {
  Call plain;
  plain.call_id = 5;
  plain.service = "demo.Calculator";
  plain.method = "Add";
  plain.payload = payload;
  Call full = plain;
  full.object_id = 77;
  full.timeout_micros = -1;
  full.metadata = {{"trace-id", "abc"}, {"", ""}};
  full.one_way = true;
  Call object_call;
  object_call.object_id = 1;
  object_call.method = "Notify";
  object_call.payload = payload;
  Call only_payload;
  only_payload.payload = payload;
  return {plain, full, object_call, only_payload};
}

// Payloads whose lengths take one, two and three varint bytes, and none at all.
const std::vector<std::string>& SamplePayloads() {
  static const auto* payloads = new std::vector<std::string>{
      "", "\x08\x01", std::string(127, 'a'), std::string(128, 'b'), std::string(20000, 'c')};
  return *payloads;
}

TEST(WireEncoderTest, ReplyHeaderPlusPayloadEqualsEncodeReply) {
  for (const std::string& payload : SamplePayloads()) {
    for (Reply reply : SampleReplies(payload)) {
      SCOPED_TRACE(FrameToString(reply).substr(0, 200));
      std::string plain;
      EncodeReply(reply, plain);
      std::string zero_copy;
      const absl::string_view ignored_payload = "must be ignored";
      Reply header_only = reply;
      header_only.payload = ignored_payload;
      EncodeReplyHeader(header_only, payload.size(), zero_copy);
      zero_copy += payload;
      // The payload is Reply's last field, so the bytes match exactly.
      EXPECT_EQ(absl::CHexEscape(zero_copy), absl::CHexEscape(plain));
      EXPECT_TRUE(FrameEquals(DecodeWhole(zero_copy), reply));
    }
  }
}

TEST(WireEncoderTest, CallHeaderPlusPayloadDecodesLikeEncodeCall) {
  for (const std::string& payload : SamplePayloads()) {
    for (Call call : SampleCalls(payload)) {
      SCOPED_TRACE(FrameToString(call).substr(0, 200));
      std::string plain;
      EncodeCall(call, plain);
      std::string zero_copy;
      Call header_only = call;
      header_only.payload = "must be ignored";
      EncodeCallHeader(header_only, payload.size(), zero_copy);
      zero_copy += payload;
      // Same size; the payload moves to the end, so only the field order may differ.
      EXPECT_EQ(zero_copy.size(), plain.size());
      const Frame decoded = DecodeWhole(zero_copy);
      EXPECT_TRUE(FrameEquals(decoded, call)) << FrameToString(decoded).substr(0, 200);
      EXPECT_TRUE(FrameEquals(decoded, DecodeWhole(plain)));
    }
  }
}

TEST(WireEncoderTest, CallHeaderMatchesEncodeCallBytesWhenPayloadIsTheLastSetField) {
  for (const std::string& payload : SamplePayloads()) {
    const Call call = SampleCalls(payload)[0];  // No timeout, metadata or one_way.
    std::string plain;
    EncodeCall(call, plain);
    std::string zero_copy;
    EncodeCallHeader(call, payload.size(), zero_copy);
    zero_copy += payload;
    EXPECT_EQ(absl::CHexEscape(zero_copy), absl::CHexEscape(plain));
  }
}

TEST(WireEncoderTest, ZeroLengthPayloadHeaderIsTheWholeFrame) {
  Reply reply{3, 0, "", ""};
  std::string header;
  EncodeReplyHeader(reply, 0, header);
  std::string plain;
  EncodeReply(reply, plain);
  EXPECT_EQ(header, plain);
  EXPECT_TRUE(FrameEquals(DecodeWhole(header), reply));

  Call call;
  call.call_id = 4;
  call.method = "Ping";
  call.one_way = true;
  std::string call_header;
  EncodeCallHeader(call, 0, call_header);
  std::string call_plain;
  EncodeCall(call, call_plain);
  EXPECT_EQ(call_header, call_plain);
  EXPECT_TRUE(FrameEquals(DecodeWhole(call_header), call));
}

TEST(WireEncoderTest, HeadersAppendAfterExistingBytes) {
  std::string out;
  EncodePing(Ping{1}, out);
  const std::size_t start = out.size();
  Reply reply{9, 0, "", ""};
  EncodeReplyHeader(reply, 3, out);
  out += "xyz";
  reply.payload = "xyz";
  EXPECT_TRUE(FrameEquals(DecodeWhole(absl::string_view(out).substr(0, start)), Ping{1}));
  EXPECT_TRUE(FrameEquals(DecodeWhole(absl::string_view(out).substr(start)), reply));
}

TEST(WireEncoderTest, EncodersAppendAndNeverClear) {
  std::string out = "prefix";
  EncodeCancel(Cancel{1}, out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_TRUE(FrameEquals(DecodeWhole(absl::string_view(out).substr(6)), Cancel{1}));
}

// Exact bytes, checked by hand against the protobuf encoding guide.
TEST(WireEncoderTest, PingBytes) {
  std::string out;
  EncodePing(Ping{1}, out);
  EXPECT_EQ(out, absl::string_view("\0\0\0\x04\x52\x02\x08\x01", 8));
}

TEST(WireEncoderTest, DefaultFieldsAreOmittedButTheKindIsNot) {
  std::string out;
  EncodePong(Pong{}, out);
  EXPECT_EQ(out, absl::string_view("\0\0\0\x02\x5a\x00", 6));
  out.clear();
  EncodeGoAway(GoAway{}, out);
  EXPECT_EQ(out, absl::string_view("\0\0\0\x02\x62\x00", 6));
}

TEST(WireEncoderTest, NegativeStatusCodeIsATenByteVarint) {
  std::string out;
  EncodeGoAway(GoAway{-1, ""}, out);
  // go_away{status{code: -1}}: 0x62 len, 0x0a len, 0x08 + ten bytes.
  EXPECT_EQ(absl::CHexEscape(out),
            absl::CHexEscape(absl::string_view(
                "\0\0\0\x0f\x62\x0d\x0a\x0b\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 19)));
  EXPECT_EQ(std::get<GoAway>(DecodeWhole(out)).status_code, -1);
}

TEST(WireEncoderTest, EmptyElementsOfRepeatedFieldsAreKept) {
  Register reg;
  reg.services = {"", "demo.Greeter", ""};
  std::string out;
  EncodeRegister(reg, out);
  EXPECT_TRUE(FrameEquals(DecodeWhole(out), reg)) << FrameToString(DecodeWhole(out));
  Release release;
  release.object_ids = {0, 0};
  out.clear();
  EncodeRelease(release, out);
  EXPECT_TRUE(FrameEquals(DecodeWhole(out), release));
}

}  // namespace
}  // namespace weft::protocols::wire
