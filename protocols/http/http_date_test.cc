#include "protocols/http/http_date.h"

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace weft::protocols::http {
namespace {

absl::Time Utc(int year, int month, int day, int hour, int minute, int second) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         absl::UTCTimeZone());
}

TEST(HttpDateTest, FormatsTheRfc9110Example) {
  // RFC 9110 §5.6.7.
  EXPECT_EQ(FormatHttpDate(Utc(1994, 11, 6, 8, 49, 37)), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(HttpDateTest, FormatsEveryWeekdayAndMonth) {
  EXPECT_EQ(FormatHttpDate(absl::UnixEpoch()), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(Utc(2024, 2, 29, 23, 59, 59)), "Thu, 29 Feb 2024 23:59:59 GMT");
  EXPECT_EQ(FormatHttpDate(Utc(2023, 12, 31, 12, 0, 0)), "Sun, 31 Dec 2023 12:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(Utc(2025, 6, 2, 1, 2, 3)), "Mon, 02 Jun 2025 01:02:03 GMT");
  EXPECT_EQ(FormatHttpDate(Utc(2025, 8, 5, 0, 0, 0)), "Tue, 05 Aug 2025 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(Utc(2025, 10, 15, 0, 0, 0)), "Wed, 15 Oct 2025 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(Utc(2025, 3, 7, 0, 0, 0)), "Fri, 07 Mar 2025 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(Utc(2025, 4, 12, 0, 0, 0)), "Sat, 12 Apr 2025 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(Utc(2025, 5, 1, 0, 0, 0)), "Thu, 01 May 2025 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(Utc(2025, 7, 1, 0, 0, 0)), "Tue, 01 Jul 2025 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(Utc(2025, 9, 1, 0, 0, 0)), "Mon, 01 Sep 2025 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(Utc(2025, 11, 1, 0, 0, 0)), "Sat, 01 Nov 2025 00:00:00 GMT");
}

TEST(HttpDateTest, TruncatesToTheSecondAndClampsTheRange) {
  EXPECT_EQ(FormatHttpDate(Utc(1994, 11, 6, 8, 49, 37) + absl::Milliseconds(999)),
            "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(FormatHttpDate(absl::InfinitePast()), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(absl::InfiniteFuture()), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(HttpDateTest, AppendsExactly29Bytes) {
  std::string out = "Date: ";
  AppendHttpDate(Utc(2000, 1, 1, 0, 0, 0), out);
  EXPECT_EQ(out, "Date: Sat, 01 Jan 2000 00:00:00 GMT");
  EXPECT_EQ(out.size(), 6 + kHttpDateBytes);
}

TEST(HttpDateCacheTest, ReformatsOnlyWhenTheSecondChanges) {
  HttpDateCache cache;
  const absl::Time t = Utc(2025, 1, 2, 3, 4, 5);
  const absl::string_view first = cache.Get(t);
  EXPECT_EQ(first, "Thu, 02 Jan 2025 03:04:05 GMT");
  EXPECT_EQ(cache.Get(t + absl::Milliseconds(500)).data(), first.data());
  EXPECT_EQ(cache.Get(t + absl::Milliseconds(500)), "Thu, 02 Jan 2025 03:04:05 GMT");
  EXPECT_EQ(cache.Get(t + absl::Seconds(1)), "Thu, 02 Jan 2025 03:04:06 GMT");
  EXPECT_EQ(cache.Get(t - absl::Hours(24)), "Wed, 01 Jan 2025 03:04:05 GMT");
}

}  // namespace
}  // namespace weft::protocols::http
