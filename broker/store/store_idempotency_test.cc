// The Store contract's idempotency-key rules (store.h), run against every implementation:
// a key is unique per queue from its message's enqueue until ExpireIdempotencyKeys() forgets it,
// whether that message is live, dead, completed or purged meanwhile.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "broker/store/store.h"
#include "broker/store/testing/store_contract_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::broker::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::weft::testing::IsOk;
using ::weft::testing::IsOkAndHolds;

class StoreIdempotencyTest : public StoreContractFixture {
 protected:
  // Enqueues `message` again and expects it to be refused as a duplicate of `original`.
  void ExpectDuplicate(const NewMessage& message, int64_t original) {
    WriteBatch batch;
    batch.enqueue = {message};
    EXPECT_THAT(Commit(batch), ElementsAre(IsDuplicateOf(original)));
  }
};

TEST_P(StoreIdempotencyTest, RepeatedKeyInOneBatchIsADuplicateOfTheFirst) {
  WriteBatch batch;
  batch.enqueue = {Message("q", "k"), Message("q", "other"), Message("q", "k")};
  std::vector<EnqueueResult> results = Commit(batch);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[0].duplicate);
  EXPECT_FALSE(results[1].duplicate);
  EXPECT_THAT(results[2], IsDuplicateOf(results[0].id));
  EXPECT_THAT(LiveIds("q"), ElementsAre(results[0].id, results[1].id));
}

TEST_P(StoreIdempotencyTest, KeyOfALiveMessageRefusesTheDuplicateAndKeepsTheOriginal) {
  NewMessage first = Message("q", "k");
  first.payload = "first";
  const int64_t id = Enqueue(first);
  NewMessage second = Message("q", "k");
  second.payload = "second";
  ExpectDuplicate(second, id);
  EXPECT_THAT(LiveIds("q"), ElementsAre(id));
  EXPECT_THAT(store_->Get(id), IsOkAndHolds(::testing::Field(&StoredMessage::payload, "first")));
}

TEST_P(StoreIdempotencyTest, KeyOfADeadLetterRefusesTheDuplicate) {
  const int64_t id = Enqueue(Message("q", "k"));
  DeadLetter(id);
  ExpectDuplicate(Message("q", "k"), id);
  EXPECT_THAT(LiveIds("q"), IsEmpty());
  EXPECT_THAT(DeadIds("q"), ElementsAre(id));
}

TEST_P(StoreIdempotencyTest, KeyOfACompletedMessageRefusesTheDuplicate) {
  const int64_t id = Enqueue(Message("q", "k"));
  CompleteOne(id);
  ExpectDuplicate(Message("q", "k"), id);
  EXPECT_THAT(LiveIds("q"), IsEmpty());
}

TEST_P(StoreIdempotencyTest, KeyOfAPurgedMessageRefusesTheDuplicate) {
  const int64_t live = Enqueue(Message("q", "live"));
  const int64_t dead = Enqueue(Message("q", "dead"));
  DeadLetter(dead);
  EXPECT_THAT(store_->Purge("q", /*include_live=*/true), IsOkAndHolds(2));
  ExpectDuplicate(Message("q", "live"), live);
  ExpectDuplicate(Message("q", "dead"), dead);
}

TEST_P(StoreIdempotencyTest, SameKeyInAnotherQueueIsNotADuplicate) {
  const int64_t a = Enqueue(Message("a", "k"));
  WriteBatch batch;
  batch.enqueue = {Message("b", "k")};
  std::vector<EnqueueResult> results = Commit(batch);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].duplicate);
  EXPECT_NE(results[0].id, a);
}

TEST_P(StoreIdempotencyTest, MessagesWithoutAKeyAreNeverDuplicates) {
  WriteBatch batch;
  batch.enqueue = {Message("q"), Message("q")};
  std::vector<EnqueueResult> results = Commit(batch);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].duplicate);
  EXPECT_FALSE(results[1].duplicate);
  EXPECT_THAT(LiveIds("q"), ElementsAre(results[0].id, results[1].id));
  EXPECT_THAT(store_->ExpireIdempotencyKeys(absl::InfiniteFuture()), IsOkAndHolds(0));
}

TEST_P(StoreIdempotencyTest, ExpiryForgetsOnlyKeysRecordedBeforeTheCutoffOfGoneMessages) {
  const int64_t live = Enqueue(Message("q", "live", kT0));
  const int64_t dead = Enqueue(Message("q", "dead", kT0));
  const int64_t done = Enqueue(Message("q", "done", kT0));
  const int64_t recent = Enqueue(Message("q", "recent", kT0 + absl::Hours(1)));
  const int64_t at_cutoff = Enqueue(Message("q", "at-cutoff", kT0 + absl::Minutes(30)));
  DeadLetter(dead);
  Commit(Completions({done, recent, at_cutoff}));

  // Keys of stored messages stay however old; "recent" and "at-cutoff" are not before it.
  EXPECT_THAT(store_->ExpireIdempotencyKeys(kT0 + absl::Minutes(30)), IsOkAndHolds(1));
  EXPECT_THAT(store_->ExpireIdempotencyKeys(kT0 + absl::Minutes(30)), IsOkAndHolds(0));
  ExpectDuplicate(Message("q", "live"), live);
  ExpectDuplicate(Message("q", "dead"), dead);
  ExpectDuplicate(Message("q", "recent"), recent);
  ExpectDuplicate(Message("q", "at-cutoff"), at_cutoff);
  WriteBatch reuse;
  reuse.enqueue = {Message("q", "done")};
  std::vector<EnqueueResult> results = Commit(reuse);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].duplicate);
  EXPECT_GT(results[0].id, at_cutoff);
}

TEST_P(StoreIdempotencyTest, AnExpiredKeyCanBeUsedAgainAndIsThenHeldByTheNewMessage) {
  const int64_t first = Enqueue(Message("q", "k", kT0));
  CompleteOne(first);
  EXPECT_THAT(store_->ExpireIdempotencyKeys(kT0 + absl::Seconds(1)), IsOkAndHolds(1));
  const int64_t second = Enqueue(Message("q", "k", kT0 + absl::Hours(1)));
  EXPECT_GT(second, first);
  ExpectDuplicate(Message("q", "k"), second);
  CompleteOne(second);
  // Recorded at the second message's enqueue time, so an older cutoff keeps it.
  EXPECT_THAT(store_->ExpireIdempotencyKeys(kT0 + absl::Seconds(1)), IsOkAndHolds(0));
  ExpectDuplicate(Message("q", "k"), second);
}

TEST_P(StoreIdempotencyTest, ReplayedMessageKeepsItsKey) {
  const int64_t id = Enqueue(Message("q", "k"));
  DeadLetter(id);
  ASSERT_THAT(store_->Replay("q", id, kT0), IsOk());
  ExpectDuplicate(Message("q", "k"), id);
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreIdempotencyTest, ::testing::ValuesIn(kAllStoreKinds),
                         PrintStoreKind);

}  // namespace
}  // namespace weft::broker::store
