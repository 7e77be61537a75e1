#include "protocols/xmlrpc/scalar_text.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::protocols::xmlrpc::internal {
namespace {

using ::testing::HasSubstr;
using ::weft::testing::IsOk;
using ::weft::testing::IsOkAndHolds;
using ::weft::testing::StatusIs;

constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

absl::StatusOr<int64_t> Int32(absl::string_view text) {
  return ParseIntText(text, "int", kInt32Min, kInt32Max);
}
absl::StatusOr<int64_t> Int64(absl::string_view text) {
  return ParseIntText(text, "i8", kInt64Min, kInt64Max);
}

absl::StatusOr<std::string> Base64(absl::string_view text) {
  std::string buffer(text);
  absl::Status status = DecodeBase64InPlace(buffer);
  if (!status.ok()) return status;
  return buffer;
}

TEST(XmlWhitespaceTest, IsSpaceTabCrLfOnly) {
  EXPECT_TRUE(IsXmlWhitespace(""));
  EXPECT_TRUE(IsXmlWhitespace(" \t\r\n"));
  EXPECT_FALSE(IsXmlWhitespace("\v"));
  EXPECT_FALSE(IsXmlWhitespace("\xC2\xA0"));  // NO-BREAK SPACE is not XML whitespace.
  EXPECT_EQ(TrimXmlWhitespace("\n 42\t\r"), "42");
  EXPECT_EQ(TrimXmlWhitespace(" \n "), "");
}

TEST(IntTextTest, ReadsSignsAndLeadingZeros) {
  EXPECT_THAT(Int32("42"), IsOkAndHolds(42));
  EXPECT_THAT(Int32("+7"), IsOkAndHolds(7));
  EXPECT_THAT(Int32("-0"), IsOkAndHolds(0));
  EXPECT_THAT(Int32("000000000000000000000000000000017"), IsOkAndHolds(17));
}

TEST(IntTextTest, HonoursTheRange) {
  EXPECT_THAT(Int32("2147483647"), IsOkAndHolds(kInt32Max));
  EXPECT_THAT(Int32("-2147483648"), IsOkAndHolds(kInt32Min));
  EXPECT_THAT(Int32("2147483648"), StatusIs(absl::StatusCode::kInvalidArgument,
                                            "xmlrpc: <int> '2147483648' out of range"));
  EXPECT_THAT(Int32("-2147483649"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Int64("9223372036854775807"), IsOkAndHolds(kInt64Max));
  EXPECT_THAT(Int64("-9223372036854775808"), IsOkAndHolds(kInt64Min));
  EXPECT_THAT(Int64("9223372036854775808"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("out of range")));
  EXPECT_THAT(Int64("-9223372036854775809"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Int64("99999999999999999999999999999"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("out of range")));
}

TEST(IntTextTest, RejectsAnythingButDigits) {
  for (absl::string_view text :
       {"", "+", "-", "1.0", "1e3", "0x10", " 1", "1 ", "--1", "1_000", "\xD9\xA1"}) {
    EXPECT_THAT(Int32(text), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad <int>")))
        << text;
  }
}

TEST(BooleanTextTest, IsZeroOrOne) {
  EXPECT_THAT(ParseBooleanText("0"), IsOkAndHolds(false));
  EXPECT_THAT(ParseBooleanText("1"), IsOkAndHolds(true));
  for (absl::string_view text : {"", "2", "true", "false", "01", "-0"}) {
    EXPECT_THAT(ParseBooleanText(text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad <boolean>")))
        << text;
  }
}

TEST(DoubleTextTest, ReadsTheSpecFormAndPythonsRepr) {
  EXPECT_THAT(ParseDoubleText("2.5"), IsOkAndHolds(2.5));
  EXPECT_THAT(ParseDoubleText("-0.5"), IsOkAndHolds(-0.5));
  EXPECT_THAT(ParseDoubleText("+1.5"), IsOkAndHolds(1.5));
  EXPECT_THAT(ParseDoubleText("3"), IsOkAndHolds(3.0));
  EXPECT_THAT(ParseDoubleText(".5"), IsOkAndHolds(0.5));
  EXPECT_THAT(ParseDoubleText("5."), IsOkAndHolds(5.0));
  EXPECT_THAT(ParseDoubleText("1e+100"), IsOkAndHolds(1e100));
  EXPECT_THAT(ParseDoubleText("1e-07"), IsOkAndHolds(1e-7));
  EXPECT_THAT(ParseDoubleText("4.9406564584124654E-324"),
              IsOkAndHolds(std::numeric_limits<double>::denorm_min()));
}

TEST(DoubleTextTest, RejectsNonDecimalForms) {
  for (absl::string_view text : {"", ".", "-", "e5", "1e", "1e+", "1.2.3", "inf", "-inf", "nan",
                                 "Infinity", "0x10", "1,5", " 1.5", "1.5 ", "1.5f"}) {
    EXPECT_THAT(ParseDoubleText(text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad <double>")))
        << text;
  }
}

TEST(DoubleTextTest, RejectsOverflowAndUnderflow) {
  EXPECT_THAT(ParseDoubleText("1e400"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 "xmlrpc: <double> '1e400' out of range"));
  EXPECT_THAT(ParseDoubleText("-1e400"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDoubleText("1e-400"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Base64TextTest, DecodesPaddedText) {
  EXPECT_THAT(Base64(""), IsOkAndHolds(""));
  EXPECT_THAT(Base64("AAE="), IsOkAndHolds(std::string("\0\1", 2)));
  EXPECT_THAT(Base64("YQ=="), IsOkAndHolds("a"));
  EXPECT_THAT(Base64("YWI="), IsOkAndHolds("ab"));
  EXPECT_THAT(Base64("YWJj"), IsOkAndHolds("abc"));
  EXPECT_THAT(Base64("+/+/"), IsOkAndHolds("\xfb\xff\xbf"));
}

TEST(Base64TextTest, SkipsWhitespaceAnywhere) {
  EXPECT_THAT(Base64("\nYW\r\nJj\tZA = =\n"), IsOkAndHolds("abcd"));
  EXPECT_THAT(Base64(" \n "), IsOkAndHolds(""));
}

TEST(Base64TextTest, RejectsBadText) {
  EXPECT_THAT(Base64("YW!j"), StatusIs(absl::StatusCode::kInvalidArgument,
                                       "xmlrpc: bad <base64>: invalid character at offset 2"));
  EXPECT_THAT(Base64("YWJ"), StatusIs(absl::StatusCode::kInvalidArgument,
                                      "xmlrpc: bad <base64>: length is not a multiple of 4"));
  EXPECT_THAT(Base64("Y"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Base64("Y==="),
              StatusIs(absl::StatusCode::kInvalidArgument, "xmlrpc: bad <base64>: misplaced '='"));
  EXPECT_THAT(Base64("===="), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Base64("YQ==YQ=="),
              StatusIs(absl::StatusCode::kInvalidArgument, "xmlrpc: bad <base64>: data after '='"));
  EXPECT_THAT(Base64("YWJj="), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Base64("YQ="), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Base64("YW-_"), StatusIs(absl::StatusCode::kInvalidArgument));  // base64url
}

TEST(Base64TextTest, DecodesEveryByteValue) {
  // "AAECAw...": bytes 0..255, as Python's base64.encodebytes() writes them, 76 per line.
  std::string expected;
  for (int b = 0; b < 256; ++b) expected.push_back(static_cast<char>(b));
  const std::string text =
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\n"
      "OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx\n"
      "cnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmq\n"
      "q6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj\n"
      "5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\n";
  EXPECT_THAT(Base64(text), IsOkAndHolds(expected));
}

}  // namespace
}  // namespace weft::protocols::xmlrpc::internal
