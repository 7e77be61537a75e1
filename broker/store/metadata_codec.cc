#include "broker/store/metadata_codec.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace weft::broker::store {
namespace {

// A 64-bit LEB128 value takes at most 10 bytes.
constexpr int kMaxVarintBytes = 10;

void AppendVarint(uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Consumes one varint from the front of `in`; nullopt when it is truncated or overlong.
std::optional<uint64_t> ConsumeVarint(absl::string_view& in) {
  uint64_t value = 0;
  for (int i = 0; i < kMaxVarintBytes && i < static_cast<int>(in.size()); ++i) {
    const uint64_t byte = static_cast<unsigned char>(in[i]);
    if (i == kMaxVarintBytes - 1 && byte > 1) return std::nullopt;  // Beyond 64 bits.
    value |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      in.remove_prefix(i + 1);
      return value;
    }
  }
  return std::nullopt;
}

// Consumes one length-prefixed string from the front of `in`.
std::optional<std::string> ConsumeString(absl::string_view& in) {
  const std::optional<uint64_t> length = ConsumeVarint(in);
  if (!length.has_value() || *length > in.size()) return std::nullopt;
  std::string value(in.substr(0, static_cast<std::size_t>(*length)));
  in.remove_prefix(static_cast<std::size_t>(*length));
  return value;
}

absl::Status Corrupt(absl::string_view what) {
  return absl::InternalError(absl::StrCat("store: corrupt metadata: ", what));
}

}  // namespace

std::string EncodeMetadata(const Metadata& metadata) {
  std::string out(1, kMetadataFormatV1);
  for (const auto& [key, value] : metadata) {
    AppendVarint(key.size(), out);
    out.append(key);
    AppendVarint(value.size(), out);
    out.append(value);
  }
  return out;
}

absl::StatusOr<Metadata> DecodeMetadata(absl::string_view blob) {
  if (blob.empty()) return Corrupt("empty blob");
  if (blob.front() != kMetadataFormatV1) return Corrupt("unknown format");
  blob.remove_prefix(1);
  Metadata metadata;
  while (!blob.empty()) {
    std::optional<std::string> key = ConsumeString(blob);
    if (!key.has_value()) return Corrupt("bad key");
    std::optional<std::string> value = ConsumeString(blob);
    if (!value.has_value()) return Corrupt("bad value");
    metadata.emplace_back(*std::move(key), *std::move(value));
  }
  return metadata;
}

}  // namespace weft::broker::store
