// Fuzz target for REST path templates (protocols/http/path_template.h).
//
// The input is a template, a newline, and a request path: both come from untrusted places (a
// service's weft.v1.http option registered over the wire, and a client's request-target).
// Properties:
//  - Parse() never crashes; it fails only with kInvalidArgument, naming the template.
//  - Match() of any path never crashes; on a match it binds exactly the template's variables,
//    in order.
//  - PercentDecode() never crashes, and decodes what percent-encoding wrote back to the bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "protocols/http/path_template.h"
#include "tests/fuzz/fuzz_check.h"

namespace weft::protocols::http {
namespace {

std::string PercentEncodeAll(absl::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    out.push_back('%');
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

void Check(absl::string_view input) {
  const std::size_t newline = input.find('\n');
  const absl::string_view text = input.substr(0, newline);
  const absl::string_view path =
      newline == absl::string_view::npos ? absl::string_view() : input.substr(newline + 1);

  std::string decoded;
  if (PercentDecode(PercentEncodeAll(path), false, decoded)) {
    WEFT_FUZZ_CHECK(decoded == path, "percent-decoding did not invert percent-encoding");
  } else {
    WEFT_FUZZ_CHECK(false, "percent-decoding refused what percent-encoding wrote");
  }
  (void)PercentDecode(path, true, decoded);

  absl::StatusOr<PathTemplate> parsed = PathTemplate::Parse(text);
  if (!parsed.ok()) {
    WEFT_FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument,
                    parsed.status().ToString());
    WEFT_FUZZ_CHECK(absl::StartsWith(parsed.status().message(), "path template"),
                    parsed.status().ToString());
    return;
  }
  const std::vector<std::string> variables = parsed->variables();
  std::vector<PathTemplate::Binding> bindings;
  if (parsed->Match(path, bindings)) {
    std::size_t next = 0;
    for (const auto& [name, value] : bindings) {
      while (next < variables.size() && variables[next] != name) ++next;
      WEFT_FUZZ_CHECK(next < variables.size(), absl::StrCat("bound unknown variable ", name));
      ++next;
    }
  }
}

}  // namespace
}  // namespace weft::protocols::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::protocols::http::Check(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
