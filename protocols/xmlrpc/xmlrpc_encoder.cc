#include "protocols/xmlrpc/xmlrpc_encoder.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "protocols/xmlrpc/date_time.h"
#include "protocols/xmlrpc/xmlrpc_types.h"

namespace weft::protocols::xmlrpc {
namespace {

constexpr absl::string_view kDeclaration = "<?xml version=\"1.0\"?>";
constexpr std::size_t kNoError = std::numeric_limits<std::size_t>::max();

// What each byte needs in character data.
enum ByteClass : uint8_t {
  kCopy,
  kEscapeAmp,
  kEscapeLt,
  kEscapeGt,
  kEscapeCr,
  kForbidden,  // A control character XML 1.0 cannot carry, even as a character reference.
  kNonAscii,
};

constexpr std::array<uint8_t, 256> MakeByteClasses() {
  std::array<uint8_t, 256> classes{};
  for (int b = 0; b < 0x20; ++b) classes[b] = kForbidden;
  classes['\t'] = kCopy;
  classes['\n'] = kCopy;
  classes['\r'] = kEscapeCr;
  classes['&'] = kEscapeAmp;
  classes['<'] = kEscapeLt;
  classes['>'] = kEscapeGt;
  for (int b = 0x80; b < 0x100; ++b) classes[b] = kNonAscii;
  return classes;
}
constexpr std::array<uint8_t, 256> kByteClasses = MakeByteClasses();

bool InRange(unsigned char b, unsigned char lo, unsigned char hi) { return b >= lo && b <= hi; }

// The length of the UTF-8 sequence starting at `p` (n bytes left, n >= 1, p[0] >= 0x80) when
// it is well formed (RFC 3629: no overlongs, no surrogates, at most U+10FFFF) and an XML 1.0
// Char (not U+FFFE or U+FFFF); 0 otherwise.
std::size_t XmlCharLength(const unsigned char* p, std::size_t n) {
  const unsigned char b0 = p[0];
  if (InRange(b0, 0xC2, 0xDF)) return n >= 2 && InRange(p[1], 0x80, 0xBF) ? 2 : 0;
  if (InRange(b0, 0xE0, 0xEF)) {
    if (n < 3) return 0;
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    if (!InRange(p[1], lo, hi) || !InRange(p[2], 0x80, 0xBF)) return 0;
    if (b0 == 0xEF && p[1] == 0xBF && p[2] >= 0xBE) return 0;  // U+FFFE, U+FFFF
    return 3;
  }
  if (InRange(b0, 0xF0, 0xF4)) {
    if (n < 4) return 0;
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (!InRange(p[1], lo, hi) || !InRange(p[2], 0x80, 0xBF) || !InRange(p[3], 0x80, 0xBF)) {
      return 0;
    }
    return 4;
  }
  return 0;
}

// Appends `text` as XML character data. With `replace`, each byte that does not start a
// character XML can carry becomes U+FFFD and the result is kNoError; otherwise the text is
// appended up to the first such byte, whose offset is returned.
std::size_t AppendEscaped(absl::string_view text, bool replace, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t run = 0;  // Start of the bytes not yet appended.
  std::size_t i = 0;
  while (i < n) {
    const uint8_t byte_class = kByteClasses[p[i]];
    if (byte_class == kCopy) {
      ++i;
      continue;
    }
    if (byte_class == kNonAscii) {
      if (const std::size_t length = XmlCharLength(p + i, n - i); length != 0) {
        i += length;
        continue;
      }
    }
    out.append(text.data() + run, i - run);
    switch (byte_class) {
      case kEscapeAmp:
        out.append("&amp;");
        break;
      case kEscapeLt:
        out.append("&lt;");
        break;
      case kEscapeGt:
        out.append("&gt;");
        break;
      case kEscapeCr:
        out.append("&#13;");
        break;
      default:  // kForbidden, or kNonAscii that is not an XML character.
        if (!replace) return i;
        out.append("\xEF\xBF\xBD");
    }
    run = ++i;
  }
  out.append(text.data() + run, n - run);
  return kNoError;
}

absl::Status CannotCarry(absl::string_view what, absl::string_view text, std::size_t at) {
  const auto byte = static_cast<unsigned char>(text[at]);
  if (byte < 0x80) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "xmlrpc: %s holds U+%04X at byte %d, which XML 1.0 cannot carry", what, byte, at));
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("xmlrpc: %s holds invalid UTF-8 or U+FFFE/U+FFFF at byte %d", what, at));
}

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// RFC 4648 §4 with padding and no line breaks.
void AppendBase64Text(absl::string_view bytes, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  const std::size_t start = out.size();
  out.resize(start + (n + 2) / 3 * 4);
  char* o = out.data() + start;
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    *o++ = kBase64Alphabet[v >> 18];
    *o++ = kBase64Alphabet[(v >> 12) & 63];
    *o++ = kBase64Alphabet[(v >> 6) & 63];
    *o++ = kBase64Alphabet[v & 63];
  }
  if (i < n) {
    const bool two = i + 1 < n;
    const uint32_t v = (uint32_t{p[i]} << 16) | (two ? uint32_t{p[i + 1]} << 8 : 0);
    *o++ = kBase64Alphabet[v >> 18];
    *o++ = kBase64Alphabet[(v >> 12) & 63];
    *o++ = two ? kBase64Alphabet[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
}

// Spec: "decimal point notation ... a plus or a minus, followed by any number of numeric
// characters, followed by a period and any number of numeric characters". Writes the shortest
// digits that read back to `value` (what Python's repr() picks), placed without an exponent:
// 1e100 is "1" and 100 zeros, then ".0". At most 330 characters (the smallest subnormal).
void AppendDecimal(double value, std::string& out) {
  char buffer[32];  // "-d.dddddddddddddddde-308" at most.
  const std::to_chars_result result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  absl::string_view text(buffer, result.ptr - buffer);
  if (!text.empty() && text.front() == '-') {
    out.push_back('-');
    text.remove_prefix(1);
  }
  const std::size_t e = text.find('e');
  absl::string_view exponent_text = text.substr(e + 1);
  if (exponent_text.front() == '+') exponent_text.remove_prefix(1);
  int exponent = 0;
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  // The significant digits without the point, and how many of them precede it.
  char digits[20];
  std::size_t count = 0;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits[count++] = c;
  }
  const int point = exponent + 1;
  if (point <= 0) {
    out.append("0.");
    out.append(static_cast<std::size_t>(-point), '0');
    out.append(digits, count);
    return;
  }
  const auto integer_digits = static_cast<std::size_t>(point);
  if (integer_digits >= count) {
    out.append(digits, count);
    out.append(integer_digits - count, '0');
    out.append(".0");
  } else {
    out.append(digits, integer_digits);
    out.push_back('.');
    out.append(digits + integer_digits, count - integer_digits);
  }
}

}  // namespace

// --- ValueWriter -------------------------------------------------------------------------------

void ValueWriter::Fail(absl::Status status) {
  if (status_.ok()) status_ = std::move(status);
}

void ValueWriter::AppendNil() { out_.append("<value><nil/></value>"); }

void ValueWriter::AppendBoolean(bool value) {
  out_.append(value ? "<value><boolean>1</boolean></value>"
                    : "<value><boolean>0</boolean></value>");
}

void ValueWriter::AppendInt(int64_t value) {
  if (value >= std::numeric_limits<int32_t>::min() &&
      value <= std::numeric_limits<int32_t>::max()) {
    absl::StrAppend(&out_, "<value><int>", value, "</int></value>");
  } else {
    absl::StrAppend(&out_, "<value><i8>", value, "</i8></value>");
  }
}

void ValueWriter::AppendDouble(double value) {
  if (!std::isfinite(value)) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("xmlrpc: double ", value, " has no XML-RPC representation")));
  }
  out_.append("<value><double>");
  AppendDecimal(value, out_);
  out_.append("</double></value>");
}

void ValueWriter::AppendString(absl::string_view text) {
  out_.append("<value><string>");
  if (const std::size_t bad = AppendEscaped(text, /*replace=*/false, out_); bad != kNoError) {
    return Fail(CannotCarry("string", text, bad));
  }
  out_.append("</string></value>");
}

void ValueWriter::AppendBase64(absl::string_view bytes) {
  out_.append("<value><base64>");
  AppendBase64Text(bytes, out_);
  out_.append("</base64></value>");
}

void ValueWriter::AppendDateTime(const DateTime& value) {
  absl::StatusOr<std::string> text = FormatDateTime(value);
  if (!text.ok()) return Fail(text.status());
  absl::StrAppend(&out_, "<value><dateTime.iso8601>", *text, "</dateTime.iso8601></value>");
}

void ValueWriter::AppendValue(ValueRef value) {
  switch (value.type()) {
    case ValueType::kNil:
      return AppendNil();
    case ValueType::kBoolean:
      return AppendBoolean(value.bool_value());
    case ValueType::kInt:
      return AppendInt(value.int_value());
    case ValueType::kDouble:
      return AppendDouble(value.double_value());
    case ValueType::kString:
      return AppendString(value.string_value());
    case ValueType::kBase64:
      return AppendBase64(value.string_value());
    case ValueType::kDateTime:
      out_.append("<value><dateTime.iso8601>");
      // Checked when the tree was built; escaping keeps even a bad text well-formed.
      AppendEscaped(value.string_value(), /*replace=*/true, out_);
      out_.append("</dateTime.iso8601></value>");
      return;
    case ValueType::kArray:
      BeginArray();
      for (ValueRef element : value.elements()) AppendValue(element);
      return EndArray();
    case ValueType::kStruct:
      BeginStruct();
      for (const Member& member : value.members()) {
        BeginMember(member.name);
        AppendValue(member.value);
        EndMember();
      }
      return EndStruct();
  }
}

void ValueWriter::BeginArray() { out_.append("<value><array><data>"); }

void ValueWriter::EndArray() { out_.append("</data></array></value>"); }

void ValueWriter::BeginStruct() { out_.append("<value><struct>"); }

void ValueWriter::BeginMember(absl::string_view name) {
  out_.append("<member><name>");
  if (const std::size_t bad = AppendEscaped(name, /*replace=*/false, out_); bad != kNoError) {
    return Fail(CannotCarry("member name", name, bad));
  }
  out_.append("</name>");
}

void ValueWriter::EndMember() { out_.append("</member>"); }

void ValueWriter::EndStruct() { out_.append("</struct></value>"); }

// --- Documents ---------------------------------------------------------------------------------

void AppendResponseBegin(std::string& out) {
  absl::StrAppend(&out, kDeclaration, "<methodResponse><params><param>");
}

void AppendResponseEnd(std::string& out) { out.append("</param></params></methodResponse>"); }

absl::Status EncodeResponse(ValueRef value, std::string& out) {
  const std::size_t start = out.size();
  AppendResponseBegin(out);
  ValueWriter writer(out);
  writer.AppendValue(value);
  if (!writer.status().ok()) {
    out.resize(start);
    return writer.status();
  }
  AppendResponseEnd(out);
  return absl::OkStatus();
}

void AppendFaultValue(const Fault& fault, ValueWriter& writer) {
  writer.BeginStruct();
  writer.BeginMember("faultCode");
  writer.AppendInt(fault.code);
  writer.EndMember();
  writer.BeginMember("faultString");
  writer.out_.append("<value><string>");
  AppendEscaped(fault.message, /*replace=*/true, writer.out_);
  writer.out_.append("</string></value>");
  writer.EndMember();
  writer.EndStruct();
}

void EncodeFault(const Fault& fault, std::string& out) {
  absl::StrAppend(&out, kDeclaration, "<methodResponse><fault>");
  ValueWriter writer(out);
  AppendFaultValue(fault, writer);
  out.append("</fault></methodResponse>");
}

absl::Status EncodeCall(absl::string_view method_name, ValueRef params, std::string& out) {
  if (!IsValidMethodName(method_name)) {
    return absl::InvalidArgumentError(
        "xmlrpc: a methodName must be non-empty and only A-Z a-z 0-9 _ . : /");
  }
  if (params.type() != ValueType::kArray) {
    return absl::InvalidArgumentError("xmlrpc: the params of a methodCall must be an array");
  }
  const std::size_t start = out.size();
  absl::StrAppend(&out, kDeclaration, "<methodCall><methodName>", method_name,
                  "</methodName><params>");
  ValueWriter writer(out);
  for (ValueRef param : params.elements()) {
    out.append("<param>");
    writer.AppendValue(param);
    out.append("</param>");
  }
  if (!writer.status().ok()) {
    out.resize(start);
    return writer.status();
  }
  out.append("</params></methodCall>");
  return absl::OkStatus();
}

}  // namespace weft::protocols::xmlrpc
