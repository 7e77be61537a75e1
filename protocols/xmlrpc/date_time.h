// DateTime: the fields of an XML-RPC <dateTime.iso8601> value, with its parser and formatter.
//
// Part of //protocols/xmlrpc (sans-I/O). The spec's example is "19980717T14:08:55" and Python's
// xmlrpc.client sends exactly that form ("%Y%m%dT%H:%M:%S"); other peers send the ISO 8601
// extended form, fractions of a second or a zone. ParseDateTime() accepts all of these, and
// FormatDateTime() writes the spec's form, adding a fraction or zone only when one is set.
#ifndef WEFT_PROTOCOLS_XMLRPC_DATE_TIME_H_
#define WEFT_PROTOCOLS_XMLRPC_DATE_TIME_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::protocols::xmlrpc {

// A calendar date and wall-clock time. The spec gives no zone ("should be in the server's
// time"), so a zone is optional; the gateway documents which one it uses.
struct DateTime {
  int32_t year = 1970;  // 0..9999
  int32_t month = 1;    // 1..12
  int32_t day = 1;      // 1..days in that month (proleptic Gregorian)
  int32_t hour = 0;     // 0..23
  int32_t minute = 0;   // 0..59
  int32_t second = 0;   // 0..60 (60: a leap second)
  int32_t nanos = 0;    // 0..999999999
  // Minutes east of UTC, -1439..1439; nullopt when the text names no zone.
  std::optional<int32_t> utc_offset_minutes;

  friend bool operator==(const DateTime&, const DateTime&) = default;
};

// Parses the text of a <dateTime.iso8601>, with no surrounding whitespace:
//   date  YYYYMMDD | YYYY-MM-DD
//   "T"
//   time  HH:MM:SS | HHMMSS, then optionally "." and 1 to 9 digits of fraction
//   zone  optional: "Z" | +HH:MM | -HH:MM | +HHMM | -HHMM | +HH | -HH
// Returns kInvalidArgument naming the problem for anything else, including a field out of
// range (month 13, February 30th, hour 24).
absl::StatusOr<DateTime> ParseDateTime(absl::string_view text);

// Writes YYYYMMDDTHH:MM:SS, then ".fraction" (trailing zeros dropped) when nanos is not 0, then
// "Z" or ±HH:MM when a zone is set. ParseDateTime() reads the result back to an equal DateTime.
// Returns kInvalidArgument when a field is out of the ranges above.
absl::StatusOr<std::string> FormatDateTime(const DateTime& date_time);

}  // namespace weft::protocols::xmlrpc

#endif  // WEFT_PROTOCOLS_XMLRPC_DATE_TIME_H_
