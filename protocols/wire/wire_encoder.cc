#include "protocols/wire/wire_encoder.h"

#include <type_traits>
#include <variant>

#include "protocols/wire/wire_format.h"

namespace weft::protocols::wire {
namespace {

using internal::AppendTag;
using internal::AppendVarint;
using internal::TagSize;
using internal::VarintSize;
using internal::WireType;

// Counts the bytes a message body would take.
struct Sizer {
  std::size_t size = 0;

  void Varint(uint32_t number, uint64_t value) {
    if (value != 0) size += TagSize(number) + VarintSize(value);
  }
  void Bytes(uint32_t number, absl::string_view value) {
    if (!value.empty()) Element(number, value);
  }
  // A string written even when empty: an element of a repeated field or a map entry's key or
  // value, which protobuf always writes.
  void Element(uint32_t number, absl::string_view value) {
    size += TagSize(number) + VarintSize(value.size()) + value.size();
  }
  // A length-delimited field whose content is `length` bytes, written later or elsewhere.
  void Header(uint32_t number, std::size_t length) { size += TagSize(number) + VarintSize(length); }
  void Raw(std::size_t length) { size += length; }
};

// Appends a message body. Fields equal to their proto3 default are omitted, as protoc does.
struct Writer {
  std::string& out;

  void Varint(uint32_t number, uint64_t value) {
    if (value == 0) return;
    AppendTag(number, WireType::kVarint, out);
    AppendVarint(value, out);
  }
  void Bytes(uint32_t number, absl::string_view value) {
    if (!value.empty()) Element(number, value);
  }
  void Element(uint32_t number, absl::string_view value) {
    Header(number, value.size());
    out.append(value.data(), value.size());
  }
  void Header(uint32_t number, std::size_t length) {
    AppendTag(number, WireType::kLengthDelimited, out);
    AppendVarint(length, out);
  }
  void Raw(std::size_t) {}
};

template <typename Sink>
void EmitStatus(Sink& sink, int32_t code, absl::string_view message) {
  sink.Varint(1, static_cast<uint64_t>(static_cast<int64_t>(code)));
  sink.Bytes(2, message);
}

std::size_t StatusSize(int32_t code, absl::string_view message) {
  Sizer sizer;
  EmitStatus(sizer, code, message);
  return sizer.size;
}

template <typename Sink>
void EmitMetadataEntry(Sink& sink, absl::string_view key, absl::string_view value) {
  sink.Element(1, key);
  sink.Element(2, value);
}

// Writes [length][frame tag][body length] then lets `emit` write the body; `trailing` bytes the
// caller appends afterwards are counted in both lengths.
template <typename Emit>
void EncodeFramed(FrameKind kind, Emit emit, std::string& out, std::size_t trailing = 0) {
  Sizer sizer;
  emit(sizer);
  const std::size_t body = sizer.size + trailing;
  const uint32_t number = static_cast<uint32_t>(kind);
  const std::size_t frame = TagSize(number) + VarintSize(body) + body;
  const std::size_t start = out.size();
  out.reserve(start + 4 + frame);
  out.resize(start + 4);
  internal::WriteBigEndian32(static_cast<uint32_t>(frame), out.data() + start);
  AppendTag(number, WireType::kLengthDelimited, out);
  AppendVarint(body, out);
  Writer writer{out};
  emit(writer);
}

// Fields in number order, so the bytes equal protoc's; `with_payload` false leaves field 5 out
// for EncodeCallHeader() to append last (any field order is valid protobuf).
template <typename Sink>
void EmitCallFields(Sink& sink, const Call& call, bool with_payload) {
  sink.Varint(1, call.call_id);
  sink.Bytes(2, call.service);
  sink.Varint(3, call.object_id);
  sink.Bytes(4, call.method);
  if (with_payload) sink.Bytes(5, call.payload);
  sink.Varint(6, static_cast<uint64_t>(call.timeout_micros));
  for (const auto& [key, value] : call.metadata) {
    Sizer entry;
    EmitMetadataEntry(entry, key, value);
    sink.Header(7, entry.size);
    sink.Raw(entry.size);
    if constexpr (std::is_same_v<Sink, Writer>) EmitMetadataEntry(sink, key, value);
  }
  sink.Varint(8, call.one_way ? 1 : 0);
}

template <typename Sink>
void EmitReplyFields(Sink& sink, const Reply& reply) {
  sink.Varint(1, reply.call_id);
  if (reply.status_code != 0 || !reply.status_message.empty()) {
    const std::size_t size = StatusSize(reply.status_code, reply.status_message);
    sink.Header(2, size);
    sink.Raw(size);
    if constexpr (std::is_same_v<Sink, Writer>) {
      EmitStatus(sink, reply.status_code, reply.status_message);
    }
  }
}

}  // namespace

void EncodeHello(const Hello& hello, std::string& out) {
  EncodeFramed(
      FrameKind::kHello,
      [&](auto& sink) {
        sink.Varint(1, hello.version);
        sink.Bytes(2, hello.client_name);
        sink.Bytes(3, hello.token);
      },
      out);
}

void EncodeWelcome(const Welcome& welcome, std::string& out) {
  EncodeFramed(
      FrameKind::kWelcome,
      [&](auto& sink) {
        sink.Varint(1, welcome.version);
        sink.Bytes(2, welcome.node);
        sink.Varint(3, welcome.max_frame_bytes);
        sink.Varint(4, welcome.max_in_flight);
      },
      out);
}

void EncodeRegister(const Register& frame, std::string& out) {
  EncodeFramed(
      FrameKind::kRegister,
      [&](auto& sink) {
        sink.Varint(1, frame.call_id);
        for (absl::string_view service : frame.services) sink.Element(2, service);
        sink.Bytes(3, frame.descriptors);
      },
      out);
}

void EncodeCall(const Call& call, std::string& out) {
  EncodeFramed(
      FrameKind::kCall, [&](auto& sink) { EmitCallFields(sink, call, /*with_payload=*/true); },
      out);
}

void EncodeCallHeader(const Call& call, std::size_t payload_size, std::string& out) {
  const std::size_t trailing = payload_size == 0 ? 0 : TagSize(5) + VarintSize(payload_size);
  EncodeFramed(
      FrameKind::kCall, [&](auto& sink) { EmitCallFields(sink, call, /*with_payload=*/false); },
      out, trailing + payload_size);
  if (payload_size != 0) Writer{out}.Header(5, payload_size);
}

void EncodeReply(const Reply& reply, std::string& out) {
  EncodeFramed(
      FrameKind::kReply,
      [&](auto& sink) {
        EmitReplyFields(sink, reply);
        sink.Bytes(3, reply.payload);
      },
      out);
}

void EncodeReplyHeader(const Reply& reply, std::size_t payload_size, std::string& out) {
  const std::size_t trailing = payload_size == 0 ? 0 : TagSize(3) + VarintSize(payload_size);
  EncodeFramed(
      FrameKind::kReply, [&](auto& sink) { EmitReplyFields(sink, reply); }, out,
      trailing + payload_size);
  if (payload_size != 0) Writer{out}.Header(3, payload_size);
}

void EncodeCancel(const Cancel& cancel, std::string& out) {
  EncodeFramed(
      FrameKind::kCancel, [&](auto& sink) { sink.Varint(1, cancel.call_id); }, out);
}

void EncodeRelease(const Release& release, std::string& out) {
  EncodeFramed(
      FrameKind::kRelease,
      [&](auto& sink) {
        std::size_t packed = 0;
        for (uint64_t id : release.object_ids) packed += VarintSize(id);
        if (packed == 0) return;
        sink.Header(1, packed);
        sink.Raw(packed);
        if constexpr (std::is_same_v<std::decay_t<decltype(sink)>, Writer>) {
          for (uint64_t id : release.object_ids) AppendVarint(id, sink.out);
        }
      },
      out);
}

void EncodePublish(const Publish& publish, std::string& out) {
  EncodeFramed(
      FrameKind::kPublish,
      [&](auto& sink) {
        sink.Bytes(1, publish.topic);
        sink.Bytes(2, publish.payload);
        sink.Bytes(3, publish.type_url);
      },
      out);
}

void EncodeSubscribe(const Subscribe& subscribe, std::string& out) {
  EncodeFramed(
      FrameKind::kSubscribe,
      [&](auto& sink) {
        sink.Bytes(1, subscribe.topic);
        sink.Varint(2, subscribe.unsubscribe ? 1 : 0);
      },
      out);
}

void EncodePing(const Ping& ping, std::string& out) {
  EncodeFramed(
      FrameKind::kPing, [&](auto& sink) { sink.Varint(1, ping.nonce); }, out);
}

void EncodePong(const Pong& pong, std::string& out) {
  EncodeFramed(
      FrameKind::kPong, [&](auto& sink) { sink.Varint(1, pong.nonce); }, out);
}

void EncodeGoAway(const GoAway& go_away, std::string& out) {
  EncodeFramed(
      FrameKind::kGoAway,
      [&](auto& sink) {
        if (go_away.status_code == 0 && go_away.status_message.empty()) return;
        const std::size_t size = StatusSize(go_away.status_code, go_away.status_message);
        sink.Header(1, size);
        sink.Raw(size);
        if constexpr (std::is_same_v<std::decay_t<decltype(sink)>, Writer>) {
          EmitStatus(sink, go_away.status_code, go_away.status_message);
        }
      },
      out);
}

void EncodeFrame(const Frame& frame, std::string& out) {
  std::visit(
      [&](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, Hello>) EncodeHello(value, out);
        if constexpr (std::is_same_v<T, Welcome>) EncodeWelcome(value, out);
        if constexpr (std::is_same_v<T, Register>) EncodeRegister(value, out);
        if constexpr (std::is_same_v<T, Call>) EncodeCall(value, out);
        if constexpr (std::is_same_v<T, Reply>) EncodeReply(value, out);
        if constexpr (std::is_same_v<T, Cancel>) EncodeCancel(value, out);
        if constexpr (std::is_same_v<T, Release>) EncodeRelease(value, out);
        if constexpr (std::is_same_v<T, Publish>) EncodePublish(value, out);
        if constexpr (std::is_same_v<T, Subscribe>) EncodeSubscribe(value, out);
        if constexpr (std::is_same_v<T, Ping>) EncodePing(value, out);
        if constexpr (std::is_same_v<T, Pong>) EncodePong(value, out);
        if constexpr (std::is_same_v<T, GoAway>) EncodeGoAway(value, out);
      },
      frame);
}

}  // namespace weft::protocols::wire
