#include "protocols/wire/wire_decoder.h"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/wire/limits.h"
#include "protocols/wire/testing/frame_equal.h"
#include "protocols/wire/wire_encoder.h"
#include "protocols/wire/wire_format.h"
#include "protocols/wire/wire_types.h"
#include "tests/testing/status_matchers.h"

namespace weft::protocols::wire {
namespace {

using ::testing::HasSubstr;
using ::weft::protocols::wire::internal::AppendTag;
using ::weft::protocols::wire::internal::AppendVarint;
using ::weft::protocols::wire::internal::WireType;
using ::weft::protocols::wire::testing::FrameEquals;
using ::weft::protocols::wire::testing::FrameToString;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

// --- Building bytes by hand -------------------------------------------------------------------

std::string VarintField(uint32_t number, uint64_t value) {
  std::string out;
  AppendTag(number, WireType::kVarint, out);
  AppendVarint(value, out);
  return out;
}

std::string BytesField(uint32_t number, absl::string_view value) {
  std::string out;
  AppendTag(number, WireType::kLengthDelimited, out);
  AppendVarint(value.size(), out);
  out.append(value.data(), value.size());
  return out;
}

// A frame body holding one kind (a Frame field number) whose message is `message`.
std::string KindBody(FrameKind kind, absl::string_view message) {
  return BytesField(static_cast<uint32_t>(kind), message);
}

// The 4-byte big-endian length prefix plus `body`.
std::string Framed(absl::string_view body) {
  std::string out(4, '\0');
  internal::WriteBigEndian32(static_cast<uint32_t>(body.size()), out.data());
  out.append(body.data(), body.size());
  return out;
}

std::string Encoded(const Frame& frame) {
  std::string out;
  EncodeFrame(frame, out);
  return out;
}

// One frame of every kind, each field set to a value other than its default, plus frames of
// every kind left at their defaults (which encode to an empty message).
std::vector<Frame> SampleFrames() {
  Call call;
  call.call_id = 300;
  call.service = "demo.Calculator";
  call.object_id = 1ull << 40;
  call.method = "Add";
  call.payload = absl::string_view("\x08\x01\x10\x02\x00\xff", 6);
  call.timeout_micros = 1500000;
  call.metadata = {{"trace-id", "abc"}, {"deadline", ""}};
  call.one_way = true;
  Register reg;
  reg.call_id = 9;
  reg.services = {"demo.Greeter", "demo.Calculator"};
  reg.descriptors = "\x0a\x03zzz";
  Release release;
  release.object_ids = {1, 0, 127, 128, UINT64_MAX};
  return {
      Hello{1, "billing-worker/3", "secret-token"},
      Welcome{1, "node-a", 4u << 20, 128},
      reg,
      call,
      Reply{300, 0, "", "\x08\x03"},
      Reply{301, 5, "not found: demo.Missing", ""},
      Reply{302, -1, "negative code", "x"},
      Cancel{301},
      release,
      Publish{"orders", absl::string_view("\x00\x01\x02", 3), "type.googleapis.com/demo.Order"},
      Subscribe{"orders", true},
      Ping{0xdeadbeef},
      Pong{0xdeadbeef},
      GoAway{14, "shutting down"},
      Hello{},
      Welcome{},
      Register{},
      Call{},
      Reply{},
      Cancel{},
      Release{},
      Publish{},
      Subscribe{},
      Ping{},
      Pong{},
      GoAway{},
  };
}

std::string EncodeAll(const std::vector<Frame>& frames) {
  std::string out;
  for (const Frame& frame : frames) EncodeFrame(frame, out);
  return out;
}

// Feeds `chunks` in order, draining after each, and checks that the decoded frames equal
// `expected` in order. Frames are compared as soon as they come out, while their views are valid.
void ExpectDecodesTo(const std::vector<std::string>& chunks, const std::vector<Frame>& expected) {
  WireDecoder decoder;
  std::size_t decoded = 0;
  for (const std::string& chunk : chunks) {
    ASSERT_THAT(decoder.Feed(chunk), IsOk());
    while (std::optional<Frame> frame = decoder.Next()) {
      ASSERT_LT(decoded, expected.size()) << "extra frame " << FrameToString(*frame);
      EXPECT_TRUE(FrameEquals(*frame, expected[decoded]))
          << "frame " << decoded << ": got " << FrameToString(*frame) << ", want "
          << FrameToString(expected[decoded]);
      ++decoded;
    }
    ASSERT_THAT(decoder.status(), IsOk());
  }
  EXPECT_EQ(decoded, expected.size());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

// Decodes one complete framed input and returns the decoder's status.
absl::Status DecodeOne(absl::string_view framed, const WireLimits& limits = WireLimits{}) {
  WireDecoder decoder(limits);
  if (absl::Status s = decoder.Feed(framed); !s.ok()) return s;
  while (decoder.Next().has_value()) {
  }
  return decoder.status();
}

// --- Round trips and feeding ------------------------------------------------------------------

TEST(WireDecoderTest, EveryFrameKindRoundTripsThroughTheEncoder) {
  for (const Frame& frame : SampleFrames()) {
    SCOPED_TRACE(FrameToString(frame));
    const std::string bytes = Encoded(frame);
    WireDecoder decoder;
    ASSERT_THAT(decoder.Feed(bytes), IsOk());
    std::optional<Frame> decoded = decoder.Next();
    ASSERT_TRUE(decoded.has_value()) << decoder.status();
    EXPECT_TRUE(FrameEquals(*decoded, frame)) << FrameToString(*decoded);
    EXPECT_FALSE(decoder.Next().has_value());
    EXPECT_THAT(decoder.status(), IsOk());
  }
}

TEST(WireDecoderTest, DecodesFramesFedOneByteAtATime) {
  const std::vector<Frame> frames = SampleFrames();
  std::vector<std::string> chunks;
  for (char c : EncodeAll(frames)) chunks.emplace_back(1, c);
  ExpectDecodesTo(chunks, frames);
}

TEST(WireDecoderTest, DecodesFramesFedAtRandomSplitPoints) {
  const std::vector<Frame> frames = SampleFrames();
  const std::string stream = EncodeAll(frames);
  for (uint32_t seed = 1; seed <= 50; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937 random(seed);
    std::vector<std::string> chunks;
    for (std::size_t pos = 0; pos < stream.size();) {
      const std::size_t size = 1 + random() % 40;
      chunks.push_back(stream.substr(pos, size));
      pos += size;
    }
    ExpectDecodesTo(chunks, frames);
  }
}

TEST(WireDecoderTest, DecodesPipelinedFramesInOneFeed) {
  const std::vector<Frame> frames = SampleFrames();
  ExpectDecodesTo({EncodeAll(frames)}, frames);
}

TEST(WireDecoderTest, KeepsUndrainedBytesWhenFedAgainBeforeNext) {
  const std::vector<Frame> frames = SampleFrames();
  const std::string stream = EncodeAll(frames);
  const std::string first = stream.substr(0, stream.size() / 3);
  const std::string second = stream.substr(first.size(), 7);
  const std::string third = stream.substr(first.size() + second.size());
  WireDecoder decoder;
  ASSERT_THAT(decoder.Feed(first), IsOk());
  ASSERT_THAT(decoder.Feed(second), IsOk());
  ASSERT_THAT(decoder.Feed(third), IsOk());
  std::size_t decoded = 0;
  while (std::optional<Frame> frame = decoder.Next()) {
    ASSERT_LT(decoded, frames.size());
    EXPECT_TRUE(FrameEquals(*frame, frames[decoded])) << FrameToString(*frame);
    ++decoded;
  }
  EXPECT_THAT(decoder.status(), IsOk());
  EXPECT_EQ(decoded, frames.size());
}

TEST(WireDecoderTest, FrameWholeInOneFeedIsDecodedInPlace) {
  Publish publish{"orders", "payload bytes", "type.googleapis.com/demo.Order"};
  const std::string bytes = Encoded(publish);
  WireDecoder decoder;
  ASSERT_THAT(decoder.Feed(bytes), IsOk());
  std::optional<Frame> frame = decoder.Next();
  ASSERT_TRUE(frame.has_value());
  const absl::string_view payload = std::get<Publish>(*frame).payload;
  EXPECT_GE(payload.data(), bytes.data());
  EXPECT_LE(payload.data() + payload.size(), bytes.data() + bytes.size());
}

TEST(WireDecoderTest, HoldsAnIncompleteFrameUntilTheRestArrives) {
  const std::string bytes = Encoded(Ping{42});
  WireDecoder decoder;
  ASSERT_THAT(decoder.Feed(absl::string_view(bytes).substr(0, 5)), IsOk());
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_EQ(decoder.buffered_bytes(), 5u);
  ASSERT_THAT(decoder.Feed(absl::string_view(bytes).substr(5)), IsOk());
  std::optional<Frame> frame = decoder.Next();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(std::get<Ping>(*frame).nonce, 42u);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(WireDecoderTest, SkipsUnknownFieldsOfEveryWireType) {
  std::string message = VarintField(1, 7);
  AppendTag(90, WireType::kFixed64, message);
  message.append(8, '\x11');
  message += VarintField(91, UINT64_MAX);
  message += BytesField(92, "ignored");
  AppendTag(93, WireType::kFixed32, message);
  message.append(4, '\x22');
  message += BytesField(2, "svc");
  const std::string body = KindBody(FrameKind::kCall, message);  // Outlives the frame's views.
  Frame frame;
  ASSERT_THAT(DecodeFrameBody(body, WireLimits{}, frame), IsOk());
  const Call& call = std::get<Call>(frame);
  EXPECT_EQ(call.call_id, 7u);
  EXPECT_EQ(call.service, "svc");
}

TEST(WireDecoderTest, AcceptsUnpackedAndPackedObjectIds) {
  std::string packed;
  AppendVarint(3, packed);
  AppendVarint(300, packed);
  const std::string message = VarintField(1, 1) + BytesField(1, packed) + VarintField(1, 2);
  const std::string body = KindBody(FrameKind::kRelease, message);  // Outlives the frame's views.
  Frame frame;
  ASSERT_THAT(DecodeFrameBody(body, WireLimits{}, frame), IsOk());
  EXPECT_EQ(std::get<Release>(frame).object_ids, (std::vector<uint64_t>{1, 3, 300, 2}));
}

TEST(WireDecoderTest, LastValueOfARepeatedScalarFieldWins) {
  const std::string message = VarintField(1, 5) + VarintField(1, 6);
  const std::string body = KindBody(FrameKind::kCancel, message);  // Outlives the frame's views.
  Frame frame;
  ASSERT_THAT(DecodeFrameBody(body, WireLimits{}, frame), IsOk());
  EXPECT_EQ(std::get<Cancel>(frame).call_id, 6u);
}

TEST(WireDecoderTest, AcceptsAFrameOfExactlyMaxFrameBytes) {
  const std::string bytes = Encoded(Publish{"t", std::string(100, 'p'), ""});
  WireLimits limits;
  limits.max_frame_bytes = static_cast<uint32_t>(bytes.size() - 4);
  EXPECT_THAT(DecodeOne(bytes, limits), IsOk());
}

TEST(WireDecoderTest, AcceptsNamesAndListsExactlyAtTheirLimits) {
  WireLimits limits;
  limits.max_name_bytes = 8;
  limits.max_metadata_entries = 2;
  limits.max_list_entries = 3;
  Call call;
  call.service = "12345678";
  call.metadata = {{"12345678", "12345678"}, {"k", "v"}};
  EXPECT_THAT(DecodeOne(Encoded(call), limits), IsOk());
  Register reg;
  reg.services = {"a", "b", "c"};
  EXPECT_THAT(DecodeOne(Encoded(reg), limits), IsOk());
  Release release;
  release.object_ids = {1, 2, 3};
  EXPECT_THAT(DecodeOne(Encoded(release), limits), IsOk());
}

// --- Limits -----------------------------------------------------------------------------------

TEST(WireDecoderTest, RejectsFrameOverMaxFrameBytes) {
  WireLimits limits;
  limits.max_frame_bytes = 16;
  const std::string bytes = Encoded(Publish{"topic", "a payload too big", ""});
  ASSERT_GT(bytes.size() - 4, 16u);
  WireDecoder decoder(limits);
  ASSERT_THAT(decoder.Feed(bytes), IsOk());
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_THAT(decoder.status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("exceeds the limit of 16")));
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(WireDecoderTest, RejectsOversizedLengthPrefixBeforeTheBodyArrives) {
  WireDecoder decoder;
  // 0xffffffff bytes, fed a byte at a time: refused once the prefix is complete.
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(decoder.Feed("\xff"), IsOk());
    EXPECT_FALSE(decoder.Next().has_value());
  }
  ASSERT_THAT(decoder.Feed("\xff"), IsOk());
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_THAT(decoder.status(), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  EXPECT_THAT(decoder.Feed(Encoded(Ping{1})), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(decoder.Next().has_value());
}

TEST(WireDecoderTest, RejectsNameOverMaxNameBytes) {
  WireLimits limits;
  limits.max_name_bytes = 8;
  const std::string long_name = "123456789";
  Call service_call;
  service_call.service = long_name;
  Call method_call;
  method_call.method = long_name;
  Call key_call;
  key_call.metadata = {{long_name, "v"}};
  Call value_call;
  value_call.metadata = {{"k", long_name}};
  Register reg;
  reg.services = {long_name};
  for (const Frame& frame : std::vector<Frame>{
           Hello{1, long_name, ""}, Hello{1, "", long_name}, Welcome{1, long_name, 0, 0},
           service_call, method_call, key_call, value_call, reg, Publish{long_name, "", ""},
           Publish{"t", "", long_name}, Subscribe{long_name, false}}) {
    SCOPED_TRACE(FrameToString(frame));
    EXPECT_THAT(DecodeOne(Encoded(frame), limits),
                StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("longer than 8 bytes")));
  }
}

TEST(WireDecoderTest, PayloadsAreNotNames) {
  WireLimits limits;
  limits.max_name_bytes = 4;
  const std::string big(100, 'x');
  Call call;
  call.payload = big;
  Register reg;
  reg.descriptors = big;
  for (const Frame& frame : std::vector<Frame>{call, reg, Reply{1, 2, big, big},
                                               Publish{"t", big, ""}, GoAway{1, big}}) {
    SCOPED_TRACE(FrameToString(frame));
    EXPECT_THAT(DecodeOne(Encoded(frame), limits), IsOk());
  }
}

TEST(WireDecoderTest, RejectsTooManyMetadataEntries) {
  WireLimits limits;
  limits.max_metadata_entries = 2;
  Call call;
  call.metadata = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
  EXPECT_THAT(
      DecodeOne(Encoded(call), limits),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("more than 2 metadata entries")));
}

TEST(WireDecoderTest, RejectsTooManyServicesAndObjectIds) {
  WireLimits limits;
  limits.max_list_entries = 2;
  Register reg;
  reg.services = {"a", "b", "c"};
  EXPECT_THAT(DecodeOne(Encoded(reg), limits),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("too many services")));
  Release release;
  release.object_ids = {1, 2, 3};
  EXPECT_THAT(DecodeOne(Encoded(release), limits),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("too many object ids")));
  const std::string unpacked = VarintField(1, 1) + VarintField(1, 2) + VarintField(1, 3);
  EXPECT_THAT(DecodeOne(Framed(KindBody(FrameKind::kRelease, unpacked)), limits),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

// --- Malformed frames -------------------------------------------------------------------------

TEST(WireDecoderTest, RejectsZeroLengthFrame) {
  EXPECT_THAT(DecodeOne(Framed("")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("frame has no kind")));
}

TEST(WireDecoderTest, RejectsTwoKindsInOneFrame) {
  const std::string body =
      KindBody(FrameKind::kPing, VarintField(1, 1)) + KindBody(FrameKind::kPong, "");
  EXPECT_THAT(DecodeOne(Framed(body)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than one kind")));
}

TEST(WireDecoderTest, RejectsUnknownFrameKindAsUnimplemented) {
  EXPECT_THAT(DecodeOne(Framed(BytesField(13, ""))),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("unknown frame kind 13")));
}

TEST(WireDecoderTest, RejectsFrameKindOfTheWrongWireType) {
  EXPECT_THAT(DecodeOne(Framed(VarintField(10, 1))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kind malformed")));
}

TEST(WireDecoderTest, RejectsTruncatedVarints) {
  // The frame's kind tag, the kind's length, a field's tag and a field's value, each cut short.
  const std::string cases[] = {
      "\xd2",                                         // Tag of a kind whose number needs 2 bytes.
      "\x52\x80",                                     // Ping, length varint cut.
      KindBody(FrameKind::kPing, "\x88"),             // Tag varint cut.
      KindBody(FrameKind::kPing, "\x08\xff\xff"),     // nonce varint cut.
      KindBody(FrameKind::kRelease, "\x0a\x01\x80"),  // Packed id cut.
  };
  for (const std::string& body : cases) {
    SCOPED_TRACE(absl::CHexEscape(body));
    EXPECT_THAT(DecodeOne(Framed(body)), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(WireDecoderTest, RejectsVarintLongerThanTenBytes) {
  std::string message = "\x08";
  message.append(10, '\x80');
  message += '\x01';
  EXPECT_THAT(DecodeOne(Framed(KindBody(FrameKind::kPing, message))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nonce malformed")));
  // Ten bytes whose last one carries more than the 64th bit.
  std::string overflow = "\x08";
  overflow.append(9, '\xff');
  overflow += '\x02';
  EXPECT_THAT(DecodeOne(Framed(KindBody(FrameKind::kPing, overflow))),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WireDecoderTest, RejectsFieldsOfTheWrongWireType) {
  struct Case {
    FrameKind kind;
    std::string message;
    const char* field;
  };
  const Case cases[] = {
      {FrameKind::kCall, BytesField(1, "x"), "call_id"},
      {FrameKind::kCall, VarintField(2, 1), "service"},
      {FrameKind::kCall, VarintField(7, 1), "metadata"},
      {FrameKind::kHello, BytesField(1, "x"), "version"},
      {FrameKind::kReply, VarintField(2, 1), "status"},
      {FrameKind::kSubscribe, BytesField(2, "x"), "unsubscribe"},
      {FrameKind::kRelease, BytesField(1, "\x80"), "object_ids"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    EXPECT_THAT(DecodeOne(Framed(KindBody(c.kind, c.message))),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.field)));
  }
}

TEST(WireDecoderTest, RejectsGroupsAndFieldNumberZero) {
  std::string group;
  AppendTag(50, WireType::kStartGroup, group);
  EXPECT_THAT(DecodeOne(Framed(KindBody(FrameKind::kPing, group))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown field")));
  EXPECT_THAT(DecodeOne(Framed(KindBody(FrameKind::kPing, std::string("\x00\x01", 2)))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tag")));
}

TEST(WireDecoderTest, RejectsLengthPastTheEnd) {
  std::string service =
      "\x12\x0a"
      "abc";  // Field 2, length 10, 3 bytes present.
  EXPECT_THAT(DecodeOne(Framed(KindBody(FrameKind::kCall, service))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("service malformed")));
  EXPECT_THAT(DecodeOne(Framed("\x52\x05\x08\x01")),  // Ping of 5 bytes, 2 present.
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("kind malformed")));
  std::string fixed = "\x08\x01";
  AppendTag(20, WireType::kFixed64, fixed);
  fixed += "1234";
  EXPECT_THAT(DecodeOne(Framed(KindBody(FrameKind::kPing, fixed))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown field")));
}

TEST(WireDecoderTest, RejectsMalformedNestedStatusAndMetadata) {
  EXPECT_THAT(DecodeOne(Framed(KindBody(FrameKind::kGoAway, BytesField(1, "\x08")))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("code malformed")));
  EXPECT_THAT(DecodeOne(Framed(KindBody(FrameKind::kCall, BytesField(7, VarintField(1, 1))))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("metadata key")));
}

TEST(WireDecoderTest, StaysPoisonedAfterAnError) {
  WireDecoder decoder;
  const std::string good = Encoded(Ping{1});
  const std::string input = Framed("") + good;
  ASSERT_THAT(decoder.Feed(input), IsOk());
  EXPECT_FALSE(decoder.Next().has_value());
  const absl::Status error = decoder.status();
  ASSERT_THAT(error, StatusIs(absl::StatusCode::kInvalidArgument));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(decoder.Feed(good), error);
    EXPECT_FALSE(decoder.Next().has_value());
    EXPECT_EQ(decoder.status(), error);
  }
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(WireDecoderTest, FramesBeforeAnErrorAreStillDelivered) {
  WireDecoder decoder;
  const std::string input = Encoded(Ping{1}) + Encoded(Pong{2}) + Framed(BytesField(13, ""));
  ASSERT_THAT(decoder.Feed(input), IsOk());
  std::optional<Frame> ping = decoder.Next();
  ASSERT_TRUE(ping.has_value());
  EXPECT_EQ(std::get<Ping>(*ping).nonce, 1u);
  std::optional<Frame> pong = decoder.Next();
  ASSERT_TRUE(pong.has_value());
  EXPECT_EQ(std::get<Pong>(*pong).nonce, 2u);
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_THAT(decoder.status(), StatusIs(absl::StatusCode::kUnimplemented));
}

}  // namespace
}  // namespace weft::protocols::wire
