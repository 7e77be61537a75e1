// PathTemplate: the google.api.http template syntax Weft accepts, matching and decoding.
#include "protocols/http/path_template.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::protocols::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::weft::testing::StatusIs;
using Bindings = std::vector<PathTemplate::Binding>;

PathTemplate Parsed(absl::string_view text) {
  absl::StatusOr<PathTemplate> parsed = PathTemplate::Parse(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *std::move(parsed) : PathTemplate();
}

TEST(PathTemplateTest, MatchesLiteralsAndBindsVariables) {
  const PathTemplate t = Parsed("/v1/shelves/{shelf}/books/{book.id=*}");
  Bindings b;
  ASSERT_TRUE(t.Match("/v1/shelves/7/books/a%20b", b));
  EXPECT_THAT(b, ElementsAre(Pair("shelf", "7"), Pair("book.id", "a b")));
  EXPECT_THAT(t.variables(), ElementsAre("shelf", "book.id"));
  EXPECT_FALSE(t.Match("/v1/shelves/7/books", b));
  EXPECT_FALSE(t.Match("/v1/shelves/7/books/x/y", b));
  EXPECT_FALSE(t.Match("/v1/shelves//books/x", b));
  EXPECT_FALSE(t.Match("/v1/shelves/7/books/x/", b));
  EXPECT_FALSE(t.Match("/v2/shelves/7/books/x", b));
  EXPECT_FALSE(t.Match("/v1/shelves/7/books/%zz", b));
  EXPECT_FALSE(t.Match("v1/shelves/7/books/x", b));
}

TEST(PathTemplateTest, RestOfPathKeepsSlashes) {
  const PathTemplate t = Parsed("/files/{path=**}");
  Bindings b;
  ASSERT_TRUE(t.Match("/files/a/b%2Fc/d.txt", b));
  EXPECT_THAT(b, ElementsAre(Pair("path", "a/b/c/d.txt")));
  ASSERT_TRUE(t.Match("/files/", b));
  EXPECT_THAT(b, ElementsAre(Pair("path", "")));
  EXPECT_FALSE(t.Match("/file/a", b));
}

TEST(PathTemplateTest, UnnamedWildcardsAndVerbs) {
  const PathTemplate t = Parsed("/v1/*/things:search");
  Bindings b;
  ASSERT_TRUE(t.Match("/v1/x/things:search", b));
  EXPECT_TRUE(b.empty());
  EXPECT_FALSE(t.Match("/v1/x/things", b));
  EXPECT_FALSE(t.Match("/v1/x/things:list", b));
  const PathTemplate v = Parsed("/v1/{name}:undelete");
  ASSERT_TRUE(v.Match("/v1/abc:undelete", b));
  EXPECT_THAT(b, ElementsAre(Pair("name", "abc")));
}

TEST(PathTemplateTest, RefusesWhatTheGrammarDoesNot) {
  for (absl::string_view bad : {"", "v1/x", "/a/{", "/a/{b", "/a/{1b}", "/a/{b}/{b}", "/a//b",
                                "/**/a", "/{p=**}/a", "/a/{b=c/*}", "/a/b c", "/a/{b}x", "/a:"}) {
    EXPECT_THAT(PathTemplate::Parse(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("path template")))
        << bad;
  }
}

TEST(PercentDecodeTest, DecodesAndRefusesBadEscapes) {
  std::string out;
  ASSERT_TRUE(PercentDecode("a%2Fb+c%41", false, out));
  EXPECT_EQ(out, "a/b+cA");
  ASSERT_TRUE(PercentDecode("a+b", true, out));
  EXPECT_EQ(out, "a b");
  EXPECT_FALSE(PercentDecode("%4", false, out));
  EXPECT_FALSE(PercentDecode("%", false, out));
  EXPECT_FALSE(PercentDecode("%g0", false, out));
}

}  // namespace
}  // namespace weft::protocols::http
