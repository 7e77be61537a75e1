#include "reactor/byte_buffer.h"

#include <cstddef>
#include <deque>
#include <random>
#include <string>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace weft::reactor {
namespace {

std::string Pattern(std::size_t size, char seed) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>(seed + i * 7);
  return out;
}

TEST(ByteBufferTest, StartsEmpty) {
  ByteBuffer buffer;
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.view(), "");
}

TEST(ByteBufferTest, AppendEmptyIsANoOp) {
  ByteBuffer buffer;
  buffer.Append("");
  EXPECT_TRUE(buffer.empty());
  buffer.Append("ab");
  buffer.Append(absl::string_view());
  EXPECT_EQ(buffer.view(), "ab");
}

TEST(ByteBufferTest, AppendsInOrder) {
  ByteBuffer buffer;
  buffer.Append("hello");
  buffer.Append(", ");
  buffer.Append("world");
  EXPECT_FALSE(buffer.empty());
  EXPECT_EQ(buffer.size(), 12u);
  EXPECT_EQ(buffer.view(), "hello, world");
}

TEST(ByteBufferTest, KeepsEmbeddedNulBytes) {
  ByteBuffer buffer;
  const std::string bytes("a\0b\0", 4);
  buffer.Append(bytes);
  EXPECT_EQ(buffer.size(), 4u);
  EXPECT_EQ(buffer.view(), bytes);
}

TEST(ByteBufferTest, ConsumeDropsPrefix) {
  ByteBuffer buffer;
  buffer.Append("abcdef");
  buffer.Consume(2);
  EXPECT_EQ(buffer.view(), "cdef");
  buffer.Consume(0);
  EXPECT_EQ(buffer.view(), "cdef");
  buffer.Consume(3);
  EXPECT_EQ(buffer.view(), "f");
  EXPECT_EQ(buffer.size(), 1u);
}

TEST(ByteBufferTest, ConsumingEverythingEmptiesAndAllowsReuse) {
  ByteBuffer buffer;
  buffer.Append("abc");
  buffer.Consume(3);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.view(), "");
  buffer.Append("xyz");
  EXPECT_EQ(buffer.view(), "xyz");
}

TEST(ByteBufferTest, ClearDropsEverything) {
  ByteBuffer buffer;
  buffer.Append(Pattern(10000, 'a'));
  buffer.Consume(17);
  buffer.Clear();
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.size(), 0u);
  buffer.Clear();  // Clearing an empty buffer is fine.
  buffer.Append("again");
  EXPECT_EQ(buffer.view(), "again");
}

TEST(ByteBufferTest, GrowsPastInitialBlock) {
  ByteBuffer buffer;
  const std::string big = Pattern(1 << 20, 'q');
  buffer.Append(big.substr(0, 100));
  buffer.Append(big.substr(100));
  EXPECT_EQ(buffer.size(), big.size());
  EXPECT_EQ(buffer.view(), big);
}

TEST(ByteBufferTest, CompactsAfterConsumeWithoutLosingBytes) {
  // Fill most of the first block, consume most of it, then append enough that the write end
  // passes the block's end: the unconsumed tail must be moved to the front intact.
  ByteBuffer buffer;
  const std::string first = Pattern(4000, 'a');
  buffer.Append(first);
  buffer.Consume(3500);
  const std::string second = Pattern(600, 'k');
  buffer.Append(second);
  EXPECT_EQ(buffer.view(), first.substr(3500) + second);
}

TEST(ByteBufferTest, ReallocatesWhenCompactionWouldNotLeaveRoom) {
  ByteBuffer buffer;
  const std::string first = Pattern(4000, 'a');
  buffer.Append(first);
  buffer.Consume(1000);
  const std::string second = Pattern(3000, 'z');
  buffer.Append(second);
  EXPECT_EQ(buffer.view(), first.substr(1000) + second);
}

// Model check: random appends and consumes against std::deque<char>.
TEST(ByteBufferTest, MatchesDequeUnderRandomAppendAndConsume) {
  std::mt19937 rng(12345);
  ByteBuffer buffer;
  std::deque<char> model;
  char seed = 0;
  for (int step = 0; step < 5000; ++step) {
    if (rng() % 2 == 0) {
      const std::size_t n = rng() % (rng() % 8 == 0 ? 20000 : 300);
      const std::string bytes = Pattern(n, seed++);
      buffer.Append(bytes);
      model.insert(model.end(), bytes.begin(), bytes.end());
    } else {
      const std::size_t n = model.empty() ? 0 : rng() % (model.size() + 1);
      buffer.Consume(n);
      model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(n));
    }
    ASSERT_EQ(buffer.size(), model.size()) << "step " << step;
    ASSERT_EQ(buffer.empty(), model.empty());
    if (step % 50 == 0 || model.size() < 64) {
      ASSERT_EQ(buffer.view(), std::string(model.begin(), model.end())) << "step " << step;
    }
  }
}

}  // namespace
}  // namespace weft::reactor
