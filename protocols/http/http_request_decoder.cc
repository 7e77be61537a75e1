#include "protocols/http/http_request_decoder.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace weft::protocols::http {

using internal::Failure;
using internal::FieldSpan;
using internal::FramingFields;
using internal::MessageParser;
using internal::Span;
using internal::Step;

namespace {

Failure BadRequest(absl::string_view message) {
  return Failure{absl::InvalidArgumentError(message), 400};
}

}  // namespace

HttpRequestDecoder::HttpRequestDecoder(const HttpLimits& limits)
    : limits_(limits), parser_(limits) {}

absl::Status HttpRequestDecoder::Feed(absl::string_view bytes) {
  if (!status_.ok()) return status_;
  if (state_ == State::kDone) {
    parser_.Clear();  // RFC 9112 §9.6: nothing after the last request is processed.
  } else {
    parser_.Append(bytes);
  }
  return absl::OkStatus();
}

std::optional<HttpRequestEvent> HttpRequestDecoder::Next() {
  if (!status_.ok()) return std::nullopt;
  if (state_ == State::kDone) {
    parser_.Clear();
    return std::nullopt;
  }
  parser_.Release();
  while (true) {
    Step step = Step::kDone;
    switch (state_) {
      case State::kRequestLine:
        step = ReadRequestLine();
        break;
      case State::kHeaders:
        step = ReadHeaders();
        break;
      case State::kBody:
        step = parser_.ReadBody();
        if (step == Step::kFailed) Fail(parser_.failure());
        if (step == Step::kDone) return Deliver();
        break;
      case State::kDone:
        return std::nullopt;
    }
    if (step != Step::kDone) return std::nullopt;
    if (offer_continue_) {
      offer_continue_ = false;
      return ContinueExpected{Head()};
    }
  }
}

Step HttpRequestDecoder::ReadRequestLine() {
  parser_.SkipEmptyLines();  // RFC 9112 §2.2: "SHOULD ignore at least one empty line".
  MessageParser::Line line;
  switch (parser_.ReadLine(limits_.max_start_line_bytes, line)) {
    case MessageParser::LineResult::kNeedMore:
      return Step::kNeedMore;
    case MessageParser::LineResult::kTooLong:
      return Fail(RequestLineTooLong());
    case MessageParser::LineResult::kLine:
      break;
  }
  return ParseRequestLine(line.text);
}

// request-line = method SP request-target SP HTTP-version (RFC 9112 §3). Single spaces only:
// §3 allows lenient whitespace parsing but warns that it invites request smuggling.
Step HttpRequestDecoder::ParseRequestLine(Span line) {
  const absl::string_view text = parser_.View(line);
  const std::size_t sp1 = text.find(' ');
  const std::size_t sp2 = sp1 == absl::string_view::npos ? sp1 : text.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos) return Fail(BadRequest("http: malformed request-line"));
  const absl::string_view method = text.substr(0, sp1);
  const absl::string_view target = text.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!internal::IsToken(method)) return Fail(BadRequest("http: bad method"));
  if (!internal::IsTarget(target)) return Fail(BadRequest("http: bad request-target"));
  switch (internal::ParseVersion(text.substr(sp2 + 1), version_minor_)) {
    case internal::VersionResult::kOk:
      break;
    case internal::VersionResult::kMalformed:
      return Fail(BadRequest("http: bad HTTP-version"));
    case internal::VersionResult::kUnsupportedMajor:  // HTTP/2 preface, HTTP/0.9, HTTP/3.0...
      return Fail(Failure{absl::UnimplementedError(
                              absl::StrCat("http: unsupported version ", text.substr(sp2 + 1))),
                          505});
  }
  method_ = MethodFromName(method);
  method_name_ = Span{line.offset, sp1};
  target_ = Span{line.offset + sp1 + 1, target.size()};
  state_ = State::kHeaders;
  parser_.BeginFields();
  return Step::kDone;
}

// RFC 9112 §3: a request-target longer than the server wishes to parse gets 414; anything else
// overlong is a bad request. The target is to blame when a method and SP came first and either
// no second SP follows within the limit or only a version's worth of bytes ("HTTP/1.1" CRLF)
// does. Decided on the first max_start_line_bytes only, so splits never change the answer.
Failure HttpRequestDecoder::RequestLineTooLong() {
  constexpr std::size_t kVersionAndCrlf = 10;
  const absl::string_view seen = parser_.Peek(limits_.max_start_line_bytes);
  const std::size_t sp1 = seen.find(' ');
  const std::size_t sp2 = sp1 == absl::string_view::npos ? sp1 : seen.find(' ', sp1 + 1);
  if (sp1 != absl::string_view::npos && internal::IsToken(seen.substr(0, sp1)) &&
      (sp2 == absl::string_view::npos || seen.size() - sp2 - 1 <= kVersionAndCrlf)) {
    return Failure{absl::ResourceExhaustedError(
                       absl::StrCat("http: request-target exceeds the request-line limit of ",
                                    limits_.max_start_line_bytes, " bytes")),
                   414};
  }
  return Failure{absl::InvalidArgumentError(absl::StrCat("http: request-line exceeds ",
                                                         limits_.max_start_line_bytes, " bytes")),
                 400};
}

Step HttpRequestDecoder::ReadHeaders() {
  const Step step = parser_.ReadFields(limits_.max_header_bytes, "header section", fields_);
  if (step == Step::kFailed) return Fail(parser_.failure());
  if (step == Step::kNeedMore) return step;
  return FinishHead();
}

Step HttpRequestDecoder::FinishHead() {
  FramingFields framing;
  int hosts = 0;
  bool unknown_expectation = false;
  for (const FieldSpan& field : fields_) {
    const absl::string_view name = parser_.View(field.name);
    const absl::string_view value = parser_.View(field.value);
    if (name.size() == 4 && absl::EqualsIgnoreCase(name, "host")) {
      ++hosts;
      host_ = field.value;
    } else if (name.size() == 6 && absl::EqualsIgnoreCase(name, "expect")) {
      internal::ForEachListMember(value, [&](absl::string_view expectation) {
        if (absl::EqualsIgnoreCase(expectation, "100-continue")) {
          expect_continue_ = version_minor_ >= 1;  // RFC 9110 §10.1.1: ignored in HTTP/1.0.
        } else {
          unknown_expectation = true;
        }
      });
    } else {
      framing.Add(name, value);
    }
  }
  if (CheckFraming(framing) == Step::kFailed) return Step::kFailed;
  if (CheckHostAndExpect(hosts, unknown_expectation) == Step::kFailed) return Step::kFailed;
  // RFC 9112 §9.3.
  keep_alive_ = !framing.close && (version_minor_ >= 1 || framing.keep_alive);
  if (chunked_) {
    parser_.BeginChunkedBody();
  } else {
    parser_.BeginFixedBody(content_length_.value_or(0));
  }
  // RFC 9110 §10.1.1: no 100 once some of the content has arrived, or when there is none.
  const bool has_body = chunked_ || content_length_.value_or(0) > 0;
  offer_continue_ = expect_continue_ && has_body && parser_.available() == 0;
  state_ = State::kBody;
  return Step::kDone;
}

// Message framing, RFC 9112 §6. The rules that stop request smuggling come first.
Step HttpRequestDecoder::CheckFraming(const FramingFields& framing) {
  if (framing.has_transfer_encoding) {
    // §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
    if (version_minor_ == 0) return Fail(BadRequest("http: transfer-encoding in HTTP/1.0"));
    // §6.3 rule 3: both fields may be an attempt to smuggle a request.
    if (framing.has_content_length) {
      return Fail(BadRequest("http: both transfer-encoding and content-length"));
    }
    // §6.3 rule 4: without chunked last the length cannot be determined.
    if (!framing.chunked_last) return Fail(BadRequest("http: transfer-encoding not chunked"));
    // §7: chunked must not be applied more than once.
    if (framing.chunked_count > 1) return Fail(BadRequest("http: chunked applied twice"));
    // §6.1: a transfer coding the server does not understand gets 501.
    if (framing.coding_count > 1) {
      return Fail(Failure{absl::UnimplementedError("http: unsupported transfer coding"), 501});
    }
    chunked_ = true;
    return Step::kDone;
  }
  if (!framing.has_content_length) return Step::kDone;  // §6.3 rule 7: no content.
  if (framing.content_length_invalid) return Fail(BadRequest("http: bad content-length"));
  // RFC 9110 §8.6: a list of identical values may stand for one; differing ones may not.
  if (framing.content_length_conflict) {
    return Fail(BadRequest("http: conflicting content-length values"));
  }
  if (framing.content_length > limits_.max_body_bytes) {
    return Fail(Failure{absl::ResourceExhaustedError(absl::StrCat(
                            "http: content-length exceeds ", limits_.max_body_bytes, " bytes")),
                        413});
  }
  content_length_ = framing.content_length;
  return Step::kDone;
}

Step HttpRequestDecoder::CheckHostAndExpect(int hosts, bool unknown_expectation) {
  // RFC 9110 §10.1.1: an expectation other than 100-continue MAY get 417.
  if (unknown_expectation) {
    return Fail(Failure{absl::UnimplementedError("http: unsupported expectation"), 417});
  }
  // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, with two, or with a bad value.
  if (hosts == 0 && version_minor_ >= 1) return Fail(BadRequest("http: missing host"));
  if (hosts > 1) return Fail(BadRequest("http: more than one host"));
  if (!internal::IsHost(parser_.View(host_))) return Fail(BadRequest("http: bad host"));
  return Step::kDone;
}

HttpRequestHead HttpRequestDecoder::Head() {
  headers_.clear();
  parser_.AppendViews(fields_, headers_);
  HttpRequestHead head;
  head.method = method_;
  head.method_name = parser_.View(method_name_);
  head.target = parser_.View(target_);
  head.version_minor = version_minor_;
  head.headers = headers_;
  head.host = parser_.View(host_);
  head.content_length = content_length_;
  head.chunked = chunked_;
  head.expect_continue = expect_continue_;
  head.keep_alive = keep_alive_;
  return head;
}

HttpRequest HttpRequestDecoder::Deliver() {
  HttpRequest request;
  static_cast<HttpRequestHead&>(request) = Head();
  request.body = parser_.View(parser_.body());
  trailers_.clear();
  parser_.AppendViews(parser_.trailers(), trailers_);
  request.trailers = trailers_;
  parser_.MarkDelivered();
  if (keep_alive_) {
    StartNextRequest();
  } else {
    state_ = State::kDone;
  }
  return request;
}

void HttpRequestDecoder::StartNextRequest() {
  state_ = State::kRequestLine;
  offer_continue_ = false;
  method_ = HttpMethod::kOther;
  version_minor_ = 1;
  fields_.clear();
  host_ = Span{};
  content_length_.reset();
  chunked_ = false;
  expect_continue_ = false;
  keep_alive_ = true;
}

Step HttpRequestDecoder::Fail(Failure failure) {
  status_ = std::move(failure.status);
  error_status_ = failure.http_status;
  parser_.Clear();
  return Step::kFailed;
}

}  // namespace weft::protocols::http
