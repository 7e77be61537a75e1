// IMF-fixdate formatting for the Date header field (RFC 9110 §5.6.7, §6.6.1).
//
// Part of //protocols/http (sans-I/O: the caller supplies the time). A server formats the date
// once per second through an HttpDateCache and passes the view to every response it encodes.
#ifndef WEFT_PROTOCOLS_HTTP_HTTP_DATE_H_
#define WEFT_PROTOCOLS_HTTP_HTTP_DATE_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace weft::protocols::http {

// Length of an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr std::size_t kHttpDateBytes = 29;

// Appends `time` (UTC, whole seconds) as an IMF-fixdate. Times before 1970 or after the year
// 9999 are clamped to those bounds.
void AppendHttpDate(absl::Time time, std::string& out);
std::string FormatHttpDate(absl::Time time);

// The IMF-fixdate of the current second, reformatted only when the second changes. One per
// event loop; not thread-safe.
class HttpDateCache {
 public:
  // The date for `now`. The view is valid until the next call.
  absl::string_view Get(absl::Time now);

 private:
  int64_t second_ = std::numeric_limits<int64_t>::min();
  char text_[kHttpDateBytes] = {};
};

}  // namespace weft::protocols::http

#endif  // WEFT_PROTOCOLS_HTTP_HTTP_DATE_H_
