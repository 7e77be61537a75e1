#include "protocols/jsonrpc/jsonrpc_encoder.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "protocols/jsonrpc/jsonrpc_types.h"
#include "reactor/base/check.h"

namespace weft::protocols::jsonrpc {
namespace {

constexpr absl::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD in UTF-8.

// Length of the valid UTF-8 sequence starting at text[i] (a byte >= 0x80), or 0 if there is
// none. RFC 3629 §4, the syntax of UTF8-2, UTF8-3 and UTF8-4.
std::size_t Utf8SequenceLength(absl::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) -> unsigned {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0u;
  };
  const auto tail = [](unsigned b) { return b >= 0x80 && b <= 0xBF; };
  const unsigned lead = byte(0);
  const unsigned second = byte(1);
  if (lead >= 0xC2 && lead <= 0xDF) return tail(second) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned low = lead == 0xE0 ? 0xA0 : 0x80;   // No overlong forms.
    const unsigned high = lead == 0xED ? 0x9F : 0xBF;  // No surrogates.
    return second >= low && second <= high && tail(byte(2)) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned low = lead == 0xF0 ? 0x90 : 0x80;   // No overlong forms.
    const unsigned high = lead == 0xF4 ? 0x8F : 0xBF;  // Nothing past U+10FFFF.
    return second >= low && second <= high && tail(byte(2)) && tail(byte(3)) ? 4 : 0;
  }
  return 0;
}

// Appends the escape for an ASCII byte that JSON does not allow raw in a string (RFC 8259 §7).
void AppendEscape(unsigned char c, std::string& out) {
  switch (c) {
    case '"':
      out.append("\\\"");
      return;
    case '\\':
      out.append("\\\\");
      return;
    case '\b':
      out.append("\\b");
      return;
    case '\f':
      out.append("\\f");
      return;
    case '\n':
      out.append("\\n");
      return;
    case '\r':
      out.append("\\r");
      return;
    case '\t':
      out.append("\\t");
      return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
  out.append(escape, sizeof(escape));
}

}  // namespace

void EncodeString(absl::string_view text, std::string& out) {
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  std::size_t run = 0;  // Start of the bytes not yet copied.
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    const std::size_t valid = c >= 0x80 ? Utf8SequenceLength(text, i) : 0;
    if (valid > 0) {
      i += valid;
      continue;
    }
    out.append(text.data() + run, i - run);
    if (c >= 0x80) {
      out.append(kReplacementCharacter.data(), kReplacementCharacter.size());
    } else {
      AppendEscape(c, out);
    }
    run = ++i;
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

void EncodeResult(absl::string_view id, absl::string_view result, std::string& out) {
  absl::StrAppend(&out, "{\"jsonrpc\":\"2.0\",\"result\":", result, ",\"id\":", id, "}");
}

void EncodeError(absl::string_view id, const ErrorObject& error, std::string& out) {
  absl::StrAppend(&out, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":", error.code, ",\"message\":");
  EncodeString(error.message, out);
  if (!error.data.empty()) absl::StrAppend(&out, ",\"data\":", error.data);
  absl::StrAppend(&out, "},\"id\":", id, "}");
}

void EncodeCallError(const CallError& error, std::string& out) {
  if (error.notification) return;
  EncodeError(error.id, ErrorObject{error.code, StandardErrorMessage(error.code), {}}, out);
}

absl::string_view StandardErrorMessage(int32_t code) {
  switch (code) {
    case kParseError:
      return "Parse error";
    case kInvalidRequest:
      return "Invalid Request";
    case kMethodNotFound:
      return "Method not found";
    case kInvalidParams:
      return "Invalid params";
    case kInternalError:
      return "Internal error";
    case kDeadlineExceededError:
      return "Deadline exceeded";
    case kUnavailableError:
      return "Unavailable";
    case kResourceExhaustedError:
      return "Resource exhausted";
    case kUnauthenticatedError:
      return "Unauthenticated";
    case kPermissionDeniedError:
      return "Permission denied";
    case kCancelledError:
      return "Cancelled";
  }
  return code >= kServerErrorFirst && code <= kServerErrorLast ? "Server error" : "Error";
}

void ResponseWriter::BeginResponse() {
  WEFT_DCHECK(batch_ || count_ == 0);  // A single request has one response.
  if (batch_) out_.push_back(count_ == 0 ? '[' : ',');
  ++count_;
}

void ResponseWriter::AddResult(absl::string_view id, absl::string_view result) {
  BeginResponse();
  EncodeResult(id, result, out_);
}

void ResponseWriter::AddError(absl::string_view id, const ErrorObject& error) {
  BeginResponse();
  EncodeError(id, error, out_);
}

void ResponseWriter::AddCallError(const CallError& error) {
  if (error.notification) return;
  BeginResponse();
  EncodeCallError(error, out_);
}

void ResponseWriter::AddEncoded(absl::string_view response) {
  BeginResponse();
  out_.append(response.data(), response.size());
}

std::size_t ResponseWriter::Finish() {
  if (batch_ && count_ > 0) out_.push_back(']');
  return count_;
}

}  // namespace weft::protocols::jsonrpc
