#include "protocols/http/message_parser.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace weft::protocols::http::internal {
namespace {

enum CharClass : uint8_t {
  kTokenChar = 1,   // tchar, RFC 9110 §5.6.2.
  kValueChar = 2,   // VCHAR / obs-text / SP / HTAB, RFC 9110 §5.5.
  kTargetChar = 4,  // VCHAR, RFC 9112 §3.2 (a request-target has no whitespace).
  kHostChar = 8,    // RFC 3986 §3.2.2 reg-name / IP-literal characters, and ':' for the port.
};

constexpr std::array<uint8_t, 256> MakeCharClasses() {
  std::array<uint8_t, 256> table{};
  for (int c = 0x21; c <= 0x7e; ++c) table[c] |= kValueChar | kTargetChar;
  for (int c = 0x80; c <= 0xff; ++c) table[c] |= kValueChar;
  table[' '] |= kValueChar;
  table['\t'] |= kValueChar;
  for (int c = '0'; c <= '9'; ++c) table[c] |= kTokenChar | kHostChar;
  for (int c = 'a'; c <= 'z'; ++c) table[c] |= kTokenChar | kHostChar;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] |= kTokenChar | kHostChar;
  for (char c : absl::string_view("!#$%&'*+-.^_`|~")) table[static_cast<uint8_t>(c)] |= kTokenChar;
  for (char c : absl::string_view("-._~%!$&'()*+,;=:[]")) {
    table[static_cast<uint8_t>(c)] |= kHostChar;
  }
  return table;
}

constexpr std::array<uint8_t, 256> kCharClasses = MakeCharClasses();

bool AllOf(absl::string_view s, uint8_t char_class) {
  for (char c : s) {
    if ((kCharClasses[static_cast<uint8_t>(c)] & char_class) == 0) return false;
  }
  return true;
}

bool IsOws(char c) { return c == ' ' || c == '\t'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses one Content-Length value (all its list members) into `fields`.
void AddContentLength(absl::string_view value, FramingFields& fields) {
  bool any = false;
  while (true) {
    const std::size_t comma = value.find(',');
    const absl::string_view member = TrimOws(value.substr(0, comma));
    if (member.empty()) fields.content_length_invalid = true;
    uint64_t length = 0;
    for (char c : member) {
      if (c < '0' || c > '9') {
        fields.content_length_invalid = true;
        break;
      }
      const uint64_t digit = static_cast<uint64_t>(c - '0');
      constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
      length = length > (kMax - digit) / 10 ? kMax : length * 10 + digit;
    }
    if ((fields.has_content_length || any) && length != fields.content_length) {
      fields.content_length_conflict = true;
    }
    fields.content_length = length;
    any = true;
    if (comma == absl::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  fields.has_content_length = true;
}

void AddTransferEncoding(absl::string_view value, FramingFields& fields) {
  fields.has_transfer_encoding = true;
  ForEachListMember(value, [&](absl::string_view coding) {
    ++fields.coding_count;
    fields.chunked_last = absl::EqualsIgnoreCase(coding, "chunked");
    if (fields.chunked_last) ++fields.chunked_count;
  });
}

void AddConnection(absl::string_view value, FramingFields& fields) {
  ForEachListMember(value, [&](absl::string_view option) {
    if (absl::EqualsIgnoreCase(option, "close")) fields.close = true;
    if (absl::EqualsIgnoreCase(option, "keep-alive")) fields.keep_alive = true;
  });
}

// chunk-size [ chunk-ext ]: false when malformed; `size` saturates at UINT64_MAX.
bool ParseChunkSize(absl::string_view text, uint64_t& size) {
  std::size_t digits = 0;
  for (; digits < text.size() && HexValue(text[digits]) >= 0; ++digits) {
    size = size > (std::numeric_limits<uint64_t>::max() >> 4)
               ? std::numeric_limits<uint64_t>::max()
               : (size << 4) | static_cast<uint64_t>(HexValue(text[digits]));
  }
  text.remove_prefix(digits);
  const absl::string_view ext = TrimOws(text);
  return digits > 0 && (text.empty() || (!ext.empty() && ext.front() == ';')) && IsFieldValue(ext);
}

}  // namespace

bool IsToken(absl::string_view s) { return !s.empty() && AllOf(s, kTokenChar); }
bool IsFieldValue(absl::string_view s) { return AllOf(s, kValueChar); }
bool IsTarget(absl::string_view s) { return !s.empty() && AllOf(s, kTargetChar); }
bool IsHost(absl::string_view s) { return AllOf(s, kHostChar); }

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

VersionResult ParseVersion(absl::string_view text, int& minor) {
  if (text.size() != 8 || !absl::StartsWith(text, "HTTP/") || !absl::ascii_isdigit(text[5]) ||
      text[6] != '.' || !absl::ascii_isdigit(text[7])) {
    return VersionResult::kMalformed;
  }
  if (text[5] != '1') return VersionResult::kUnsupportedMajor;
  minor = text[7] - '0';
  return VersionResult::kOk;
}

void FramingFields::Add(absl::string_view name, absl::string_view value) {
  switch (name.size()) {
    case 10:
      if (absl::EqualsIgnoreCase(name, "connection")) AddConnection(value, *this);
      break;
    case 14:
      if (absl::EqualsIgnoreCase(name, "content-length")) AddContentLength(value, *this);
      break;
    case 17:
      if (absl::EqualsIgnoreCase(name, "transfer-encoding")) AddTransferEncoding(value, *this);
      break;
    default:
      break;
  }
}

// --- Buffer -----------------------------------------------------------------------------------

void MessageParser::Append(absl::string_view bytes) {
  Release();
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > 0) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes.data(), bytes.size());
}

void MessageParser::Release() {
  if (!delivered_) return;
  delivered_ = false;
  start_ += pos_;
  pos_ = 0;
  scan_ = 0;
  section_start_ = 0;
  body_kind_ = BodyKind::kFixed;
  chunk_state_ = ChunkState::kSize;
  body_start_ = 0;
  body_length_ = 0;
  chunk_remaining_ = 0;
  trailers_.clear();
}

void MessageParser::Clear() {
  delivered_ = true;
  Release();
  buffer_.clear();
  start_ = 0;
}

absl::string_view MessageParser::Peek(std::size_t max_bytes) const {
  return absl::string_view(buffer_.data() + start_ + pos_, std::min(max_bytes, available()));
}

void MessageParser::AppendViews(const std::vector<FieldSpan>& spans,
                                std::vector<HttpHeader>& out) const {
  for (const FieldSpan& span : spans) out.push_back({View(span.name), View(span.value)});
}

// --- Head -------------------------------------------------------------------------------------

void MessageParser::SkipEmptyLines() {
  const char* data = buffer_.data();
  while (pos_ == 0 && start_ < buffer_.size()) {
    if (data[start_] == '\n') {
      ++start_;
    } else if (data[start_] == '\r' && start_ + 1 < buffer_.size() && data[start_ + 1] == '\n') {
      start_ += 2;
    } else {
      break;
    }
    scan_ = 0;
  }
}

MessageParser::LineResult MessageParser::ReadLine(std::size_t max_bytes, Line& line) {
  const char* base = buffer_.data() + start_;
  const std::size_t end = buffer_.size() - start_;
  const std::size_t from = std::max(scan_, pos_);
  const void* lf = from < end ? std::memchr(base + from, '\n', end - from) : nullptr;
  if (lf == nullptr) {
    scan_ = end;
    const std::size_t seen = end - pos_;
    // Even if the next byte ends it, the line would be longer than allowed.
    return seen > 0 && seen >= max_bytes ? LineResult::kTooLong : LineResult::kNeedMore;
  }
  const std::size_t lf_at = static_cast<const char*>(lf) - base;
  if (lf_at - pos_ + 1 > max_bytes) return LineResult::kTooLong;
  std::size_t text_end = lf_at;
  line.crlf = text_end > pos_ && base[text_end - 1] == '\r';
  if (line.crlf) --text_end;
  line.text = Span{pos_, text_end - pos_};
  pos_ = lf_at + 1;
  scan_ = pos_;
  return LineResult::kLine;
}

Step MessageParser::ReadFields(std::size_t max_bytes, absl::string_view what,
                               std::vector<FieldSpan>& fields) {
  while (true) {
    const std::size_t used = pos_ - section_start_;
    Line line;
    switch (ReadLine(used >= max_bytes ? 0 : max_bytes - used, line)) {
      case LineResult::kNeedMore:
        return Step::kNeedMore;
      case LineResult::kTooLong:
        return Fail(absl::ResourceExhaustedError(
                        absl::StrCat("http: ", what, " exceeds ", max_bytes, " bytes")),
                    431);
      case LineResult::kLine:
        break;
    }
    if (line.text.length == 0) return Step::kDone;
    if (fields.size() >= limits_.max_header_count) {
      return Fail(absl::ResourceExhaustedError(absl::StrCat("http: ", what, " has more than ",
                                                            limits_.max_header_count, " fields")),
                  431);
    }
    if (!ParseFieldLine(line.text, what, fields)) return Step::kFailed;
  }
}

// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5), in one pass over the name.
bool MessageParser::ParseFieldLine(Span line, absl::string_view what,
                                   std::vector<FieldSpan>& fields) {
  const absl::string_view text = View(line);
  std::size_t colon = 0;
  while (colon < text.size() && (kCharClasses[static_cast<uint8_t>(text[colon])] & kTokenChar)) {
    ++colon;
  }
  // RFC 9112 §5.2 (obs-fold) and §2.2 (whitespace before the first field) end up here as an
  // empty name; §5.1 (whitespace before the colon) as a name not followed by ':'. All get 400.
  if (colon == 0 || colon == text.size() || text[colon] != ':') {
    Fail(absl::InvalidArgumentError(absl::StrCat(
             "http: ", what,
             IsOws(text.front()) ? ": line starts with whitespace" : ": bad field name")),
         400);
    return false;
  }
  const absl::string_view value = TrimOws(text.substr(colon + 1));
  // RFC 9110 §5.5: CR, LF and NUL (and other controls) are invalid in a field value.
  if (!IsFieldValue(value)) {
    Fail(absl::InvalidArgumentError(absl::StrCat("http: ", what, ": bad field value")), 400);
    return false;
  }
  const std::size_t value_offset = line.offset + (value.data() - text.data());
  fields.push_back({Span{line.offset, colon}, Span{value_offset, value.size()}});
  return true;
}

// --- Body -------------------------------------------------------------------------------------

void MessageParser::BeginFixedBody(uint64_t length) {
  body_kind_ = BodyKind::kFixed;
  body_start_ = pos_;
  body_length_ = length;
}

void MessageParser::BeginChunkedBody() {
  body_kind_ = BodyKind::kChunked;
  chunk_state_ = ChunkState::kSize;
  body_start_ = pos_;
  body_length_ = 0;
}

void MessageParser::BeginUntilCloseBody() {
  body_kind_ = BodyKind::kUntilClose;
  body_start_ = pos_;
  body_length_ = 0;
}

Step MessageParser::ReadBody() {
  switch (body_kind_) {
    case BodyKind::kFixed:
      if (available() < body_length_) return Step::kNeedMore;
      pos_ += body_length_;
      scan_ = pos_;
      return Step::kDone;
    case BodyKind::kChunked:
      return ReadChunked();
    case BodyKind::kUntilClose:
      return ReadUntilClose();
  }
  return Step::kFailed;
}

Span MessageParser::body() const {
  return Span{body_start_, static_cast<std::size_t>(body_length_)};
}

Step MessageParser::ReadChunked() {
  while (true) {
    Step step = Step::kDone;
    switch (chunk_state_) {
      case ChunkState::kSize:
        step = ReadChunkSize();
        break;
      case ChunkState::kData:
        step = ReadChunkData();
        break;
      case ChunkState::kDataEnd:
        step = ReadChunkDataEnd();
        break;
      case ChunkState::kTrailers:
        return ReadFields(limits_.max_trailer_bytes, "trailer section", trailers_);
    }
    if (step != Step::kDone) return step;
  }
}

// chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1). Extensions are checked for stray
// control characters and otherwise ignored (§7.1.1). Chunked framing is where request smuggling
// hides, so unlike the head it requires CRLF: §2.2's bare-LF allowance covers the start-line
// and fields only.
Step MessageParser::ReadChunkSize() {
  Line line;
  switch (ReadLine(limits_.max_chunk_line_bytes, line)) {
    case LineResult::kNeedMore:
      return Step::kNeedMore;
    case LineResult::kTooLong:
      return Fail(absl::InvalidArgumentError(absl::StrCat("http: chunk-size line exceeds ",
                                                          limits_.max_chunk_line_bytes, " bytes")),
                  400);
    case LineResult::kLine:
      break;
  }
  if (!line.crlf) return Fail(absl::InvalidArgumentError("http: chunk-size line without CR"), 400);
  uint64_t size = 0;
  if (!ParseChunkSize(View(line.text), size)) {
    return Fail(absl::InvalidArgumentError("http: bad chunk-size line"), 400);
  }
  if (size > limits_.max_body_bytes - body_length_) {
    return Fail(absl::ResourceExhaustedError(
                    absl::StrCat("http: chunked body exceeds ", limits_.max_body_bytes, " bytes")),
                413);
  }
  if (size == 0) {
    chunk_state_ = ChunkState::kTrailers;
    BeginFields();
  } else {
    chunk_remaining_ = size;
    chunk_state_ = ChunkState::kData;
  }
  return Step::kDone;
}

// Moves the chunk's data down to the end of the body decoded so far, over the chunk-size lines.
Step MessageParser::ReadChunkData() {
  const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(chunk_remaining_, available()));
  if (n > 0) {
    char* base = buffer_.data() + start_;
    const std::size_t to = body_start_ + body_length_;
    if (to != pos_) std::memmove(base + to, base + pos_, n);
    body_length_ += n;
    chunk_remaining_ -= n;
    pos_ += n;
    scan_ = pos_;
  }
  if (chunk_remaining_ > 0) return Step::kNeedMore;
  chunk_state_ = ChunkState::kDataEnd;
  return Step::kDone;
}

Step MessageParser::ReadChunkDataEnd() {
  const absl::string_view end = Peek(2);
  if (end != absl::string_view("\r\n", end.size())) {
    return Fail(absl::InvalidArgumentError("http: chunk data not followed by CRLF"), 400);
  }
  if (end.size() < 2) return Step::kNeedMore;
  pos_ += 2;
  scan_ = pos_;
  chunk_state_ = ChunkState::kSize;
  return Step::kDone;
}

Step MessageParser::ReadUntilClose() {
  body_length_ += available();
  pos_ += available();
  scan_ = pos_;
  if (body_length_ > limits_.max_body_bytes) {
    return Fail(absl::ResourceExhaustedError(
                    absl::StrCat("http: body exceeds ", limits_.max_body_bytes, " bytes")),
                413);
  }
  return Step::kNeedMore;
}

Step MessageParser::Fail(absl::Status status, int http_status) {
  failure_ = Failure{std::move(status), http_status};
  return Step::kFailed;
}

}  // namespace weft::protocols::http::internal
