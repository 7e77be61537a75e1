#include "protocols/xmlrpc/date_time.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace weft::protocols::xmlrpc {
namespace {

constexpr int32_t kMaxOffsetMinutes = 23 * 60 + 59;

bool IsLeapYear(int32_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

int32_t DaysInMonth(int32_t year, int32_t month) {
  static constexpr int32_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Reads text left to right; each Take*() consumes on success only.
class Cursor {
 public:
  explicit Cursor(absl::string_view text) : rest_(text) {}

  bool done() const { return rest_.empty(); }
  bool Take(char c) {
    if (rest_.empty() || rest_.front() != c) return false;
    rest_.remove_prefix(1);
    return true;
  }
  // Exactly `n` decimal digits.
  std::optional<int32_t> TakeDigits(int n) {
    if (rest_.size() < static_cast<std::size_t>(n)) return std::nullopt;
    int32_t value = 0;
    for (int i = 0; i < n; ++i) {
      const char c = rest_[i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    rest_.remove_prefix(n);
    return value;
  }
  // 1 to 9 digits of a fraction of a second, as nanoseconds.
  std::optional<int32_t> TakeFraction() {
    int32_t nanos = 0;
    int digits = 0;
    while (!rest_.empty() && rest_.front() >= '0' && rest_.front() <= '9' && digits < 9) {
      nanos = nanos * 10 + (rest_.front() - '0');
      rest_.remove_prefix(1);
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 9; ++i) nanos *= 10;
    return nanos;
  }

 private:
  absl::string_view rest_;
};

absl::Status Bad(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("xmlrpc: bad dateTime.iso8601 '",
                                                 absl::CHexEscape(text.substr(0, 40)), "': ", why));
}

// YYYYMMDD or YYYY-MM-DD.
bool ParseDate(Cursor& in, DateTime& out) {
  std::optional<int32_t> year = in.TakeDigits(4);
  if (!year) return false;
  const bool extended = in.Take('-');
  std::optional<int32_t> month = in.TakeDigits(2);
  if (!month || (extended && !in.Take('-'))) return false;
  std::optional<int32_t> day = in.TakeDigits(2);
  if (!day) return false;
  out.year = *year;
  out.month = *month;
  out.day = *day;
  return true;
}

// HH:MM:SS or HHMMSS, then an optional fraction.
bool ParseTime(Cursor& in, DateTime& out) {
  std::optional<int32_t> hour = in.TakeDigits(2);
  if (!hour) return false;
  const bool extended = in.Take(':');
  std::optional<int32_t> minute = in.TakeDigits(2);
  if (!minute || (extended && !in.Take(':'))) return false;
  std::optional<int32_t> second = in.TakeDigits(2);
  if (!second) return false;
  out.hour = *hour;
  out.minute = *minute;
  out.second = *second;
  if (in.Take('.')) {
    std::optional<int32_t> nanos = in.TakeFraction();
    if (!nanos) return false;
    out.nanos = *nanos;
  }
  return true;
}

// Nothing, Z, or ±HH[[:]MM].
bool ParseZone(Cursor& in, DateTime& out) {
  if (in.done()) return true;
  if (in.Take('Z')) {
    out.utc_offset_minutes = 0;
    return true;
  }
  int32_t sign = 1;
  if (in.Take('-')) {
    sign = -1;
  } else if (!in.Take('+')) {
    return false;
  }
  std::optional<int32_t> hours = in.TakeDigits(2);
  if (!hours) return false;
  int32_t minutes = 0;
  if (!in.done()) {
    in.Take(':');
    std::optional<int32_t> m = in.TakeDigits(2);
    if (!m || *m > 59) return false;
    minutes = *m;
  }
  out.utc_offset_minutes = sign * (*hours * 60 + minutes);
  return true;
}

// Empty when every field is in range; otherwise which one is not.
absl::string_view FieldOutOfRange(const DateTime& t) {
  if (t.year < 0 || t.year > 9999) return "year out of range";
  if (t.month < 1 || t.month > 12) return "month out of range";
  if (t.day < 1 || t.day > DaysInMonth(t.year, t.month)) return "day out of range";
  if (t.hour < 0 || t.hour > 23) return "hour out of range";
  if (t.minute < 0 || t.minute > 59) return "minute out of range";
  if (t.second < 0 || t.second > 60) return "second out of range";
  if (t.nanos < 0 || t.nanos > 999999999) return "fraction out of range";
  if (t.utc_offset_minutes.has_value() &&
      (*t.utc_offset_minutes < -kMaxOffsetMinutes || *t.utc_offset_minutes > kMaxOffsetMinutes)) {
    return "zone offset out of range";
  }
  return {};
}

}  // namespace

absl::StatusOr<DateTime> ParseDateTime(absl::string_view text) {
  DateTime out;
  Cursor in(text);
  if (!ParseDate(in, out) || !in.Take('T') || !ParseTime(in, out) || !ParseZone(in, out) ||
      !in.done()) {
    return Bad(text, "expected YYYYMMDDTHH:MM:SS");
  }
  if (absl::string_view why = FieldOutOfRange(out); !why.empty()) return Bad(text, why);
  return out;
}

absl::StatusOr<std::string> FormatDateTime(const DateTime& t) {
  if (absl::string_view why = FieldOutOfRange(t); !why.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("xmlrpc: dateTime ", why));
  }
  std::string out = absl::StrFormat("%04d%02d%02dT%02d:%02d:%02d", t.year, t.month, t.day, t.hour,
                                    t.minute, t.second);
  if (t.nanos != 0) {
    std::string fraction = absl::StrFormat("%09d", t.nanos);
    while (fraction.back() == '0') fraction.pop_back();
    absl::StrAppend(&out, ".", fraction);
  }
  if (t.utc_offset_minutes.has_value()) {
    const int32_t offset = *t.utc_offset_minutes;
    if (offset == 0) {
      out.push_back('Z');
    } else {
      const int32_t magnitude = offset < 0 ? -offset : offset;
      absl::StrAppendFormat(&out, "%c%02d:%02d", offset < 0 ? '-' : '+', magnitude / 60,
                            magnitude % 60);
    }
  }
  return out;
}

}  // namespace weft::protocols::xmlrpc
