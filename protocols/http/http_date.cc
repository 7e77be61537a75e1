#include "protocols/http/http_date.h"

#include <algorithm>

#include "absl/time/civil_time.h"

namespace weft::protocols::http {
namespace {

constexpr char kWeekdays[7][4] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Seconds since the epoch of 9999-12-31T23:59:59Z.
constexpr int64_t kLastSecond = 253402300799;

char* PutDigits(int64_t value, int width, char* p) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return p + width;
}

char* PutText(const char* text, char* p) {
  for (; *text != '\0'; ++text) *p++ = *text;
  return p;
}

// Writes exactly kHttpDateBytes bytes at `p`.
void Format(int64_t unix_seconds, char* p) {
  const absl::CivilSecond t =
      absl::ToCivilSecond(absl::FromUnixSeconds(unix_seconds), absl::UTCTimeZone());
  const absl::Weekday weekday = absl::GetWeekday(absl::CivilDay(t));
  p = PutText(kWeekdays[static_cast<int>(weekday)], p);
  p = PutText(", ", p);
  p = PutDigits(t.day(), 2, p);
  *p++ = ' ';
  p = PutText(kMonths[t.month() - 1], p);
  *p++ = ' ';
  p = PutDigits(t.year(), 4, p);
  *p++ = ' ';
  p = PutDigits(t.hour(), 2, p);
  *p++ = ':';
  p = PutDigits(t.minute(), 2, p);
  *p++ = ':';
  p = PutDigits(t.second(), 2, p);
  PutText(" GMT", p);
}

int64_t ClampedSeconds(absl::Time time) {
  return std::clamp<int64_t>(absl::ToUnixSeconds(time), 0, kLastSecond);
}

}  // namespace

void AppendHttpDate(absl::Time time, std::string& out) {
  char text[kHttpDateBytes];
  Format(ClampedSeconds(time), text);
  out.append(text, kHttpDateBytes);
}

std::string FormatHttpDate(absl::Time time) {
  std::string out;
  AppendHttpDate(time, out);
  return out;
}

absl::string_view HttpDateCache::Get(absl::Time now) {
  const int64_t second = ClampedSeconds(now);
  if (second != second_) {
    Format(second, text_);
    second_ = second;
  }
  return absl::string_view(text_, kHttpDateBytes);
}

}  // namespace weft::protocols::http
