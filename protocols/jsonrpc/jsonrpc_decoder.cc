#include "protocols/jsonrpc/jsonrpc_decoder.h"

#include <rapidjson/error/error.h>
#include <rapidjson/reader.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "protocols/jsonrpc/jsonrpc_types.h"
#include "protocols/jsonrpc/limits.h"

namespace weft::protocols::jsonrpc {
namespace {

// In place, so strings are unescaped inside `buffer_` without a copy; UTF-8 checked (RFC 8259
// §8.1); stop after the root value, so the trailing check below also sees NUL bytes, which
// RapidJSON would take for the end of the text; numbers as raw text, since only their position
// matters here (RapidJSON still refuses magnitudes beyond a double's, as RFC 8259 §9 permits).
constexpr unsigned kParseFlags =
    rapidjson::kParseInsituFlag | rapidjson::kParseValidateEncodingFlag |
    rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseNumbersAsStringsFlag;

// NULs after the body copy. RapidJSON stops at a NUL, but its UTF-8 check takes up to three
// continuation bytes without looking, so a body ending inside a sequence must not lead it past
// the buffer. A NUL is never a continuation byte, so that check then fails.
constexpr std::size_t kPadding = 4;

// A buffer grown past these by one big body is freed when a small body comes next.
constexpr std::size_t kRetainedBufferBytes = 64 * 1024;
constexpr std::size_t kRetainedElements = 4096;

constexpr absl::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr absl::string_view kReservedPrefix = "rpc.";  // Spec §4: "rpc." names are reserved.

// rapidjson::InsituStringStream without its StreamTraits copy optimization: RapidJSON then reads
// strings and numbers through this very object instead of a local copy, so Tell() inside each
// handler callback is the offset just past the value being reported.
class InsituStream {
 public:
  using Ch = char;

  explicit InsituStream(char* begin) : src_(begin), dst_(begin), head_(begin) {}

  char Peek() const { return *src_; }
  char Take() { return *src_++; }
  std::size_t Tell() const { return static_cast<std::size_t>(src_ - head_); }

  char* PutBegin() { return dst_ = src_; }
  void Put(char c) { *dst_++ = c; }
  std::size_t PutEnd(char* begin) { return static_cast<std::size_t>(dst_ - begin); }
  void Flush() {}
  char* Push(std::size_t count) {
    char* begin = dst_;
    dst_ += count;
    return begin;
  }
  void Pop(std::size_t count) { dst_ -= count; }

  const char* head() const { return head_; }

 private:
  char* src_;
  char* dst_;
  char* head_;
};

bool IsJsonWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

absl::string_view DescribeParseError(rapidjson::ParseErrorCode code) {
  switch (code) {
    case rapidjson::kParseErrorDocumentEmpty:
      return "no json value";
    case rapidjson::kParseErrorObjectMissName:
      return "expected a member name";
    case rapidjson::kParseErrorObjectMissColon:
      return "expected ':'";
    case rapidjson::kParseErrorObjectMissCommaOrCurlyBracket:
      return "expected ',' or '}'";
    case rapidjson::kParseErrorArrayMissCommaOrSquareBracket:
      return "expected ',' or ']'";
    case rapidjson::kParseErrorStringUnicodeEscapeInvalidHex:
      return "invalid \\u escape";
    case rapidjson::kParseErrorStringUnicodeSurrogateInvalid:
      return "invalid utf-16 surrogate pair";
    case rapidjson::kParseErrorStringEscapeInvalid:
      return "invalid escape or control character in a string";
    case rapidjson::kParseErrorStringMissQuotationMark:
      return "unterminated string";
    case rapidjson::kParseErrorStringInvalidEncoding:
      return "invalid utf-8 in a string";
    case rapidjson::kParseErrorNumberTooBig:
      return "number out of range";
    case rapidjson::kParseErrorNumberMissFraction:
      return "expected digits after '.'";
    case rapidjson::kParseErrorNumberMissExponent:
      return "expected digits in the exponent";
    default:
      return "invalid value";
  }
}

absl::Status InvalidRequest(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("jsonrpc: ", why));
}

}  // namespace

// Reads RapidJSON's SAX events for one body and appends the entries to the decoder. Depth
// counts the containers open when an event arrives; an entry (the body's value, or an element
// of the batch array) sits at `entry_depth_`, its members one deeper and the elements of its
// "params" array two deeper. Deeper values are only checked by RapidJSON.
class JsonRpcDecoder::Handler {
 public:
  Handler(JsonRpcDecoder& decoder, const InsituStream& stream, absl::string_view body)
      : decoder_(decoder), stream_(stream), body_(body) {}

  bool batch() const { return batch_; }
  bool empty_batch() const { return batch_ && entries_ == 0; }
  // Why a callback returned false (a limit).
  absl::Status TakeAbortStatus() { return std::move(abort_); }

  // RapidJSON's Handler concept. Numbers only ever arrive as RawNumber().
  bool Null() { return Scalar(Kind::kNull, stream_.Tell() - 4, {}); }
  bool Bool(bool b) { return Scalar(Kind::kBool, stream_.Tell() - (b ? 4 : 5), {}); }
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char*, rapidjson::SizeType length, bool) {
    return Scalar(Kind::kNumber, stream_.Tell() - length, {});
  }
  bool String(const char* str, rapidjson::SizeType length, bool) {
    // In place, `str` starts right after the opening quote.
    const std::size_t begin = static_cast<std::size_t>(str - stream_.head()) - 1;
    return Scalar(Kind::kString, begin, absl::string_view(str, length));
  }
  bool Key(const char* str, rapidjson::SizeType length, bool);
  bool StartObject() { return StartContainer(Kind::kObject); }
  bool EndObject(rapidjson::SizeType) { return EndContainer(Kind::kObject); }
  bool StartArray() { return StartContainer(Kind::kArray); }
  bool EndArray(rapidjson::SizeType) { return EndContainer(Kind::kArray); }

 private:
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kObject, kArray };
  enum class Member : uint8_t { kOther, kJsonrpc, kMethod, kParams, kId };

  // What has been read of the current entry.
  struct Pending {
    bool is_object = false;
    bool duplicate = false;
    bool has_jsonrpc = false;
    bool has_method = false;
    bool has_params = false;
    bool has_id = false;
    bool jsonrpc_ok = false;
    bool method_ok = false;
    bool id_ok = false;
    absl::string_view method;
    ParamsKind params_kind = ParamsKind::kNone;
    absl::string_view params;
    absl::string_view id;
    std::size_t elements_begin = 0;
  };

  bool StartContainer(Kind kind);
  bool EndContainer(Kind kind);
  bool Scalar(Kind kind, std::size_t begin, absl::string_view text);
  bool BeginEntry(bool is_object);
  void SetMember(Kind kind, absl::string_view raw, absl::string_view text);
  absl::Status CheckEntry() const;
  void FinishEntry();
  void AddCall();
  void AddError(int32_t code, absl::string_view id, bool notification, absl::Status status);
  bool Abort(absl::Status status) {
    abort_ = std::move(status);
    return false;
  }
  absl::string_view Raw(std::size_t begin, std::size_t end) const {
    return body_.substr(begin, end - begin);
  }

  JsonRpcDecoder& decoder_;
  const InsituStream& stream_;
  const absl::string_view body_;
  std::size_t depth_ = 0;
  std::size_t entry_depth_ = 0;  // 1 in a batch.
  bool batch_ = false;
  std::size_t entries_ = 0;
  Member member_ = Member::kOther;  // The member whose value is being read.
  bool collecting_ = false;         // Inside the "params" array: record its elements.
  std::size_t member_begin_ = 0;    // Where the open container of a member value starts.
  std::size_t element_begin_ = 0;   // Where the open container of a params element starts.
  Pending pending_;
  absl::Status abort_;
};

bool JsonRpcDecoder::Handler::StartContainer(Kind kind) {
  if (depth_ >= decoder_.limits_.max_depth) {
    return Abort(absl::ResourceExhaustedError(
        absl::StrCat("jsonrpc: json nested deeper than ", decoder_.limits_.max_depth, " levels")));
  }
  if (depth_ == 0 && kind == Kind::kArray) {  // Spec §6: a batch.
    batch_ = true;
    entry_depth_ = depth_ = 1;
    return true;
  }
  const std::size_t begin = stream_.Tell() - 1;
  switch (depth_ - entry_depth_) {
    case 0:
      if (!BeginEntry(kind == Kind::kObject)) return false;
      break;
    case 1:
      member_begin_ = begin;
      collecting_ = pending_.is_object && kind == Kind::kArray && member_ == Member::kParams;
      break;
    case 2:
      element_begin_ = begin;
      break;
  }
  ++depth_;
  return true;
}

bool JsonRpcDecoder::Handler::EndContainer(Kind kind) {
  --depth_;
  if (batch_ && depth_ == 0) return true;  // The batch array closes.
  const std::size_t end = stream_.Tell();
  switch (depth_ - entry_depth_) {
    case 0:
      FinishEntry();
      break;
    case 1:
      if (pending_.is_object) {
        SetMember(kind, Raw(member_begin_, end), {});
      }
      collecting_ = false;
      break;
    case 2:
      if (collecting_) decoder_.elements_.push_back(Raw(element_begin_, end));
      break;
  }
  return true;
}

bool JsonRpcDecoder::Handler::Scalar(Kind kind, std::size_t begin, absl::string_view text) {
  switch (depth_ - entry_depth_) {
    case 0:
      if (!BeginEntry(/*is_object=*/false)) return false;
      FinishEntry();
      break;
    case 1:
      if (pending_.is_object) SetMember(kind, Raw(begin, stream_.Tell()), text);
      break;
    case 2:
      if (collecting_) decoder_.elements_.push_back(Raw(begin, stream_.Tell()));
      break;
  }
  return true;
}

bool JsonRpcDecoder::Handler::BeginEntry(bool is_object) {
  if (++entries_ > decoder_.limits_.max_batch_entries && batch_) {
    return Abort(absl::ResourceExhaustedError(absl::StrCat(
        "jsonrpc: batch of more than ", decoder_.limits_.max_batch_entries, " entries")));
  }
  pending_ = Pending();
  pending_.is_object = is_object;
  pending_.elements_begin = decoder_.elements_.size();
  member_ = Member::kOther;
  return true;
}

bool JsonRpcDecoder::Handler::Key(const char* str, rapidjson::SizeType length, bool) {
  if (depth_ != entry_depth_ + 1 || !pending_.is_object) return true;
  const absl::string_view key(str, length);
  bool* seen = nullptr;
  if (key == "jsonrpc") {
    member_ = Member::kJsonrpc;
    seen = &pending_.has_jsonrpc;
  } else if (key == "method") {
    member_ = Member::kMethod;
    seen = &pending_.has_method;
  } else if (key == "params") {
    member_ = Member::kParams;
    seen = &pending_.has_params;
  } else if (key == "id") {
    member_ = Member::kId;
    seen = &pending_.has_id;
  } else {
    member_ = Member::kOther;  // Spec §4 lists no rule against other members: ignored.
    return true;
  }
  if (*seen) {  // The first value stays; the entry is refused below anyway.
    pending_.duplicate = true;
    if (member_ == Member::kId) pending_.id_ok = false;  // Which id? Answer with null.
    member_ = Member::kOther;
  }
  *seen = true;
  return true;
}

void JsonRpcDecoder::Handler::SetMember(Kind kind, absl::string_view raw, absl::string_view text) {
  switch (member_) {
    case Member::kJsonrpc:
      pending_.jsonrpc_ok = kind == Kind::kString && text == "2.0";
      break;
    case Member::kMethod:
      pending_.method_ok = kind == Kind::kString;
      pending_.method = text;
      break;
    case Member::kParams:
      pending_.params_kind = kind == Kind::kObject  ? ParamsKind::kObject
                             : kind == Kind::kArray ? ParamsKind::kArray
                                                    : ParamsKind::kNone;
      pending_.params = raw;
      break;
    case Member::kId:
      pending_.id_ok = kind == Kind::kString || kind == Kind::kNumber || kind == Kind::kNull;
      pending_.id = raw;
      break;
    case Member::kOther:
      break;
  }
}

// Spec §4 checks, in order: the first failure answers the entry.
absl::Status JsonRpcDecoder::Handler::CheckEntry() const {
  const Pending& p = pending_;
  if (!p.is_object) return InvalidRequest("not an object");
  if (p.duplicate) return InvalidRequest("duplicate member");
  if (!p.jsonrpc_ok) return InvalidRequest("\"jsonrpc\" is not \"2.0\"");
  if (!p.method_ok) return InvalidRequest("\"method\" is missing or not a string");
  if (p.has_params && p.params_kind == ParamsKind::kNone) {
    return InvalidRequest("\"params\" is neither an array nor an object");
  }
  if (p.has_id && !p.id_ok) return InvalidRequest("\"id\" is not a string, a number or null");
  if (p.method.size() > decoder_.limits_.max_method_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("jsonrpc: method name exceeds ", decoder_.limits_.max_method_bytes, " bytes"));
  }
  if (absl::StartsWith(p.method, kReservedPrefix)) {
    return absl::NotFoundError("jsonrpc: method names beginning with \"rpc.\" are reserved");
  }
  return absl::OkStatus();
}

void JsonRpcDecoder::Handler::FinishEntry() {
  absl::Status status = CheckEntry();
  if (status.ok()) return AddCall();
  const Pending& p = pending_;
  // Spec §5: "If there was an error in detecting the id in the Request object (e.g. Parse
  // error/Invalid Request), it MUST be Null." An id that was read is echoed, so the client can
  // tell which of its calls failed.
  const absl::string_view id = p.has_id && p.id_ok ? p.id : "null";
  if (status.code() == absl::StatusCode::kNotFound) {
    // A reserved name is a valid Request object whose method does not exist: a notification
    // gets no answer (spec §4.1).
    return AddError(kMethodNotFound, id, /*notification=*/!p.has_id, std::move(status));
  }
  AddError(kInvalidRequest, id, /*notification=*/false, std::move(status));
}

void JsonRpcDecoder::Handler::AddCall() {
  const Pending& p = pending_;
  std::vector<Entry>& entries = decoder_.request_.entries;
  if (p.params_kind == ParamsKind::kArray) {
    decoder_.positional_.push_back(PositionalRange{entries.size(), p.elements_begin,
                                                   decoder_.elements_.size() - p.elements_begin});
  }
  Call& call = std::get<Call>(entries.emplace_back(std::in_place_type<Call>));
  call.method = p.method;
  call.params_kind = p.params_kind;
  call.params = p.params;
  call.id = p.has_id ? p.id : absl::string_view();
  call.notification = !p.has_id;
}

void JsonRpcDecoder::Handler::AddError(int32_t code, absl::string_view id, bool notification,
                                       absl::Status status) {
  decoder_.elements_.resize(pending_.elements_begin);
  decoder_.request_.entries.emplace_back(std::in_place_type<CallError>,
                                         CallError{code, id, notification, std::move(status)});
}

const ParsedRequest& JsonRpcDecoder::Parse(absl::string_view body) {
  if (absl::StartsWith(body, kByteOrderMark)) body.remove_prefix(kByteOrderMark.size());
  Reset(body.size());
  if (body.size() > limits_.max_request_bytes) {
    FailBody(kInvalidRequest, absl::ResourceExhaustedError(absl::StrCat(
                                  "jsonrpc: body exceeds ", limits_.max_request_bytes, " bytes")));
    return request_;
  }
  buffer_.assign(body.data(), body.size());
  buffer_.append(kPadding, '\0');
  InsituStream stream(buffer_.data());
  Handler handler(*this, stream, body);
  rapidjson::Reader reader;
  const rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, handler);
  std::size_t end = result ? stream.Tell() : result.Offset();
  while (result && end < body.size() && IsJsonWhitespace(body[end])) ++end;
  if (result.Code() == rapidjson::kParseErrorTermination) {
    FailBody(kInvalidRequest, handler.TakeAbortStatus());
  } else if (!result || end != body.size()) {
    const absl::string_view why =
        result ? "text after the json value" : DescribeParseError(result.Code());
    FailBody(kParseError, absl::InvalidArgumentError(
                              absl::StrCat("jsonrpc: invalid json at byte ", end, ": ", why)));
  } else if (handler.empty_batch()) {
    FailBody(kInvalidRequest, InvalidRequest("empty batch"));
  } else {
    request_.batch = handler.batch();
    LinkPositional();
  }
  return request_;
}

void JsonRpcDecoder::Reset(std::size_t body_size) {
  if (buffer_.capacity() > kRetainedBufferBytes && body_size + kPadding <= kRetainedBufferBytes) {
    std::string().swap(buffer_);
  }
  if (elements_.capacity() > kRetainedElements) std::vector<absl::string_view>().swap(elements_);
  request_.batch = false;
  request_.entries.clear();
  elements_.clear();
  positional_.clear();
}

void JsonRpcDecoder::FailBody(int32_t code, absl::Status status) {
  request_.batch = false;
  request_.entries.clear();
  elements_.clear();
  positional_.clear();
  request_.entries.emplace_back(std::in_place_type<CallError>,
                                CallError{code, "null", false, std::move(status)});
}

void JsonRpcDecoder::LinkPositional() {
  for (const PositionalRange& range : positional_) {
    std::get<Call>(request_.entries[range.entry]).positional =
        absl::MakeConstSpan(elements_).subspan(range.begin, range.count);
  }
}

}  // namespace weft::protocols::jsonrpc
