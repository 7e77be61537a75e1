// The few pieces of the protobuf wire format the wire codec needs: varints, tags and
// length-delimited fields (https://protobuf.dev/programming-guides/encoding/).
//
// Part of //protocols/wire; internal to the codec.
#ifndef WEFT_PROTOCOLS_WIRE_WIRE_FORMAT_H_
#define WEFT_PROTOCOLS_WIRE_WIRE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace weft::protocols::wire::internal {

enum class WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

inline uint32_t ReadBigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}

inline void WriteBigEndian32(uint32_t value, char* p) {
  p[0] = static_cast<char>(value >> 24);
  p[1] = static_cast<char>(value >> 16);
  p[2] = static_cast<char>(value >> 8);
  p[3] = static_cast<char>(value);
}

// Bounds-checked reader over one message's bytes. Every method returns false on truncated or
// malformed input and never reads past the end.
class Reader {
 public:
  explicit Reader(absl::string_view data) : data_(data) {}

  bool done() const { return pos_ == data_.size(); }

  bool ReadVarint(uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ == data_.size()) return false;
      const uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      value |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80u) == 0) return shift < 63 || byte <= 1;
    }
    return false;  // More than 10 bytes.
  }

  bool ReadTag(uint32_t& number, WireType& type) {
    uint64_t tag;
    if (!ReadVarint(tag) || tag > UINT32_MAX) return false;
    number = static_cast<uint32_t>(tag >> 3);
    type = static_cast<WireType>(tag & 7);
    return number != 0;
  }

  bool ReadBytes(absl::string_view& out) {
    uint64_t length;
    if (!ReadVarint(length) || length > data_.size() - pos_) return false;
    out = data_.substr(pos_, static_cast<std::size_t>(length));
    pos_ += static_cast<std::size_t>(length);
    return true;
  }

  // Skips a field of an unknown number. Groups (deprecated, never produced by Weft) are refused.
  bool Skip(WireType type) {
    uint64_t ignored;
    absl::string_view bytes;
    switch (type) {
      case WireType::kVarint:
        return ReadVarint(ignored);
      case WireType::kFixed64:
        return Advance(8);
      case WireType::kLengthDelimited:
        return ReadBytes(bytes);
      case WireType::kFixed32:
        return Advance(4);
      default:
        return false;
    }
  }

 private:
  bool Advance(std::size_t n) {
    if (n > data_.size() - pos_) return false;
    pos_ += n;
    return true;
  }

  absl::string_view data_;
  std::size_t pos_ = 0;
};

inline std::size_t VarintSize(uint64_t value) {
  std::size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

inline void AppendVarint(uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

inline void AppendTag(uint32_t number, WireType type, std::string& out) {
  AppendVarint((uint64_t{number} << 3) | static_cast<uint32_t>(type), out);
}

inline std::size_t TagSize(uint32_t number) { return VarintSize(uint64_t{number} << 3); }

}  // namespace weft::protocols::wire::internal

#endif  // WEFT_PROTOCOLS_WIRE_WIRE_FORMAT_H_
