#include "protocols/wire/wire_decoder.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "protocols/wire/wire_format.h"

namespace weft::protocols::wire {
namespace {

using internal::Reader;
using internal::WireType;

absl::Status Malformed(absl::string_view message, absl::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat("wire: ", message, ": ", field, " malformed"));
}

// Reads the fields of one message, calling `on_field(number, type, reader)` for each; the
// callback consumes the value (returning false when it is malformed) or returns
// kSkip to have it skipped.
template <typename OnField>
absl::Status ForEachField(absl::string_view bytes, absl::string_view message, OnField on_field) {
  Reader reader(bytes);
  while (!reader.done()) {
    uint32_t number = 0;
    WireType type;
    if (!reader.ReadTag(number, type)) return Malformed(message, "tag");
    absl::Status s = on_field(number, type, reader);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Helpers that read one field of the expected wire type or report it by name.
struct FieldReader {
  absl::string_view message;
  const WireLimits& limits;

  absl::Status Varint(WireType type, Reader& r, uint64_t& out, absl::string_view field) const {
    if (type != WireType::kVarint || !r.ReadVarint(out)) return Malformed(message, field);
    return absl::OkStatus();
  }
  absl::Status Bytes(WireType type, Reader& r, absl::string_view& out,
                     absl::string_view field) const {
    if (type != WireType::kLengthDelimited || !r.ReadBytes(out)) return Malformed(message, field);
    return absl::OkStatus();
  }
  absl::Status Name(WireType type, Reader& r, absl::string_view& out,
                    absl::string_view field) const {
    if (absl::Status s = Bytes(type, r, out, field); !s.ok()) return s;
    if (out.size() > limits.max_name_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "wire: ", message, ": ", field, " longer than ", limits.max_name_bytes, " bytes"));
    }
    return absl::OkStatus();
  }
  absl::Status Skip(WireType type, Reader& r) const {
    if (!r.Skip(type)) return Malformed(message, "unknown field");
    return absl::OkStatus();
  }
};

template <typename T>
absl::Status ReadU32(const FieldReader& f, WireType type, Reader& r, T& out,
                     absl::string_view field) {
  uint64_t value = 0;
  if (absl::Status s = f.Varint(type, r, value, field); !s.ok()) return s;
  out = static_cast<T>(value);
  return absl::OkStatus();
}

absl::Status DecodeStatus(const FieldReader& f, absl::string_view bytes, int32_t& code,
                          absl::string_view& message) {
  return ForEachField(bytes, "status", [&](uint32_t number, WireType type, Reader& r) {
    switch (number) {
      case 1:
        return ReadU32(f, type, r, code, "code");
      case 2:
        return f.Bytes(type, r, message, "message");
      default:
        return f.Skip(type, r);
    }
  });
}

absl::Status DecodeHello(const FieldReader& f, absl::string_view bytes, Hello& out) {
  return ForEachField(bytes, f.message, [&](uint32_t number, WireType type, Reader& r) {
    switch (number) {
      case 1:
        return ReadU32(f, type, r, out.version, "version");
      case 2:
        return f.Name(type, r, out.client_name, "client_name");
      case 3:
        return f.Name(type, r, out.token, "token");
      default:
        return f.Skip(type, r);
    }
  });
}

absl::Status DecodeWelcome(const FieldReader& f, absl::string_view bytes, Welcome& out) {
  return ForEachField(bytes, f.message, [&](uint32_t number, WireType type, Reader& r) {
    switch (number) {
      case 1:
        return ReadU32(f, type, r, out.version, "version");
      case 2:
        return f.Name(type, r, out.node, "node");
      case 3:
        return ReadU32(f, type, r, out.max_frame_bytes, "max_frame_bytes");
      case 4:
        return ReadU32(f, type, r, out.max_in_flight, "max_in_flight");
      default:
        return f.Skip(type, r);
    }
  });
}

absl::Status DecodeRegister(const FieldReader& f, absl::string_view bytes, Register& out) {
  return ForEachField(bytes, f.message, [&](uint32_t number, WireType type, Reader& r) {
    switch (number) {
      case 1:
        return f.Varint(type, r, out.call_id, "call_id");
      case 2: {
        absl::string_view service;
        if (absl::Status s = f.Name(type, r, service, "services"); !s.ok()) return s;
        if (out.services.size() >= f.limits.max_list_entries) {
          return absl::ResourceExhaustedError("wire: register: too many services");
        }
        out.services.push_back(service);
        return absl::OkStatus();
      }
      case 3:
        return f.Bytes(type, r, out.descriptors, "descriptors");
      default:
        return f.Skip(type, r);
    }
  });
}

absl::Status DecodeMetadataEntry(const FieldReader& f, absl::string_view bytes, Call& out) {
  if (out.metadata.size() >= f.limits.max_metadata_entries) {
    return absl::ResourceExhaustedError(
        absl::StrCat("wire: call: more than ", f.limits.max_metadata_entries, " metadata entries"));
  }
  std::pair<absl::string_view, absl::string_view> entry;
  absl::Status s = ForEachField(bytes, f.message, [&](uint32_t number, WireType type, Reader& r) {
    switch (number) {
      case 1:
        return f.Name(type, r, entry.first, "metadata key");
      case 2:
        return f.Name(type, r, entry.second, "metadata value");
      default:
        return f.Skip(type, r);
    }
  });
  if (s.ok()) out.metadata.push_back(entry);
  return s;
}

absl::Status DecodeCall(const FieldReader& f, absl::string_view bytes, Call& out) {
  return ForEachField(bytes, f.message, [&](uint32_t number, WireType type, Reader& r) {
    switch (number) {
      case 1:
        return f.Varint(type, r, out.call_id, "call_id");
      case 2:
        return f.Name(type, r, out.service, "service");
      case 3:
        return f.Varint(type, r, out.object_id, "object_id");
      case 4:
        return f.Name(type, r, out.method, "method");
      case 5:
        return f.Bytes(type, r, out.payload, "payload");
      case 6:
        return ReadU32(f, type, r, out.timeout_micros, "timeout_micros");
      case 7: {
        absl::string_view entry;
        if (absl::Status s = f.Bytes(type, r, entry, "metadata"); !s.ok()) return s;
        return DecodeMetadataEntry(f, entry, out);
      }
      case 8: {
        uint64_t one_way = 0;
        if (absl::Status s = f.Varint(type, r, one_way, "one_way"); !s.ok()) return s;
        out.one_way = one_way != 0;
        return absl::OkStatus();
      }
      default:
        return f.Skip(type, r);
    }
  });
}

absl::Status DecodeReply(const FieldReader& f, absl::string_view bytes, Reply& out) {
  return ForEachField(bytes, f.message, [&](uint32_t number, WireType type, Reader& r) {
    switch (number) {
      case 1:
        return f.Varint(type, r, out.call_id, "call_id");
      case 2: {
        absl::string_view status;
        if (absl::Status s = f.Bytes(type, r, status, "status"); !s.ok()) return s;
        return DecodeStatus(f, status, out.status_code, out.status_message);
      }
      case 3:
        return f.Bytes(type, r, out.payload, "payload");
      default:
        return f.Skip(type, r);
    }
  });
}

absl::Status DecodeRelease(const FieldReader& f, absl::string_view bytes, Release& out) {
  auto add = [&](uint64_t id) {
    if (out.object_ids.size() >= f.limits.max_list_entries) {
      return absl::ResourceExhaustedError("wire: release: too many object ids");
    }
    out.object_ids.push_back(id);
    return absl::OkStatus();
  };
  return ForEachField(bytes, f.message, [&](uint32_t number, WireType type, Reader& r) {
    if (number != 1) return f.Skip(type, r);
    if (type == WireType::kVarint) {
      uint64_t id = 0;
      if (!r.ReadVarint(id)) return Malformed(f.message, "object_ids");
      return add(id);
    }
    absl::string_view packed;  // proto3 packs repeated scalars by default.
    if (absl::Status s = f.Bytes(type, r, packed, "object_ids"); !s.ok()) return s;
    Reader ids(packed);
    while (!ids.done()) {
      uint64_t id = 0;
      if (!ids.ReadVarint(id)) return Malformed(f.message, "object_ids");
      if (absl::Status s = add(id); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

absl::Status DecodePublish(const FieldReader& f, absl::string_view bytes, Publish& out) {
  return ForEachField(bytes, f.message, [&](uint32_t number, WireType type, Reader& r) {
    switch (number) {
      case 1:
        return f.Name(type, r, out.topic, "topic");
      case 2:
        return f.Bytes(type, r, out.payload, "payload");
      case 3:
        return f.Name(type, r, out.type_url, "type_url");
      default:
        return f.Skip(type, r);
    }
  });
}

absl::Status DecodeSubscribe(const FieldReader& f, absl::string_view bytes, Subscribe& out) {
  return ForEachField(bytes, f.message, [&](uint32_t number, WireType type, Reader& r) {
    switch (number) {
      case 1:
        return f.Name(type, r, out.topic, "topic");
      case 2: {
        uint64_t value = 0;
        if (absl::Status s = f.Varint(type, r, value, "unsubscribe"); !s.ok()) return s;
        out.unsubscribe = value != 0;
        return absl::OkStatus();
      }
      default:
        return f.Skip(type, r);
    }
  });
}

template <typename T>
absl::Status DecodeNonce(const FieldReader& f, absl::string_view bytes, T& out) {
  return ForEachField(bytes, f.message, [&](uint32_t number, WireType type, Reader& r) {
    if (number == 1) return f.Varint(type, r, out.nonce, "nonce");
    return f.Skip(type, r);
  });
}

absl::Status DecodeGoAway(const FieldReader& f, absl::string_view bytes, GoAway& out) {
  return ForEachField(bytes, f.message, [&](uint32_t number, WireType type, Reader& r) {
    if (number != 1) return f.Skip(type, r);
    absl::string_view status;
    if (absl::Status s = f.Bytes(type, r, status, "status"); !s.ok()) return s;
    return DecodeStatus(f, status, out.status_code, out.status_message);
  });
}

template <typename T, typename Decode>
absl::Status DecodeInto(Frame& frame, absl::string_view name, const WireLimits& limits,
                        absl::string_view bytes, Decode decode) {
  T& value = frame.emplace<T>();
  return decode(FieldReader{name, limits}, bytes, value);
}

absl::Status DecodeKind(uint32_t kind, absl::string_view bytes, const WireLimits& limits,
                        Frame& frame) {
  switch (static_cast<FrameKind>(kind)) {
    case FrameKind::kHello:
      return DecodeInto<Hello>(frame, "hello", limits, bytes, DecodeHello);
    case FrameKind::kWelcome:
      return DecodeInto<Welcome>(frame, "welcome", limits, bytes, DecodeWelcome);
    case FrameKind::kRegister:
      return DecodeInto<Register>(frame, "register", limits, bytes, DecodeRegister);
    case FrameKind::kCall:
      return DecodeInto<Call>(frame, "call", limits, bytes, DecodeCall);
    case FrameKind::kReply:
      return DecodeInto<Reply>(frame, "reply", limits, bytes, DecodeReply);
    case FrameKind::kCancel:
      return DecodeInto<Cancel>(frame, "cancel", limits, bytes,
                                [](const FieldReader& f, absl::string_view b, Cancel& out) {
                                  return ForEachField(
                                      b, f.message, [&](uint32_t n, WireType t, Reader& r) {
                                        if (n == 1) return f.Varint(t, r, out.call_id, "call_id");
                                        return f.Skip(t, r);
                                      });
                                });
    case FrameKind::kRelease:
      return DecodeInto<Release>(frame, "release", limits, bytes, DecodeRelease);
    case FrameKind::kPublish:
      return DecodeInto<Publish>(frame, "publish", limits, bytes, DecodePublish);
    case FrameKind::kSubscribe:
      return DecodeInto<Subscribe>(frame, "subscribe", limits, bytes, DecodeSubscribe);
    case FrameKind::kPing:
      return DecodeInto<Ping>(frame, "ping", limits, bytes, DecodeNonce<Ping>);
    case FrameKind::kPong:
      return DecodeInto<Pong>(frame, "pong", limits, bytes, DecodeNonce<Pong>);
    case FrameKind::kGoAway:
      return DecodeInto<GoAway>(frame, "go_away", limits, bytes, DecodeGoAway);
  }
  return absl::UnimplementedError(absl::StrCat("wire: unknown frame kind ", kind));
}

}  // namespace

absl::Status DecodeFrameBody(absl::string_view body, const WireLimits& limits, Frame& frame) {
  Reader reader(body);
  uint32_t kind = 0;
  WireType type;
  if (reader.done()) return absl::InvalidArgumentError("wire: frame has no kind");
  if (!reader.ReadTag(kind, type) || type != WireType::kLengthDelimited) {
    return absl::InvalidArgumentError("wire: frame: kind malformed");
  }
  absl::string_view bytes;
  if (!reader.ReadBytes(bytes)) return absl::InvalidArgumentError("wire: frame: kind malformed");
  if (!reader.done()) return absl::InvalidArgumentError("wire: frame has more than one kind");
  return DecodeKind(kind, bytes, limits, frame);
}

absl::Status WireDecoder::Feed(absl::string_view bytes) {
  if (!status_.ok()) return status_;
  if (input_.empty()) {
    input_ = bytes;
    return absl::OkStatus();
  }
  // The caller did not drain, so the unread input may hold several frames: read on from one copy
  // of everything not yet decoded, in order (`pending_` holds at most one frame).
  std::string joined = absl::StrCat(pending_, input_, bytes);
  pending_.clear();
  joined_ = std::move(joined);
  input_ = joined_;
  return absl::OkStatus();
}

std::optional<Frame> WireDecoder::Next() {
  if (!status_.ok()) return std::nullopt;
  std::optional<absl::string_view> body = TakeFrameBody();
  if (!body.has_value()) return std::nullopt;
  Frame frame;
  if (absl::Status s = DecodeFrameBody(*body, limits_, frame); !s.ok()) {
    Poison(std::move(s));
    return std::nullopt;
  }
  return frame;
}

std::optional<absl::string_view> WireDecoder::TakeFrameBody() {
  if (pending_.empty()) {
    if (input_.size() >= kLengthPrefixBytes) {
      const uint32_t length = internal::ReadBigEndian32(input_.data());
      if (length > limits_.max_frame_bytes) {
        Poison(TooLarge(length));
        return std::nullopt;
      }
      if (input_.size() - kLengthPrefixBytes >= length) {
        absl::string_view body = input_.substr(kLengthPrefixBytes, length);
        input_.remove_prefix(kLengthPrefixBytes + length);
        return body;
      }
    }
    pending_.assign(input_.data(), input_.size());
    input_ = absl::string_view();
    return std::nullopt;
  }
  // Gather a split frame: first the prefix, then the body.
  if (pending_.size() < kLengthPrefixBytes) {
    const std::size_t take = std::min(kLengthPrefixBytes - pending_.size(), input_.size());
    pending_.append(input_.data(), take);
    input_.remove_prefix(take);
    if (pending_.size() < kLengthPrefixBytes) return std::nullopt;
  }
  const uint32_t length = internal::ReadBigEndian32(pending_.data());
  if (length > limits_.max_frame_bytes) {
    Poison(TooLarge(length));
    return std::nullopt;
  }
  const std::size_t total = kLengthPrefixBytes + length;
  const std::size_t take = std::min(total - pending_.size(), input_.size());
  pending_.append(input_.data(), take);
  input_.remove_prefix(take);
  if (pending_.size() < total) return std::nullopt;
  frame_.swap(pending_);
  pending_.clear();
  return absl::string_view(frame_).substr(kLengthPrefixBytes);
}

absl::Status WireDecoder::TooLarge(uint32_t length) const {
  return absl::ResourceExhaustedError(absl::StrCat(
      "wire: frame of ", length, " bytes exceeds the limit of ", limits_.max_frame_bytes));
}

void WireDecoder::Poison(absl::Status status) {
  status_ = std::move(status);
  pending_.clear();
  input_ = absl::string_view();
}

}  // namespace weft::protocols::wire
