// The fast proto3 JSON mapping against protobuf's own (util::JsonStringToMessage and
// MessageToJsonString): random messages of every field kind round-trip through each direction
// with the other side done by protobuf, and both refuse the same bad input.
#include "gateways/http/json_mapping.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "demo/calculator.pb.h"
#include "gateways/http/testdata/json_mapping_test.pb.h"
#include "gateways/http/testdata/xmlrpc_mapping_test.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::gateways::http {
namespace {

// JsonToMessage()'s in-place copy, shared by the tests as a loop's sessions share one.
std::string buffer_;  // NOLINT: test-only global.

namespace pb = google::protobuf;
using testdata::JsonInner;
using testdata::JsonTypes;
using ::testing::HasSubstr;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

std::string RandomText(std::mt19937_64& rng) {
  static constexpr absl::string_view kPieces[] = {"a",    "Z",    "\"", "\\", "\n", "é",
                                                  "日本", "\x01", " ",  "</", "{}", "😀"};
  std::string out;
  for (int n = static_cast<int>(rng() % 6); n > 0; --n) {
    absl::StrAppend(&out, kPieces[rng() % std::size(kPieces)]);
  }
  return out;
}

template <typename Int>
Int RandomInt(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return 0;
    case 1:
      return std::numeric_limits<Int>::max();
    case 2:
      return std::numeric_limits<Int>::min();
    default:
      return static_cast<Int>(rng());
  }
}

double RandomDouble(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:
      return 0.1;
    case 1:
      return -1e300;
    case 2:
      return std::numeric_limits<double>::infinity();
    case 3:
      return static_cast<double>(rng() % 1000) / 7;
    default:
      return std::ldexp(static_cast<double>(rng() % 100000), static_cast<int>(rng() % 200) - 100);
  }
}

void Fill(JsonInner& inner, std::mt19937_64& rng, int depth) {
  inner.set_label(RandomText(rng));
  inner.set_count(RandomInt<int32_t>(rng));
  if (depth < 3 && rng() % 2 == 0) Fill(*inner.mutable_child(), rng, depth + 1);
}

JsonTypes RandomMessage(std::mt19937_64& rng) {
  JsonTypes m;
  m.set_f_int32(RandomInt<int32_t>(rng));
  m.set_f_int64(RandomInt<int64_t>(rng));
  m.set_f_uint32(RandomInt<uint32_t>(rng));
  m.set_f_uint64(RandomInt<uint64_t>(rng));
  m.set_f_sint32(RandomInt<int32_t>(rng));
  m.set_f_sint64(RandomInt<int64_t>(rng));
  m.set_f_fixed32(RandomInt<uint32_t>(rng));
  m.set_f_fixed64(RandomInt<uint64_t>(rng));
  m.set_f_sfixed32(RandomInt<int32_t>(rng));
  m.set_f_sfixed64(RandomInt<int64_t>(rng));
  m.set_f_float(static_cast<float>(static_cast<double>(rng() % 100000) / 64));
  m.set_f_double(RandomDouble(rng));
  m.set_f_bool(rng() % 2 == 0);
  m.set_f_string(RandomText(rng));
  m.set_f_bytes(std::string("\0\xff\x10 ab", 6).substr(0, rng() % 7));
  m.set_shade(static_cast<testdata::Shade>(rng() % 3));
  if (rng() % 2 == 0) Fill(*m.mutable_inner(), rng, 0);
  for (int n = static_cast<int>(rng() % 4); n > 0; --n) m.add_numbers(RandomInt<int64_t>(rng));
  for (int n = static_cast<int>(rng() % 3); n > 0; --n) m.add_names(RandomText(rng));
  for (int n = static_cast<int>(rng() % 3); n > 0; --n) Fill(*m.add_inners(), rng, 1);
  for (int n = static_cast<int>(rng() % 3); n > 0; --n) m.add_shades(testdata::SHADE_DARK);
  for (int n = static_cast<int>(rng() % 3); n > 0; --n) {
    (*m.mutable_counts())[RandomText(rng)] = RandomInt<int64_t>(rng);
  }
  for (int n = static_cast<int>(rng() % 3); n > 0; --n) {
    Fill((*m.mutable_by_id())[RandomInt<int32_t>(rng)], rng, 2);
  }
  if (rng() % 2 == 0) (*m.mutable_flags())[rng() % 2 == 0] = RandomText(rng);
  if (rng() % 2 == 0) m.set_opt_int32(RandomInt<int32_t>(rng));
  switch (rng() % 3) {
    case 0:
      m.set_choice_name(RandomText(rng));
      break;
    case 1:
      m.set_choice_id(RandomInt<int64_t>(rng));
      break;
    default:
      break;
  }
  m.set_custom(RandomText(rng));
  for (int n = static_cast<int>(rng() % 3); n > 0; --n) m.add_ratios(RandomDouble(rng));
  return m;
}

std::string ProtobufJson(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  EXPECT_TRUE(pb::util::MessageToJsonString(message, &out, options).ok());
  return out;
}

TEST(JsonMappingTest, RandomMessagesRoundTripAgainstProtobuf) {
  std::mt19937_64 rng(20261207);
  for (int i = 0; i < 2000; ++i) {
    const JsonTypes original = RandomMessage(rng);
    // protobuf writes, this mapping reads.
    const std::string theirs = ProtobufJson(original);
    JsonTypes read;
    ASSERT_THAT(JsonToMessage(theirs, read, buffer_), IsOk()) << theirs;
    ASSERT_TRUE(pb::util::MessageDifferencer::Equals(original, read)) << theirs << "\n"
                                                                      << read.ShortDebugString();
    // This mapping writes, protobuf reads.
    std::string ours;
    MessageToJson(original, ours);
    JsonTypes back;
    ASSERT_TRUE(pb::util::JsonStringToMessage(ours, &back).ok()) << ours;
    ASSERT_TRUE(pb::util::MessageDifferencer::Equals(original, back)) << ours << "\n"
                                                                      << back.ShortDebugString();
  }
}

TEST(JsonMappingTest, WritesWhatProtobufWritesForPlainMessages) {
  demo::AddResponse sum;
  sum.set_sum(5);
  std::string ours;
  MessageToJson(sum, ours);
  EXPECT_EQ(ours, ProtobufJson(sum));
  EXPECT_EQ(ours, R"({"sum":"5"})");
  JsonTypes empty;
  ours.clear();
  MessageToJson(empty, ours);
  EXPECT_EQ(ours, ProtobufJson(empty));
}

TEST(JsonMappingTest, ReadsEveryAcceptedSpelling) {
  JsonTypes m;
  ASSERT_THAT(JsonToMessage(R"({"f_int32":"-7","fInt64":"9007199254740993","fUint32":4.0,
      "f_double":"NaN","fFloat":"-Infinity","shade":2,"shades":["SHADE_LIGHT",2],
      "fBytes":"-_8","customJsonName":"d","byId":{"-3":{"count":1}},
      "flags":{"true":"t"},"inner":null})",
                            m, buffer_),
              IsOk());
  EXPECT_EQ(m.f_int32(), -7);
  EXPECT_EQ(m.f_int64(), 9007199254740993);
  EXPECT_EQ(m.f_uint32(), 4u);
  EXPECT_TRUE(std::isnan(m.f_double()));
  EXPECT_EQ(m.f_float(), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(m.shade(), testdata::SHADE_DARK);
  EXPECT_EQ(m.shades_size(), 2);
  EXPECT_EQ(m.f_bytes(), "\xfb\xff");
  EXPECT_EQ(m.custom(), "d");
  EXPECT_EQ(m.by_id().at(-3).count(), 1);
  EXPECT_EQ(m.flags().at(true), "t");
  EXPECT_FALSE(m.has_inner());
}

TEST(JsonMappingTest, RefusesWhatProtobufRefuses) {
  for (absl::string_view bad :
       {"", "[]", "1", "{", R"({"nope":1})", R"({"fInt32":2147483648})", R"({"fInt32":1.5})",
        R"({"fUint32":-1})", R"({"fInt32":"x"})", R"({"fBool":1})", R"({"fString":1})",
        R"({"fBytes":"***"})", R"({"shade":"SHADE_NONE"})", R"({"inner":[]})",
        R"({"choiceName":"a","choiceId":"1"})", R"({"byId":{"x":{}}})", R"({"fFloat":1e300})",
        R"({"fInt64":"1e3"})", R"({"fDouble":"abc"})"}) {
    JsonTypes ours;
    const absl::Status status = JsonToMessage(bad, ours, buffer_);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    JsonTypes theirs;
    EXPECT_FALSE(pb::util::JsonStringToMessage(std::string(bad), &theirs).ok())
        << "protobuf accepts " << bad;
  }
  // Stricter than protobuf 3.21, which accepts these although the proto3 JSON spec does not
  // (the last: a string that is not UTF-8).
  for (absl::string_view bad :
       {R"({"numbers":[1,null]})", R"({"numbers":1})", R"({"flags":{"yes":"a"}})",
        R"({"fBool":"yes"})", "{\"fString\":\"\xe1\"}", R"({"fString":"\ude00"})",
        R"({"fInt32":1,"f_int32":2})", R"({"counts":{"a":1,"a":2}})", R"({"fDouble":" 1"})",
        R"({"fInt32":"1 "})"}) {
    JsonTypes ours;
    EXPECT_THAT(JsonToMessage(bad, ours, buffer_), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  JsonTypes bools;
  ASSERT_THAT(JsonToMessage(R"({"fBool":"true"})", bools, buffer_), IsOk());
  EXPECT_TRUE(bools.f_bool());
  EXPECT_THAT(JsonToMessage(R"({"nope":1})", *std::make_unique<JsonTypes>(), buffer_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no field 'nope'")));
}

TEST(JsonMappingTest, DeepNestingIsBounded) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += R"({"child":)";
  deep += "{}";
  for (int i = 0; i < 100; ++i) deep += "}";
  JsonInner inner;
  EXPECT_THAT(JsonToMessage(deep, inner, buffer_), StatusIs(absl::StatusCode::kResourceExhausted));
  std::string very_deep(100000, '[');
  EXPECT_THAT(JsonToMessage(very_deep, inner, buffer_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonMappingTest, WellKnownTypesAreLeftToProtobuf) {
  JsonMappingSupport support;
  EXPECT_TRUE(support.Supported(*JsonTypes::descriptor()));
  EXPECT_TRUE(support.Supported(*JsonInner::descriptor()));
  EXPECT_TRUE(support.Supported(*demo::AddRequest::descriptor()));
  EXPECT_FALSE(support.Supported(*testdata::AllTypes::descriptor()));  // Timestamp, wrappers.
  EXPECT_FALSE(support.Supported(*testdata::AllTypes::descriptor()));  // Cached.
}

}  // namespace
}  // namespace weft::gateways::http
