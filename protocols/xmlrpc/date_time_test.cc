#include "protocols/xmlrpc/date_time.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::protocols::xmlrpc {
namespace {

using ::testing::HasSubstr;
using ::weft::testing::IsOkAndHolds;
using ::weft::testing::StatusIs;

// A DateTime with these fields and no fraction or zone.
DateTime At(int32_t year, int32_t month, int32_t day, int32_t hour = 0, int32_t minute = 0,
            int32_t second = 0) {
  DateTime t;
  t.year = year;
  t.month = month;
  t.day = day;
  t.hour = hour;
  t.minute = minute;
  t.second = second;
  return t;
}

TEST(DateTimeTest, ParsesTheSpecAndPythonForm) {
  EXPECT_THAT(ParseDateTime("19980717T14:08:55"), IsOkAndHolds(At(1998, 7, 17, 14, 8, 55)));
  EXPECT_THAT(ParseDateTime("20260125T12:00:00"), IsOkAndHolds(At(2026, 1, 25, 12, 0, 0)));
}

TEST(DateTimeTest, ParsesIso8601ExtendedAndBasicForms) {
  EXPECT_THAT(ParseDateTime("2026-01-25T12:00:00"), IsOkAndHolds(At(2026, 1, 25, 12, 0, 0)));
  EXPECT_THAT(ParseDateTime("20260125T120000"), IsOkAndHolds(At(2026, 1, 25, 12, 0, 0)));
}

TEST(DateTimeTest, ParsesFractionAndZone) {
  DateTime expected = At(2026, 1, 25, 12, 0, 1);
  expected.nanos = 500000000;
  expected.utc_offset_minutes = 0;
  EXPECT_THAT(ParseDateTime("20260125T12:00:01.5Z"), IsOkAndHolds(expected));

  expected.nanos = 123456789;
  expected.utc_offset_minutes = -(5 * 60 + 30);
  EXPECT_THAT(ParseDateTime("2026-01-25T12:00:01.123456789-05:30"), IsOkAndHolds(expected));

  DateTime east = At(2026, 1, 25, 12, 0, 0);
  east.utc_offset_minutes = 60;
  EXPECT_THAT(ParseDateTime("20260125T12:00:00+0100"), IsOkAndHolds(east));
  EXPECT_THAT(ParseDateTime("20260125T12:00:00+01"), IsOkAndHolds(east));
}

TEST(DateTimeTest, KnowsLeapYearsAndLeapSeconds) {
  EXPECT_TRUE(ParseDateTime("20240229T00:00:00").ok());
  EXPECT_TRUE(ParseDateTime("20000229T00:00:00").ok());
  EXPECT_THAT(ParseDateTime("20230229T00:00:00"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("day out of range")));
  EXPECT_THAT(ParseDateTime("19000229T00:00:00"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("day out of range")));
  EXPECT_TRUE(ParseDateTime("20161231T23:59:60").ok());
}

TEST(DateTimeTest, RejectsMalformedText) {
  for (const char* text :
       {"", "2026", "20260125", "20260125 12:00:00", "2026-0125T12:00:00", "20260125T12:0000",
        "20260125T12:00:00.", "20260125T12:00:00.1234567890", "20260125T12:00:00+",
        "20260125T12:00:00+1", "20260125T12:00:00+01:", "20260125T12:00:00z", "20260125T12:00:00 ",
        " 20260125T12:00:00", "２0260125T12:00:00", "+2026-01-25T12:00:00"}) {
    EXPECT_THAT(ParseDateTime(text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad dateTime.iso8601")))
        << text;
  }
}

TEST(DateTimeTest, RejectsFieldsOutOfRange) {
  for (const char* text :
       {"20261301T00:00:00", "20260001T00:00:00", "20260100T00:00:00", "20260431T00:00:00",
        "20260101T24:00:00", "20260101T00:60:00", "20260101T00:00:61", "20260101T00:00:00+24:00",
        "20260101T00:00:00+01:60"}) {
    EXPECT_THAT(ParseDateTime(text), StatusIs(absl::StatusCode::kInvalidArgument)) << text;
  }
}

TEST(DateTimeTest, FormatsThePythonFormAndRoundTrips) {
  EXPECT_THAT(FormatDateTime(At(2026, 1, 25, 12, 0, 0)), IsOkAndHolds("20260125T12:00:00"));
  EXPECT_THAT(FormatDateTime(At(7, 1, 2, 3, 4, 5)), IsOkAndHolds("00070102T03:04:05"));

  DateTime full = At(2026, 1, 25, 12, 0, 1);
  full.nanos = 120000000;
  full.utc_offset_minutes = -(5 * 60 + 30);
  EXPECT_THAT(FormatDateTime(full), IsOkAndHolds("20260125T12:00:01.12-05:30"));
  EXPECT_THAT(ParseDateTime(*FormatDateTime(full)), IsOkAndHolds(full));

  full.utc_offset_minutes = 0;
  EXPECT_THAT(FormatDateTime(full), IsOkAndHolds("20260125T12:00:01.12Z"));
}

TEST(DateTimeTest, RefusesToFormatFieldsOutOfRange) {
  DateTime bad = At(10000, 1, 1, 0, 0, 0);
  EXPECT_THAT(FormatDateTime(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, "xmlrpc: dateTime year out of range"));
  bad = At(2026, 2, 29, 0, 0, 0);
  EXPECT_THAT(FormatDateTime(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  bad = At(2026, 1, 1, 0, 0, 0);
  bad.nanos = -1;
  EXPECT_THAT(FormatDateTime(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  bad.nanos = 0;
  bad.utc_offset_minutes = 24 * 60;
  EXPECT_THAT(FormatDateTime(bad), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace weft::protocols::xmlrpc
