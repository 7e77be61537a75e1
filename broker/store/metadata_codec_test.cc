#include "broker/store/metadata_codec.h"

#include <cstddef>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::broker::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::weft::testing::IsOk;
using ::weft::testing::IsOkAndHolds;
using ::weft::testing::StatusIs;

using namespace std::string_literals;

TEST(MetadataCodecTest, RoundTripsEmptyMetadata) {
  const std::string blob = EncodeMetadata({});
  EXPECT_EQ(blob, std::string(1, kMetadataFormatV1));
  EXPECT_THAT(DecodeMetadata(blob), IsOkAndHolds(IsEmpty()));
}

TEST(MetadataCodecTest, RoundTripsBinaryPairsInOrderWithRepeatedKeys) {
  const Metadata metadata = {{"b", "2"}, {"a\0k"s, "\0\xff\x80"s}, {"b", ""}, {"", "empty key"}};
  EXPECT_THAT(DecodeMetadata(EncodeMetadata(metadata)),
              IsOkAndHolds(ElementsAre(Pair("b", "2"), Pair("a\0k"s, "\0\xff\x80"s), Pair("b", ""),
                                       Pair("", "empty key"))));
}

TEST(MetadataCodecTest, RoundTripsLengthsThatNeedSeveralVarintBytes) {
  const Metadata metadata = {{std::string(200, 'k'), std::string(70000, 'v')}};
  absl::StatusOr<Metadata> decoded = DecodeMetadata(EncodeMetadata(metadata));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, metadata);
}

TEST(MetadataCodecTest, RejectsEmptyBlob) {
  EXPECT_THAT(DecodeMetadata(""), StatusIs(absl::StatusCode::kInternal, HasSubstr("store: ")));
}

TEST(MetadataCodecTest, RejectsUnknownFormat) {
  EXPECT_THAT(DecodeMetadata("\x02"), StatusIs(absl::StatusCode::kInternal));
}

TEST(MetadataCodecTest, RejectsEveryTruncationOfAValidBlob) {
  const std::string blob = EncodeMetadata({{"key", std::string(300, 'v')}, {"k2", "v2"}});
  // Cutting a blob between two pairs leaves a valid shorter blob; every other cut is corrupt.
  const std::size_t between_pairs = EncodeMetadata({{"key", std::string(300, 'v')}}).size();
  for (std::size_t length = 0; length < blob.size(); ++length) {
    if (length == 1 || length == between_pairs) continue;
    EXPECT_THAT(DecodeMetadata(absl::string_view(blob).substr(0, length)),
                StatusIs(absl::StatusCode::kInternal))
        << "length " << length;
  }
}

TEST(MetadataCodecTest, RejectsLengthBeyondTheBlob) {
  EXPECT_THAT(DecodeMetadata("\x01\x05"
                             "abc"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(DecodeMetadata("\x01\x01"
                             "a\x02"
                             "b"),
              StatusIs(absl::StatusCode::kInternal));
}

TEST(MetadataCodecTest, RejectsVarintOver64Bits) {
  EXPECT_THAT(DecodeMetadata("\x01" + std::string(9, '\xff') + "\x02"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(DecodeMetadata("\x01" + std::string(12, '\x80')),
              StatusIs(absl::StatusCode::kInternal));
}

TEST(MetadataCodecTest, RejectsHugeLengthWithoutAllocating) {
  // 2^64 - 1 as a varint: a length no blob can hold.
  EXPECT_THAT(DecodeMetadata("\x01" + std::string(9, '\xff') + "\x01"),
              StatusIs(absl::StatusCode::kInternal));
}

TEST(MetadataCodecTest, RandomBytesNeverCrash) {
  std::mt19937 random(42);
  for (int i = 0; i < 20000; ++i) {
    std::string blob(1 + random() % 24, '\0');
    for (char& c : blob) c = static_cast<char>(random() % 4 == 0 ? random() : random() % 8);
    blob[0] = kMetadataFormatV1;
    absl::StatusOr<Metadata> decoded = DecodeMetadata(blob);
    if (!decoded.ok()) {
      EXPECT_THAT(decoded, StatusIs(absl::StatusCode::kInternal));
    }
  }
}

}  // namespace
}  // namespace weft::broker::store
