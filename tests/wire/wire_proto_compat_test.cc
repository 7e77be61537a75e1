// Cross-checks the hand-written wire codec (protocols/wire) against protoc's generated code for
// idl/weft/v1/wire.proto: our frames parse as weft.v1.Frame with the same field values, frames
// protobuf serializes decode with our decoder, and the plain encoders write the very bytes
// protobuf does (fields in number order, proto3 defaults omitted, maps and packed fields as
// protobuf writes them).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "protocols/wire/limits.h"
#include "protocols/wire/testing/frame_equal.h"
#include "protocols/wire/wire_decoder.h"
#include "protocols/wire/wire_encoder.h"
#include "protocols/wire/wire_types.h"
#include "tests/testing/status_matchers.h"
#include "weft/v1/wire.pb.h"

namespace weft::protocols::wire {
namespace {

using ::weft::protocols::wire::testing::FrameEquals;
using ::weft::protocols::wire::testing::FrameToString;
using ::weft::testing::IsOk;

// --- Conversions between our structs and the generated messages --------------------------------

void SetStatus(int32_t code, absl::string_view message, weft::v1::Status& status) {
  status.set_code(code);
  status.set_message(std::string(message));
}

// Sets only what our encoder would write, so an unset submessage stays unset.
weft::v1::Frame ToProto(const Frame& frame) {
  weft::v1::Frame proto;
  std::visit(
      [&](const auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, Hello>) {
          weft::v1::Hello& m = *proto.mutable_hello();
          m.set_version(f.version);
          m.set_client_name(std::string(f.client_name));
          m.set_token(std::string(f.token));
        } else if constexpr (std::is_same_v<T, Welcome>) {
          weft::v1::Welcome& m = *proto.mutable_welcome();
          m.set_version(f.version);
          m.set_node(std::string(f.node));
          m.set_max_frame_bytes(f.max_frame_bytes);
          m.set_max_in_flight(f.max_in_flight);
        } else if constexpr (std::is_same_v<T, Register>) {
          weft::v1::Register& m = *proto.mutable_register_();
          m.set_call_id(f.call_id);
          for (absl::string_view s : f.services) m.add_services(std::string(s));
          if (!f.descriptors.empty()) {
            EXPECT_TRUE(m.mutable_descriptors()->ParseFromString(std::string(f.descriptors)));
          }
        } else if constexpr (std::is_same_v<T, Call>) {
          weft::v1::Call& m = *proto.mutable_call();
          m.set_call_id(f.call_id);
          m.set_service(std::string(f.service));
          m.set_object_id(f.object_id);
          m.set_method(std::string(f.method));
          m.set_payload(std::string(f.payload));
          m.set_timeout_micros(f.timeout_micros);
          for (const auto& [k, v] : f.metadata)
            (*m.mutable_metadata())[std::string(k)] = std::string(v);
          m.set_one_way(f.one_way);
        } else if constexpr (std::is_same_v<T, Reply>) {
          weft::v1::Reply& m = *proto.mutable_reply();
          m.set_call_id(f.call_id);
          if (f.status_code != 0 || !f.status_message.empty()) {
            SetStatus(f.status_code, f.status_message, *m.mutable_status());
          }
          m.set_payload(std::string(f.payload));
        } else if constexpr (std::is_same_v<T, Cancel>) {
          proto.mutable_cancel()->set_call_id(f.call_id);
        } else if constexpr (std::is_same_v<T, Release>) {
          weft::v1::Release& m = *proto.mutable_release();
          for (uint64_t id : f.object_ids) m.add_object_ids(id);
        } else if constexpr (std::is_same_v<T, Publish>) {
          weft::v1::Publish& m = *proto.mutable_publish();
          m.set_topic(std::string(f.topic));
          m.set_payload(std::string(f.payload));
          m.set_type_url(std::string(f.type_url));
        } else if constexpr (std::is_same_v<T, Subscribe>) {
          proto.mutable_subscribe()->set_topic(std::string(f.topic));
          proto.mutable_subscribe()->set_unsubscribe(f.unsubscribe);
        } else if constexpr (std::is_same_v<T, Ping>) {
          proto.mutable_ping()->set_nonce(f.nonce);
        } else if constexpr (std::is_same_v<T, Pong>) {
          proto.mutable_pong()->set_nonce(f.nonce);
        } else if constexpr (std::is_same_v<T, GoAway>) {
          weft::v1::GoAway& m = *proto.mutable_go_away();
          if (f.status_code != 0 || !f.status_message.empty()) {
            SetStatus(f.status_code, f.status_message, *m.mutable_status());
          }
        }
      },
      frame);
  return proto;
}

// The generated message as our struct. Views point into `proto`, and into `storage` for
// Register.descriptors (a message in the .proto, bytes to us). Metadata comes out sorted by key.
std::optional<Frame> FromProto(const weft::v1::Frame& proto, std::string& storage) {
  switch (proto.kind_case()) {
    case weft::v1::Frame::kHello:
      return Hello{proto.hello().version(), proto.hello().client_name(), proto.hello().token()};
    case weft::v1::Frame::kWelcome: {
      const weft::v1::Welcome& m = proto.welcome();
      return Welcome{m.version(), m.node(), m.max_frame_bytes(), m.max_in_flight()};
    }
    case weft::v1::Frame::kRegister: {
      const weft::v1::Register& m = proto.register_();
      Register f;
      f.call_id = m.call_id();
      for (const std::string& s : m.services()) f.services.push_back(s);
      if (m.has_descriptors()) storage = m.descriptors().SerializeAsString();
      f.descriptors = storage;
      return f;
    }
    case weft::v1::Frame::kCall: {
      const weft::v1::Call& m = proto.call();
      Call f;
      f.call_id = m.call_id();
      f.service = m.service();
      f.object_id = m.object_id();
      f.method = m.method();
      f.payload = m.payload();
      f.timeout_micros = m.timeout_micros();
      for (const auto& [k, v] : m.metadata()) f.metadata.emplace_back(k, v);
      std::sort(f.metadata.begin(), f.metadata.end());
      f.one_way = m.one_way();
      return f;
    }
    case weft::v1::Frame::kReply: {
      const weft::v1::Reply& m = proto.reply();
      return Reply{m.call_id(), m.status().code(), m.status().message(), m.payload()};
    }
    case weft::v1::Frame::kCancel:
      return Cancel{proto.cancel().call_id()};
    case weft::v1::Frame::kRelease: {
      const auto& ids = proto.release().object_ids();
      return Release{std::vector<uint64_t>(ids.begin(), ids.end())};
    }
    case weft::v1::Frame::kPublish: {
      const weft::v1::Publish& m = proto.publish();
      return Publish{m.topic(), m.payload(), m.type_url()};
    }
    case weft::v1::Frame::kSubscribe:
      return Subscribe{proto.subscribe().topic(), proto.subscribe().unsubscribe()};
    case weft::v1::Frame::kPing:
      return Ping{proto.ping().nonce()};
    case weft::v1::Frame::kPong:
      return Pong{proto.pong().nonce()};
    case weft::v1::Frame::kGoAway:
      return GoAway{proto.go_away().status().code(), proto.go_away().status().message()};
    case weft::v1::Frame::KIND_NOT_SET:
      break;
  }
  return std::nullopt;
}

// Deterministic serialization (map entries sorted by key), as a length-prefixed frame.
std::string SerializeFramed(const weft::v1::Frame& proto) {
  std::string body;
  {
    google::protobuf::io::StringOutputStream stream(&body);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    EXPECT_TRUE(proto.SerializeToCodedStream(&coded));
  }
  const uint32_t n = static_cast<uint32_t>(body.size());
  std::string out = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
  return out + body;
}

// Our decoder over one length-prefixed frame; the frame's views point into `framed`.
std::optional<Frame> DecodeWithOurs(absl::string_view framed) {
  WireDecoder decoder;
  EXPECT_THAT(decoder.Feed(framed), IsOk());
  std::optional<Frame> frame = decoder.Next();
  EXPECT_THAT(decoder.status(), IsOk());
  EXPECT_FALSE(decoder.Next().has_value());
  return frame;
}

std::string DescriptorSet() {
  google::protobuf::FileDescriptorSet set;
  weft::v1::Frame::descriptor()->file()->CopyTo(set.add_file());
  return set.SerializeAsString();
}

// One frame of every kind with every field set (metadata sorted by key, as protobuf's
// deterministic serialization writes it), edge values, and every kind left at its defaults.
std::vector<Frame> SampleFrames() {
  static const std::string* descriptors = new std::string(DescriptorSet());
  Call call;
  call.call_id = 300;
  call.service = "demo.Calculator";
  call.object_id = 1ull << 40;
  call.method = "Add";
  call.payload = absl::string_view("\x08\x01\x10\x02\x00\xff", 6);
  call.timeout_micros = 1500000;
  call.metadata = {{"deadline", "soon"}, {"trace-id", "abc"}};
  call.one_way = true;
  Call negative_timeout;
  negative_timeout.call_id = UINT64_MAX;
  negative_timeout.timeout_micros = -1;
  Register reg;
  reg.call_id = 9;
  reg.services = {"demo.Greeter", "demo.Calculator"};
  reg.descriptors = *descriptors;
  Release release;
  release.object_ids = {1, 0, 127, 128, UINT64_MAX};
  return {
      Hello{1, "billing-worker/3", "secret-token"},
      Welcome{1, "node-a", 4u << 20, UINT32_MAX},
      reg,
      call,
      negative_timeout,
      Reply{300, 0, "", "\x08\x03"},
      Reply{301, 5, "not found: demo.Missing", ""},
      Reply{302, -1, "negative code", "x"},
      Reply{303, 0, "message without a code", ""},
      Cancel{301},
      release,
      Publish{"orders", absl::string_view("\x00\x01\x02", 3), "type.googleapis.com/demo.Order"},
      Subscribe{"orders", true},
      Ping{0xdeadbeef},
      Pong{UINT64_MAX},
      GoAway{14, "shutting down"},
      GoAway{INT32_MIN, ""},
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

// --- Tests ------------------------------------------------------------------------------------

TEST(WireProtoCompatTest, OurFramesParseAsProtobufWithTheSameFields) {
  for (const Frame& frame : SampleFrames()) {
    SCOPED_TRACE(FrameToString(frame).substr(0, 300));
    std::string bytes;
    EncodeFrame(frame, bytes);
    weft::v1::Frame proto;
    ASSERT_TRUE(proto.ParseFromArray(bytes.data() + 4, static_cast<int>(bytes.size() - 4)));
    std::string storage;
    std::optional<Frame> back = FromProto(proto, storage);
    ASSERT_TRUE(back.has_value()) << proto.DebugString();
    EXPECT_TRUE(FrameEquals(*back, frame)) << FrameToString(*back).substr(0, 300);
  }
}

TEST(WireProtoCompatTest, ProtobufFramesDecodeWithOurDecoder) {
  for (const Frame& frame : SampleFrames()) {
    SCOPED_TRACE(FrameToString(frame).substr(0, 300));
    const std::string bytes = SerializeFramed(ToProto(frame));
    std::optional<Frame> decoded = DecodeWithOurs(bytes);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(FrameEquals(*decoded, frame)) << FrameToString(*decoded).substr(0, 300);
  }
}

TEST(WireProtoCompatTest, PlainEncodersWriteProtobufsBytes) {
  for (const Frame& frame : SampleFrames()) {
    SCOPED_TRACE(FrameToString(frame).substr(0, 300));
    std::string ours;
    EncodeFrame(frame, ours);
    EXPECT_EQ(absl::CHexEscape(ours), absl::CHexEscape(SerializeFramed(ToProto(frame))));
  }
}

TEST(WireProtoCompatTest, EmptyStringsInRepeatedFieldsAndMapsMatchProtobuf) {
  Register reg;
  reg.services = {"", "demo.Greeter", ""};
  Call call;
  call.method = "M";
  call.metadata = {{"", ""}, {"k", ""}};
  Release zeros;
  zeros.object_ids = {0, 0};
  for (const Frame& frame : std::vector<Frame>{reg, call, zeros}) {
    SCOPED_TRACE(FrameToString(frame));
    std::string ours;
    EncodeFrame(frame, ours);
    EXPECT_EQ(absl::CHexEscape(ours), absl::CHexEscape(SerializeFramed(ToProto(frame))));
    std::optional<Frame> decoded = DecodeWithOurs(ours);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(FrameEquals(*decoded, frame)) << FrameToString(*decoded);
  }
}

TEST(WireProtoCompatTest, DecodesWhatOnlyProtobufWrites) {
  // Submessages present but empty, a Release written unpacked, and unknown fields.
  weft::v1::Frame reply;
  reply.mutable_reply()->set_call_id(4);
  reply.mutable_reply()->mutable_status();
  const std::string reply_bytes = SerializeFramed(reply);
  std::optional<Frame> decoded = DecodeWithOurs(reply_bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(FrameEquals(*decoded, Reply{4, 0, "", ""}));

  weft::v1::Frame reg;
  reg.mutable_register_()->mutable_descriptors();
  const std::string reg_bytes = SerializeFramed(reg);
  decoded = DecodeWithOurs(reg_bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(FrameEquals(*decoded, Register{}));

  weft::v1::Frame ping;
  ping.mutable_ping()->set_nonce(5);
  ping.mutable_ping()->GetReflection()->MutableUnknownFields(ping.mutable_ping())->AddVarint(99, 1);
  ping.mutable_ping()
      ->GetReflection()
      ->MutableUnknownFields(ping.mutable_ping())
      ->AddLengthDelimited(100, "future field");
  const std::string ping_bytes = SerializeFramed(ping);
  decoded = DecodeWithOurs(ping_bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(FrameEquals(*decoded, Ping{5}));

  // Unpacked repeated uint64 (what a proto2 peer writes): 0x08 <id> per element.
  const std::string unpacked = std::string("\0\0\0\x08\x3a\x06\x08\x01\x08\x02\x08\x03", 12);
  weft::v1::Frame release;
  ASSERT_TRUE(release.ParseFromArray(unpacked.data() + 4, 8));
  ASSERT_EQ(release.release().object_ids_size(), 3);
  decoded = DecodeWithOurs(unpacked);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(FrameEquals(*decoded, Release{{1, 2, 3}}));
}

TEST(WireProtoCompatTest, RegisterCarriesARealDescriptorSet) {
  Register reg;
  reg.call_id = 1;
  reg.services = {"weft.v1.Frame"};
  const std::string set = DescriptorSet();
  reg.descriptors = set;
  std::string bytes;
  EncodeRegister(reg, bytes);
  weft::v1::Frame proto;
  ASSERT_TRUE(proto.ParseFromArray(bytes.data() + 4, static_cast<int>(bytes.size() - 4)));
  ASSERT_EQ(proto.register_().descriptors().file_size(), 1);
  EXPECT_EQ(proto.register_().descriptors().file(0).name(), "weft/v1/wire.proto");
}

TEST(WireProtoCompatTest, HeaderEncodersPlusPayloadParseAsProtobuf) {
  Reply reply{12, 3, "bad request", ""};
  std::string bytes;
  EncodeReplyHeader(reply, 5, bytes);
  bytes += "hello";
  weft::v1::Frame proto;
  ASSERT_TRUE(proto.ParseFromArray(bytes.data() + 4, static_cast<int>(bytes.size() - 4)));
  EXPECT_EQ(proto.reply().call_id(), 12u);
  EXPECT_EQ(proto.reply().status().code(), 3);
  EXPECT_EQ(proto.reply().status().message(), "bad request");
  EXPECT_EQ(proto.reply().payload(), "hello");

  Call call;
  call.call_id = 13;
  call.service = "demo.Greeter";
  call.method = "Hi";
  call.timeout_micros = 10;
  call.metadata = {{"k", "v"}};
  call.one_way = true;
  bytes.clear();
  EncodeCallHeader(call, 3, bytes);
  bytes += "abc";
  ASSERT_TRUE(proto.ParseFromArray(bytes.data() + 4, static_cast<int>(bytes.size() - 4)));
  EXPECT_EQ(proto.call().call_id(), 13u);
  EXPECT_EQ(proto.call().service(), "demo.Greeter");
  EXPECT_EQ(proto.call().method(), "Hi");
  EXPECT_EQ(proto.call().payload(), "abc");
  EXPECT_EQ(proto.call().timeout_micros(), 10);
  EXPECT_EQ(proto.call().metadata().at("k"), "v");
  EXPECT_TRUE(proto.call().one_way());
}

}  // namespace
}  // namespace weft::protocols::wire
