#include "protocols/xmlrpc/xmlrpc_types.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::protocols::xmlrpc {
namespace {

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

using ::testing::ElementsAre;

// {"id": 7, "tags": ["a", "b"], "empty": {}, "none": nil}
void BuildSample(ValueTree& tree) {
  tree.BeginStruct();
  tree.AddMember("id");
  tree.AddInt(7);
  tree.AddMember("tags");
  tree.BeginArray();
  tree.AddString("a");
  tree.AddString("b");
  tree.End();
  tree.AddMember("empty");
  tree.BeginStruct();
  tree.End();
  tree.AddMember("none");
  tree.AddNil();
  tree.End();
}

std::vector<std::string> MemberNames(ValueRef value) {
  std::vector<std::string> names;
  for (const Member& member : value.members()) names.emplace_back(member.name);
  return names;
}

TEST(ValueTreeTest, ReadsBackEveryScalar) {
  ValueTree tree;
  const uint32_t nil = tree.AddNil();
  const uint32_t boolean = tree.AddBoolean(true);
  const uint32_t integer = tree.AddInt(std::numeric_limits<int64_t>::min());
  const uint32_t real = tree.AddDouble(-2.5);
  const uint32_t text = tree.AddString("h\xC3\xA9llo");
  const uint32_t bytes = tree.AddBase64(absl::string_view("\0\xff", 2));
  const uint32_t date = tree.AddDateTime("20260125T12:00:00");

  EXPECT_EQ(tree.value(nil).type(), ValueType::kNil);
  EXPECT_TRUE(tree.value(boolean).bool_value());
  EXPECT_EQ(tree.value(integer).int_value(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(tree.value(real).double_value(), -2.5);
  EXPECT_EQ(tree.value(text).string_value(), "h\xC3\xA9llo");
  EXPECT_EQ(tree.value(bytes).type(), ValueType::kBase64);
  EXPECT_EQ(tree.value(bytes).string_value(), absl::string_view("\0\xff", 2));
  EXPECT_EQ(tree.value(date).string_value(), "20260125T12:00:00");
  EXPECT_EQ(tree.value(date).date_time_value(), (At(2026, 1, 25, 12)));
  EXPECT_EQ(tree.value_count(), 7u);
  EXPECT_EQ(tree.value(text).size(), 0u);
}

TEST(ValueTreeTest, IteratesStructMembersInOrderAndFindsByName) {
  ValueTree tree;
  BuildSample(tree);
  const ValueRef root = tree.root();
  ASSERT_EQ(root.type(), ValueType::kStruct);
  EXPECT_EQ(root.size(), 4u);
  EXPECT_THAT(MemberNames(root), ElementsAre("id", "tags", "empty", "none"));

  const std::optional<ValueRef> tags = root.Find("tags");
  ASSERT_TRUE(tags.has_value());
  std::vector<std::string> elements;
  for (ValueRef element : tags->elements()) elements.emplace_back(element.string_value());
  EXPECT_THAT(elements, ElementsAre("a", "b"));
  EXPECT_EQ(root.Find("empty")->size(), 0u);
  EXPECT_FALSE(root.Find("missing").has_value());
  EXPECT_EQ(root.DebugString(), R"({"id": 7, "tags": ["a", "b"], "empty": {}, "none": nil})");
}

TEST(ValueTreeTest, HoldsSeveralTopLevelValues) {
  ValueTree tree;
  const uint32_t first = tree.BeginArray();
  tree.AddInt(1);
  tree.End();
  const uint32_t second = tree.AddString("x");
  EXPECT_EQ(tree.value(first).DebugString(), "[1]");
  EXPECT_EQ(tree.value(second).DebugString(), "\"x\"");
}

TEST(ValueTreeTest, ClearKeepsNothingButCapacity) {
  ValueTree tree;
  BuildSample(tree);
  tree.Clear();
  EXPECT_TRUE(tree.empty());
  tree.AddInt(3);
  EXPECT_EQ(tree.root().DebugString(), "3");
}

TEST(ValueTreeTest, DeepEqualityComparesValuesNotPositions) {
  ValueTree a;
  BuildSample(a);
  ValueTree b;
  b.AddNil();  // Shifts every index of the copy by one.
  b.AddCopy(a.root());
  EXPECT_EQ(a.root(), b.value(1));
  EXPECT_EQ(b.value(1).DebugString(), a.root().DebugString());

  ValueTree renamed;
  renamed.BeginStruct();
  renamed.AddMember("id");
  renamed.AddInt(7);
  renamed.End();
  ValueTree other_name;
  other_name.BeginStruct();
  other_name.AddMember("ID");
  other_name.AddInt(7);
  other_name.End();
  EXPECT_FALSE(renamed.root() == other_name.root());
  EXPECT_FALSE(a.root() == renamed.root());
}

TEST(ValueTreeTest, EqualityDistinguishesTypesAndDoubleBits) {
  ValueTree tree;
  const uint32_t string = tree.AddString("1");
  const uint32_t base64 = tree.AddBase64("1");
  const uint32_t zero = tree.AddDouble(0.0);
  const uint32_t negative_zero = tree.AddDouble(-0.0);
  const uint32_t one = tree.AddInt(1);
  const uint32_t truth = tree.AddBoolean(true);
  EXPECT_FALSE(tree.value(string) == tree.value(base64));
  EXPECT_FALSE(tree.value(zero) == tree.value(negative_zero));
  EXPECT_FALSE(tree.value(one) == tree.value(truth));
  EXPECT_TRUE(tree.value(zero) == tree.value(zero));
}

TEST(ValueTreeTest, EqualityComparesShapeNotJustFlattenedNodes) {
  // [[1], 2] and [[1, 2]] flatten to the same node types; their shapes differ.
  ValueTree a;
  a.BeginArray();
  a.BeginArray();
  a.AddInt(1);
  a.End();
  a.AddInt(2);
  a.End();
  ValueTree b;
  b.BeginArray();
  b.BeginArray();
  b.AddInt(1);
  b.AddInt(2);
  b.End();
  b.End();
  EXPECT_FALSE(a.root() == b.root());
}

TEST(ValueTreeTest, CopyCarriesTextAndNames) {
  ValueTree source;
  BuildSample(source);
  ValueTree copy;
  copy.BeginStruct();
  copy.AddMember("inner");
  copy.AddCopy(source.root());
  copy.End();
  source.Clear();  // The copy owns its text.
  EXPECT_EQ(copy.root().DebugString(),
            R"({"inner": {"id": 7, "tags": ["a", "b"], "empty": {}, "none": nil}})");
}

TEST(ValueTreeTest, DebugStringEscapesAndShowsTypes) {
  ValueTree tree;
  tree.BeginArray();
  tree.AddString("a\"\n");
  tree.AddBase64(absl::string_view("\0\1", 2));
  tree.AddDouble(2.5);
  tree.AddBoolean(false);
  tree.AddDateTime("20260125T12:00:00");
  tree.End();
  EXPECT_EQ(tree.root().DebugString(),
            R"(["a\"\n", b"\x00\x01", 2.5, false, dateTime(20260125T12:00:00)])");
}

TEST(ValueTypeTest, NamesAreTheElementNames) {
  EXPECT_EQ(ValueTypeName(ValueType::kInt), "int");
  EXPECT_EQ(ValueTypeName(ValueType::kDateTime), "dateTime.iso8601");
  EXPECT_EQ(ValueTypeName(ValueType::kNil), "nil");
}

TEST(MethodNameTest, AllowsOnlyTheSpecCharset) {
  EXPECT_TRUE(IsValidMethodName("demo.Calculator.Add"));
  EXPECT_TRUE(IsValidMethodName("a_b:c/d.E9"));
  EXPECT_FALSE(IsValidMethodName(""));
  EXPECT_FALSE(IsValidMethodName("a b"));
  EXPECT_FALSE(IsValidMethodName("a-b"));
  EXPECT_FALSE(IsValidMethodName("caf\xC3\xA9"));
  EXPECT_FALSE(IsValidMethodName(absl::string_view("a\0", 2)));
}

}  // namespace
}  // namespace weft::protocols::xmlrpc
