// PathTemplate: the URL path templates of REST routes (docs/http.md, "REST routes"), the syntax
// of google.api.http rules: `/v1/users/{user_id}/books/{book.id=*}`, `/files/{path=**}`,
// `/v1/things:search`.
//
// Part of //protocols/http (sans-I/O). Grammar, as google/api/http.proto gives it less the
// multi-segment variable templates (`{name=shelves/*}`), which Weft does not accept:
//   Template = "/" Segment { "/" Segment } [ ":" Verb ]
//   Segment  = "*" | "**" | LITERAL | Variable
//   Variable = "{" FieldPath [ "=" ( "*" | "**" ) ] "}"
//   FieldPath = IDENT { "." IDENT }
// "**" (bare or in a variable) matches the rest of the path and may only be the last segment.
// Matching is exact: no trailing-slash or case folding. Variable values are percent-decoded;
// a "**" value keeps its slashes.
#ifndef WEFT_PROTOCOLS_HTTP_PATH_TEMPLATE_H_
#define WEFT_PROTOCOLS_HTTP_PATH_TEMPLATE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::protocols::http {

class PathTemplate {
 public:
  // A matched variable: its field path and its decoded value.
  using Binding = std::pair<std::string, std::string>;

  // kInvalidArgument naming what is wrong ("path template '/a/{': unclosed '{'").
  static absl::StatusOr<PathTemplate> Parse(absl::string_view text);

  // Whether `path` (the request-target's path, without the query) matches. On a match
  // `bindings` gets one entry per variable, in template order; a value whose percent-encoding
  // is invalid does not match.
  bool Match(absl::string_view path, std::vector<Binding>& bindings) const;

  // The variables' field paths, in order.
  std::vector<std::string> variables() const;
  const std::string& text() const { return text_; }

 private:
  struct Segment {
    enum class Kind { kLiteral, kOne, kRest } kind = Kind::kLiteral;
    std::string literal;   // kLiteral
    std::string variable;  // kOne or kRest: the field path, empty when unnamed ("*", "**")
  };

  std::string text_;
  std::vector<Segment> segments_;
  std::string verb_;
};

// Decodes %XX escapes; false for a malformed escape. `plus_is_space` for query strings
// (application/x-www-form-urlencoded).
bool PercentDecode(absl::string_view in, bool plus_is_space, std::string& out);

}  // namespace weft::protocols::http

#endif  // WEFT_PROTOCOLS_HTTP_PATH_TEMPLATE_H_
