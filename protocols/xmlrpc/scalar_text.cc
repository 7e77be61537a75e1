#include "protocols/xmlrpc/scalar_text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace weft::protocols::xmlrpc::internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The text as it appears in error messages: at most 40 bytes, C-escaped.
std::string Quote(absl::string_view text) {
  return absl::StrCat("'", absl::CHexEscape(text.substr(0, 40)), text.size() > 40 ? "...'" : "'");
}

absl::Status Bad(absl::string_view element, absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat("xmlrpc: bad <", element, "> ", Quote(text)));
}

absl::Status OutOfRange(absl::string_view element, absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("xmlrpc: <", element, "> ", Quote(text), " out of range"));
}

// Skips the digits at text[i...]; returns how many there were.
std::size_t SkipDigits(absl::string_view text, std::size_t& i) {
  const std::size_t start = i;
  while (i < text.size() && IsDigit(text[i])) ++i;
  return i - start;
}

// [+-]? digits* (. digits*)? ([eE] [+-]? digits+)? with at least one mantissa digit.
bool IsDecimal(absl::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  std::size_t digits = SkipDigits(text, i);
  if (i < text.size() && text[i] == '.') {
    ++i;
    digits += SkipDigits(text, i);
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (SkipDigits(text, i) == 0) return false;
  }
  return i == text.size();
}

constexpr int8_t kBase64Invalid = -1;
constexpr int8_t kBase64Space = -2;
constexpr int8_t kBase64Pad = -3;

constexpr std::array<int8_t, 256> MakeBase64Table() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = kBase64Invalid;
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  table[' '] = table['\t'] = table['\n'] = table['\r'] = kBase64Space;
  table['='] = kBase64Pad;
  return table;
}
constexpr std::array<int8_t, 256> kBase64Table = MakeBase64Table();

absl::Status BadBase64(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("xmlrpc: bad <base64>: ", why));
}

}  // namespace

bool IsXmlWhitespace(absl::string_view text) {
  for (char c : text) {
    if (!IsSpace(c)) return false;
  }
  return true;
}

absl::string_view TrimXmlWhitespace(absl::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

absl::StatusOr<int64_t> ParseIntText(absl::string_view text, absl::string_view element, int64_t min,
                                     int64_t max) {
  absl::string_view digits = text;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) digits.remove_prefix(1);
  if (digits.empty()) return Bad(element, text);
  // Accumulate the magnitude, stopping once it passes 2^63 (the magnitude of INT64_MIN).
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  uint64_t magnitude = 0;
  bool overflow = false;
  for (char c : digits) {
    if (!IsDigit(c)) return Bad(element, text);
    if (!overflow) {
      magnitude = magnitude * 10 + static_cast<uint64_t>(c - '0');
      overflow = magnitude > kLimit;
    }
  }
  if (overflow || (!negative && magnitude == kLimit)) return OutOfRange(element, text);
  const int64_t value =
      negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  if (value < min || value > max) return OutOfRange(element, text);
  return value;
}

absl::StatusOr<bool> ParseBooleanText(absl::string_view text) {
  if (text == "0") return false;
  if (text == "1") return true;
  return Bad("boolean", text);
}

absl::StatusOr<double> ParseDoubleText(absl::string_view text) {
  if (!IsDecimal(text)) return Bad("double", text);
  // std::from_chars takes no leading '+'.
  const absl::string_view number = text.front() == '+' ? text.substr(1) : text;
  double value = 0;
  const std::from_chars_result result =
      std::from_chars(number.data(), number.data() + number.size(), value);
  if (result.ec == std::errc::result_out_of_range || !std::isfinite(value)) {
    return OutOfRange("double", text);
  }
  if (result.ec != std::errc() || result.ptr != number.data() + number.size()) {
    return Bad("double", text);
  }
  return value;
}

absl::Status DecodeBase64InPlace(std::string& text) {
  char* data = text.data();
  std::size_t out = 0;  // Decoded bytes written, always behind the read position.
  uint32_t group = 0;   // Sextets of the current group of 4, most significant first.
  int in_group = 0;     // Sextets in `group`.
  int padding = 0;      // '=' seen.
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int8_t value = kBase64Table[static_cast<unsigned char>(data[i])];
    if (value >= 0) {
      if (padding != 0) return BadBase64("data after '='");
      group = (group << 6) | static_cast<uint32_t>(value);
      if (++in_group == 4) {
        data[out++] = static_cast<char>(group >> 16);
        data[out++] = static_cast<char>(group >> 8);
        data[out++] = static_cast<char>(group);
        group = 0;
        in_group = 0;
      }
    } else if (value == kBase64Pad) {
      // Only "xx==" or "xxx=" ends the text.
      if (in_group < 2 || in_group + ++padding > 4) return BadBase64("misplaced '='");
    } else if (value == kBase64Invalid) {
      return BadBase64(absl::StrCat("invalid character at offset ", i));
    }
  }
  if (in_group + padding != 0 && in_group + padding != 4) {
    return BadBase64("length is not a multiple of 4");
  }
  if (in_group == 2) {
    data[out++] = static_cast<char>(group >> 4);
  } else if (in_group == 3) {
    data[out++] = static_cast<char>(group >> 10);
    data[out++] = static_cast<char>(group >> 2);
  }
  text.resize(out);
  return absl::OkStatus();
}

}  // namespace weft::protocols::xmlrpc::internal
