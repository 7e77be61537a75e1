#include "protocols/http/http_response_decoder.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace weft::protocols::http {

using internal::FieldSpan;
using internal::FramingFields;
using internal::MessageParser;
using internal::Span;
using internal::Step;

HttpResponseDecoder::HttpResponseDecoder(const HttpLimits& limits)
    : limits_(limits), parser_(limits) {}

void HttpResponseDecoder::ExpectResponse(HttpMethod request_method) {
  pending_.push_back(request_method);
}

absl::Status HttpResponseDecoder::Feed(absl::string_view bytes) {
  if (!status_.ok()) return status_;
  if (eof_) return absl::FailedPreconditionError("http: bytes fed after the end of the stream");
  parser_.Append(bytes);
  return absl::OkStatus();
}

absl::Status HttpResponseDecoder::FeedEof() {
  if (!status_.ok()) return status_;
  eof_ = true;
  return absl::OkStatus();
}

std::optional<HttpResponse> HttpResponseDecoder::Next() {
  if (!status_.ok() || state_ == State::kDone) return std::nullopt;
  parser_.Release();
  while (true) {
    Step step = Step::kDone;
    switch (state_) {
      case State::kStatusLine:
        step = ReadStatusLine();
        break;
      case State::kHeaders:
        step = ReadHeaders();
        break;
      case State::kBody:
        step = parser_.ReadBody();
        if (step == Step::kFailed) Fail(parser_.failure().status);
        if (step == Step::kDone) return Deliver();
        break;
      case State::kDone:
        return std::nullopt;
    }
    if (step == Step::kFailed) return std::nullopt;
    if (step == Step::kNeedMore) {
      if (eof_ && AtEof() == Step::kDone) return Deliver();
      return std::nullopt;
    }
  }
}

// The server closed: that ends a body read until close, and cuts anything else short.
Step HttpResponseDecoder::AtEof() {
  if (state_ == State::kBody && until_close_) return Step::kDone;
  if (parser_.started()) {
    return Fail(absl::UnavailableError("http: connection closed in the middle of a response"));
  }
  if (pending_responses() > 0) {
    return Fail(absl::UnavailableError("http: connection closed before a response"));
  }
  return Step::kNeedMore;
}

Step HttpResponseDecoder::ReadStatusLine() {
  parser_.SkipEmptyLines();
  MessageParser::Line line;
  switch (parser_.ReadLine(limits_.max_start_line_bytes, line)) {
    case MessageParser::LineResult::kNeedMore:
      return Step::kNeedMore;
    case MessageParser::LineResult::kTooLong:
      return Fail(absl::ResourceExhaustedError(
          absl::StrCat("http: status-line exceeds ", limits_.max_start_line_bytes, " bytes")));
    case MessageParser::LineResult::kLine:
      break;
  }
  return ParseStatusLine(line.text);
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4). A missing SP
// after the code is tolerated, since clients ignore the reason-phrase anyway.
Step HttpResponseDecoder::ParseStatusLine(Span line) {
  const absl::string_view text = parser_.View(line);
  if (text.size() < 12 || text[8] != ' ' || (text.size() > 12 && text[12] != ' ')) {
    return Fail(absl::InvalidArgumentError("http: malformed status-line"));
  }
  switch (internal::ParseVersion(text.substr(0, 8), version_minor_)) {
    case internal::VersionResult::kOk:
      break;
    case internal::VersionResult::kMalformed:
      return Fail(absl::InvalidArgumentError("http: bad HTTP-version"));
    case internal::VersionResult::kUnsupportedMajor:
      return Fail(
          absl::UnimplementedError(absl::StrCat("http: unsupported version ", text.substr(0, 8))));
  }
  // RFC 9110 §15: three digits, the first giving the class (1 to 5).
  const absl::string_view code = text.substr(9, 3);
  if (code[0] < '1' || code[0] > '5' || !absl::ascii_isdigit(code[1]) ||
      !absl::ascii_isdigit(code[2])) {
    return Fail(absl::InvalidArgumentError("http: bad status-code"));
  }
  const absl::string_view reason = text.size() > 13 ? text.substr(13) : absl::string_view();
  if (!internal::IsFieldValue(reason)) {
    return Fail(absl::InvalidArgumentError("http: bad reason-phrase"));
  }
  status_code_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  reason_ = Span{line.offset + 13, reason.size()};
  state_ = State::kHeaders;
  parser_.BeginFields();
  return Step::kDone;
}

Step HttpResponseDecoder::ReadHeaders() {
  const Step step = parser_.ReadFields(limits_.max_header_bytes, "header section", fields_);
  if (step == Step::kFailed) return Fail(parser_.failure().status);
  if (step == Step::kNeedMore) return step;
  return FinishHead();
}

Step HttpResponseDecoder::FinishHead() {
  if (pending_responses() == 0) {
    return Fail(absl::InvalidArgumentError("http: response without a request"));
  }
  FramingFields framing;
  for (const FieldSpan& field : fields_) {
    framing.Add(parser_.View(field.name), parser_.View(field.value));
  }
  if (framing.content_length_invalid) {
    return Fail(absl::InvalidArgumentError("http: bad content-length"));
  }
  if (framing.content_length_conflict) {
    return Fail(absl::InvalidArgumentError("http: conflicting content-length values"));
  }
  if (framing.has_content_length) content_length_ = framing.content_length;
  // RFC 9112 §9.3.
  keep_alive_ = !framing.close && (version_minor_ >= 1 || framing.keep_alive);
  state_ = State::kBody;
  if (status_code_ == 101) {
    return Fail(absl::UnimplementedError("http: 101 switching protocols not supported"));
  }
  if (status_code_ < 200) {  // Interim: no content (RFC 9110 §15.2).
    parser_.BeginFixedBody(0);
    return Step::kDone;
  }
  return ChooseFraming(pending_[pending_front_], framing);
}

// Response framing, RFC 9112 §6.3, rules 1 to 8 in order.
Step HttpResponseDecoder::ChooseFraming(HttpMethod method, const FramingFields& framing) {
  if (framing.has_transfer_encoding && framing.has_content_length) {
    return Fail(absl::InvalidArgumentError("http: both transfer-encoding and content-length"));
  }
  if (method == HttpMethod::kHead || status_code_ == 204 || status_code_ == 304) {
    parser_.BeginFixedBody(0);
    return Step::kDone;
  }
  if (method == HttpMethod::kConnect && status_code_ < 300) {
    return Fail(absl::UnimplementedError("http: tunnels (CONNECT) not supported"));
  }
  if (framing.has_transfer_encoding) {
    if (version_minor_ == 0) {
      return Fail(absl::InvalidArgumentError("http: transfer-encoding in HTTP/1.0"));
    }
    // Codings other than chunked would leave an encoded body the caller could not read.
    if (framing.coding_count != 1 || !framing.chunked_last) {
      return Fail(absl::UnimplementedError("http: unsupported transfer coding"));
    }
    chunked_ = true;
    parser_.BeginChunkedBody();
    return Step::kDone;
  }
  if (framing.has_content_length) {
    if (framing.content_length > limits_.max_body_bytes) {
      return Fail(absl::ResourceExhaustedError(
          absl::StrCat("http: content-length exceeds ", limits_.max_body_bytes, " bytes")));
    }
    parser_.BeginFixedBody(framing.content_length);
    return Step::kDone;
  }
  until_close_ = true;
  keep_alive_ = false;
  parser_.BeginUntilCloseBody();
  return Step::kDone;
}

HttpResponse HttpResponseDecoder::Deliver() {
  headers_.clear();
  parser_.AppendViews(fields_, headers_);
  trailers_.clear();
  parser_.AppendViews(parser_.trailers(), trailers_);
  HttpResponse response;
  response.status_code = status_code_;
  response.reason = parser_.View(reason_);
  response.version_minor = version_minor_;
  response.headers = headers_;
  response.content_length = content_length_;
  response.chunked = chunked_;
  response.keep_alive = keep_alive_;
  response.body = parser_.View(parser_.body());
  response.trailers = trailers_;
  parser_.MarkDelivered();
  if (status_code_ >= 200 && ++pending_front_ == pending_.size()) {
    pending_.clear();
    pending_front_ = 0;
  }
  if (until_close_) {
    state_ = State::kDone;
  } else {
    StartNextResponse();
  }
  return response;
}

void HttpResponseDecoder::StartNextResponse() {
  state_ = State::kStatusLine;
  status_code_ = 0;
  reason_ = Span{};
  version_minor_ = 1;
  fields_.clear();
  content_length_.reset();
  chunked_ = false;
  until_close_ = false;
  keep_alive_ = true;
}

Step HttpResponseDecoder::Fail(absl::Status status) {
  status_ = std::move(status);
  parser_.Clear();
  return Step::kFailed;
}

}  // namespace weft::protocols::http
