#include "protocols/http/path_template.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace weft::protocols::http {
namespace {

bool IsIdentifier(absl::string_view text) {
  if (text.empty() || absl::ascii_isdigit(text[0])) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

bool IsFieldPath(absl::string_view text) {
  for (absl::string_view part : absl::StrSplit(text, '.')) {
    if (!IsIdentifier(part)) return false;
  }
  return true;
}

// RFC 3986 pchar, less the characters the template syntax uses ('{', '}', '*', ':', '/').
bool IsLiteral(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (absl::ascii_isalnum(c)) continue;
    switch (c) {
      case '-':
      case '.':
      case '_':
      case '~':
      case '!':
      case '$':
      case '&':
      case '\'':
      case '(':
      case ')':
      case '+':
      case ',':
      case ';':
      case '=':
      case '@':
      case '%':
        continue;
      default:
        return false;
    }
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool PercentDecode(absl::string_view in, bool plus_is_space, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int high = HexValue(in[i + 1]);
      const int low = HexValue(in[i + 2]);
      if (high < 0 || low < 0) return false;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

absl::StatusOr<PathTemplate> PathTemplate::Parse(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("path template '", text, "': ", why));
  };
  if (text.empty() || text[0] != '/') return bad("must start with '/'");
  PathTemplate result;
  result.text_ = std::string(text);
  absl::string_view rest = text.substr(1);
  // A verb follows the last ':' outside braces.
  const std::size_t brace = rest.rfind('}');
  const std::size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos && (brace == absl::string_view::npos || colon > brace)) {
    result.verb_ = std::string(rest.substr(colon + 1));
    if (!IsLiteral(result.verb_)) return bad("bad verb after ':'");
    rest = rest.substr(0, colon);
  }
  std::vector<absl::string_view> parts = absl::StrSplit(rest, '/');
  for (std::size_t i = 0; i < parts.size(); ++i) {
    absl::string_view part = parts[i];
    Segment segment;
    if (part == "*") {
      segment.kind = Segment::Kind::kOne;
    } else if (part == "**") {
      segment.kind = Segment::Kind::kRest;
    } else if (!part.empty() && part.front() == '{') {
      if (part.back() != '}') return bad("unclosed '{' or text after '}'");
      absl::string_view inner = part.substr(1, part.size() - 2);
      segment.kind = Segment::Kind::kOne;
      if (const std::size_t eq = inner.find('='); eq != absl::string_view::npos) {
        const absl::string_view pattern = inner.substr(eq + 1);
        if (pattern == "**") {
          segment.kind = Segment::Kind::kRest;
        } else if (pattern != "*") {
          return bad(absl::StrCat("variable '", inner, "': only '*' and '**' may follow '='"));
        }
        inner = inner.substr(0, eq);
      }
      if (!IsFieldPath(inner)) {
        return bad(absl::StrCat("'", inner, "' is not a field path"));
      }
      for (const Segment& earlier : result.segments_) {
        if (earlier.variable == inner) return bad(absl::StrCat("'", inner, "' bound twice"));
      }
      segment.variable = std::string(inner);
    } else if (IsLiteral(part)) {
      segment.literal = std::string(part);
    } else {
      return bad(part.empty() ? "empty segment" : absl::StrCat("bad segment '", part, "'"));
    }
    if (segment.kind == Segment::Kind::kRest && i + 1 != parts.size()) {
      return bad("'**' must be the last segment");
    }
    result.segments_.push_back(std::move(segment));
  }
  return result;
}

bool PathTemplate::Match(absl::string_view path, std::vector<Binding>& bindings) const {
  bindings.clear();
  if (path.empty() || path[0] != '/') return false;
  path.remove_prefix(1);
  if (!verb_.empty()) {
    const std::size_t colon = path.rfind(':');
    if (colon == absl::string_view::npos || path.substr(colon + 1) != verb_) return false;
    path = path.substr(0, colon);
  }
  std::string value;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const Segment& segment = segments_[i];
    if (segment.kind == Segment::Kind::kRest) {
      // The rest of the path, possibly empty, slashes kept; each segment decoded.
      std::string joined;
      bool first = true;
      for (absl::string_view part : absl::StrSplit(path, '/')) {
        if (!PercentDecode(part, false, value)) return false;
        if (!first) joined.push_back('/');
        joined += value;
        first = false;
      }
      if (!segment.variable.empty()) bindings.emplace_back(segment.variable, std::move(joined));
      return true;
    }
    const std::size_t slash = path.find('/');
    const absl::string_view part = path.substr(0, slash);
    const bool last = i + 1 == segments_.size();
    if (part.empty() || (last != (slash == absl::string_view::npos))) return false;
    if (segment.kind == Segment::Kind::kLiteral) {
      if (part != segment.literal) return false;
    } else {
      if (!PercentDecode(part, false, value)) return false;
      if (!segment.variable.empty()) bindings.emplace_back(segment.variable, value);
    }
    path = slash == absl::string_view::npos ? absl::string_view() : path.substr(slash + 1);
  }
  return true;
}

std::vector<std::string> PathTemplate::variables() const {
  std::vector<std::string> names;
  for (const Segment& segment : segments_) {
    if (!segment.variable.empty()) names.push_back(segment.variable);
  }
  return names;
}

}  // namespace weft::protocols::http
