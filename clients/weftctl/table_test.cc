#include "clients/weftctl/table.h"

#include "gtest/gtest.h"

namespace weft::clients::weftctl {
namespace {

TEST(TableTest, AlignsColumnsToTheWidestCellAndTrimsTrailingSpaces) {
  Table table({"queue", "live", "note"});
  table.AddRow({"greetings", "3", ""});
  table.AddRow({"q", "12345", "x"});
  EXPECT_EQ(table.Render(),
            "QUEUE      LIVE   NOTE\n"
            "greetings  3\n"
            "q          12345  x\n");
}

TEST(TableTest, MissingCellsPrintEmpty) {
  Table table({"a", "b"});
  table.AddRow({"1"});
  EXPECT_EQ(table.Render(), "A  B\n1\n");
}

TEST(FormatDurationTest, PicksTheLargestUnits) {
  EXPECT_EQ(FormatDuration(250), "250ms");
  EXPECT_EQ(FormatDuration(12'000), "12s");
  EXPECT_EQ(FormatDuration(65'000), "1m 5s");
  EXPECT_EQ(FormatDuration(3 * 3600'000 + 120'000), "3h 2m");
  EXPECT_EQ(FormatDuration(2 * 86400'000LL + 3600'000), "2d 1h");
}

}  // namespace
}  // namespace weft::clients::weftctl
