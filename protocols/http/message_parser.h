// MessageParser: the framing machinery HttpRequestDecoder and HttpResponseDecoder share.
//
// Internal to //protocols/http (listed in `srcs`, not `hdrs`). It owns the receive buffer and
// reads, from the current message's start, head lines (with the line-length caps), field
// sections (validated per RFC 9110 §5, kept as offsets) and bodies framed by Content-Length,
// by the chunked coding (de-chunked in place, so the body is one contiguous view) or by the
// connection closing. What a start line or a field means is the decoders' business.
//
// Offsets (Span) are relative to the start of the current message, so they survive the buffer
// growing or being compacted between Feed() calls. Nothing here allocates once the buffer and
// the field vectors have reached their working size.
#ifndef WEFT_PROTOCOLS_HTTP_MESSAGE_PARSER_H_
#define WEFT_PROTOCOLS_HTTP_MESSAGE_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "protocols/http/http_types.h"
#include "protocols/http/limits.h"

namespace weft::protocols::http::internal {

// Character classes: tchar (RFC 9110 §5.6.2), field-value octets (VCHAR, obs-text, SP, HTAB;
// RFC 9110 §5.5), request-target octets (VCHAR; RFC 9112 §3.2) and Host octets (RFC 3986
// reg-name, IP-literal and port characters).
bool IsToken(absl::string_view s);  // Non-empty and all tchar.
bool IsFieldValue(absl::string_view s);
bool IsTarget(absl::string_view s);  // Non-empty and all VCHAR.
bool IsHost(absl::string_view s);    // May be empty.

// Removes leading and trailing SP and HTAB (OWS).
absl::string_view TrimOws(absl::string_view s);

// Parses "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3).
enum class VersionResult { kOk, kMalformed, kUnsupportedMajor };
VersionResult ParseVersion(absl::string_view text, int& minor);

// The fields that decide framing and persistence (RFC 9112 §6, §9.3), gathered over a header
// section by Add(); each decoder applies its side's rules to them.
struct FramingFields {
  // Content-Length (RFC 9110 §8.6): one or more lines, each 1*DIGIT or a list of them.
  bool has_content_length = false;
  bool content_length_invalid = false;   // Not digits, or an empty list member.
  bool content_length_conflict = false;  // Members that differ.
  uint64_t content_length = 0;           // Saturates at UINT64_MAX.
  // Transfer-Encoding (RFC 9112 §6.1): the coding list over all its lines.
  bool has_transfer_encoding = false;
  int coding_count = 0;
  int chunked_count = 0;
  bool chunked_last = false;
  // Connection options (RFC 9110 §7.6.1).
  bool close = false;
  bool keep_alive = false;

  // Looks at one field; ignores those it does not know.
  void Add(absl::string_view name, absl::string_view value);
};

// Calls `fn(member)` for each non-empty member of a comma-separated list (RFC 9110 §5.6.1),
// trimmed of OWS.
template <typename Fn>
void ForEachListMember(absl::string_view list, Fn fn) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const absl::string_view member = TrimOws(list.substr(0, comma));
    if (!member.empty()) fn(member);
    if (comma == absl::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// A byte range of the current message.
struct Span {
  std::size_t offset = 0;
  std::size_t length = 0;
};

struct FieldSpan {
  Span name;
  Span value;
};

// Why decoding stopped: the status for the caller, and the status code a server answers with.
struct Failure {
  absl::Status status;
  int http_status = 0;
};

enum class Step { kNeedMore, kDone, kFailed };

class MessageParser {
 public:
  explicit MessageParser(const HttpLimits& limits) : limits_(limits) {}

  MessageParser(const MessageParser&) = delete;
  MessageParser& operator=(const MessageParser&) = delete;

  // --- Buffer --------------------------------------------------------------------------------
  // Drops a delivered message, compacts, then appends `bytes`.
  void Append(absl::string_view bytes);
  // The current message ends at the cursor; Release() drops it and starts the next one.
  void MarkDelivered() { delivered_ = true; }
  void Release();
  // Forgets everything (after an error).
  void Clear();
  std::size_t buffered_bytes() const { return buffer_.size() - start_; }
  // Bytes received past the cursor.
  std::size_t available() const { return buffer_.size() - start_ - pos_; }
  // Whether any byte of the current message has been received.
  bool started() const { return pos_ > 0 || available() > 0; }
  absl::string_view View(Span span) const {
    return absl::string_view(buffer_.data() + start_ + span.offset, span.length);
  }
  // Up to `max_bytes` received bytes from the cursor.
  absl::string_view Peek(std::size_t max_bytes) const;
  // Appends the views of `spans` to `out`.
  void AppendViews(const std::vector<FieldSpan>& spans, std::vector<HttpHeader>& out) const;

  // --- Head ----------------------------------------------------------------------------------
  // Consumes empty lines before a start line (RFC 9112 §2.2). Call only at a message's start.
  void SkipEmptyLines();

  enum class LineResult { kLine, kNeedMore, kTooLong };
  struct Line {
    Span text;          // Without the line ending.
    bool crlf = false;  // Ended by CRLF rather than a bare LF.
  };
  // Reads one line of at most `max_bytes` including its ending. A bare LF ends a line too
  // (RFC 9112 §2.2); callers that need CRLF check `crlf`. On kTooLong nothing is consumed.
  LineResult ReadLine(std::size_t max_bytes, Line& line);

  // Starts a field section at the cursor, then reads it line by line into `fields` (kept
  // across kNeedMore) until its empty line. Too many bytes or lines fail with
  // kResourceExhausted and http_status 431; a malformed line with kInvalidArgument and 400.
  void BeginFields() { section_start_ = pos_; }
  Step ReadFields(std::size_t max_bytes, absl::string_view what, std::vector<FieldSpan>& fields);

  // --- Body ----------------------------------------------------------------------------------
  void BeginFixedBody(uint64_t length);
  void BeginChunkedBody();
  void BeginUntilCloseBody();
  // kDone once the body (and any trailer section) is complete; an until-close body never is.
  Step ReadBody();
  Span body() const;
  const std::vector<FieldSpan>& trailers() const { return trailers_; }

  const Failure& failure() const { return failure_; }

 private:
  enum class BodyKind { kFixed, kChunked, kUntilClose };
  enum class ChunkState { kSize, kData, kDataEnd, kTrailers };

  bool ParseFieldLine(Span line, absl::string_view what, std::vector<FieldSpan>& fields);
  Step ReadChunked();
  Step ReadChunkSize();
  Step ReadChunkData();
  Step ReadChunkDataEnd();
  Step ReadUntilClose();
  Step Fail(absl::Status status, int http_status);

  const HttpLimits limits_;
  std::string buffer_;
  std::size_t start_ = 0;  // Offset of the current message in buffer_.
  std::size_t pos_ = 0;    // Read cursor, relative to start_.
  std::size_t scan_ = 0;   // Where the search for the next LF resumes, relative to start_.
  bool delivered_ = false;
  std::size_t section_start_ = 0;

  BodyKind body_kind_ = BodyKind::kFixed;
  ChunkState chunk_state_ = ChunkState::kSize;
  std::size_t body_start_ = 0;
  uint64_t body_length_ = 0;  // Fixed: the Content-Length; chunked: bytes de-chunked so far.
  uint64_t chunk_remaining_ = 0;
  std::vector<FieldSpan> trailers_;
  Failure failure_;
};

}  // namespace weft::protocols::http::internal

#endif  // WEFT_PROTOCOLS_HTTP_MESSAGE_PARSER_H_
