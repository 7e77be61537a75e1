// The Store contract's dead-letter administration (store.h), run against every implementation:
// Replay() of one dead letter or a whole queue, and Purge() with and without live messages.
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
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
using ::weft::testing::StatusIs;

class StoreDeadLetterTest : public StoreContractFixture {};

TEST_P(StoreDeadLetterTest, ReplayOneMakesTheDeadLetterLiveWithAttemptsReset) {
  const int64_t id = Enqueue(Message("q"));
  const int64_t other = Enqueue(Message("q"));
  DeadLetter(id, 5, "INTERNAL: boom");
  DeadLetter(other);
  const absl::Time now = kT0 + absl::Hours(3);
  EXPECT_THAT(store_->Replay("q", id, now), IsOkAndHolds(1));

  absl::StatusOr<StoredMessage> stored = store_->Get(id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_FALSE(stored->dead);
  EXPECT_EQ(stored->attempts, 0);
  EXPECT_EQ(stored->next_attempt_at, now);
  EXPECT_EQ(stored->last_error, "");
  EXPECT_EQ(stored->enqueued_at, kT0);
  EXPECT_EQ(stored->payload, "payload");
  EXPECT_THAT(LiveIds("q"), ElementsAre(id));
  EXPECT_THAT(DeadIds("q"), ElementsAre(other));
}

TEST_P(StoreDeadLetterTest, ReplayOneIsNotFoundUnlessItIsADeadLetterOfThatQueue) {
  const int64_t live = Enqueue(Message("q"));
  const int64_t dead_elsewhere = Enqueue(Message("other"));
  const int64_t done = Enqueue(Message("q"));
  DeadLetter(dead_elsewhere);
  CompleteOne(done);
  for (int64_t id : {live, dead_elsewhere, done, int64_t{987654}}) {
    EXPECT_THAT(store_->Replay("q", id, kT0), StatusIs(absl::StatusCode::kNotFound)) << id;
  }
  EXPECT_THAT(DeadIds("other"), ElementsAre(dead_elsewhere));
  EXPECT_THAT(LiveIds("q"), ElementsAre(live));
}

TEST_P(StoreDeadLetterTest, ReplayAllReplaysEveryDeadLetterOfTheQueueOnly) {
  const int64_t a = Enqueue(Message("q"));
  const int64_t b = Enqueue(Message("q"));
  const int64_t live = Enqueue(Message("q"));
  const int64_t elsewhere = Enqueue(Message("other"));
  for (int64_t id : {a, b, elsewhere}) DeadLetter(id);
  EXPECT_THAT(store_->Replay("q", std::nullopt, kT0 + absl::Minutes(1)), IsOkAndHolds(2));
  EXPECT_THAT(LiveIds("q"), ElementsAre(a, b, live));
  EXPECT_THAT(DeadIds("q"), IsEmpty());
  EXPECT_THAT(DeadIds("other"), ElementsAre(elsewhere));
  EXPECT_THAT(store_->Get(live),
              IsOkAndHolds(::testing::Field(&StoredMessage::next_attempt_at, kT0)));
  // Nothing left to replay is not an error.
  EXPECT_THAT(store_->Replay("q", std::nullopt, kT0), IsOkAndHolds(0));
  EXPECT_THAT(store_->Replay("missing", std::nullopt, kT0), IsOkAndHolds(0));
}

TEST_P(StoreDeadLetterTest, ReplayedMessageCanBeCompleted) {
  const int64_t id = Enqueue(Message("q"));
  DeadLetter(id);
  ASSERT_THAT(store_->Replay("q", id, kT0), IsOk());
  CompleteOne(id);
  EXPECT_THAT(store_->Get(id), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreDeadLetterTest, PurgeDeletesTheQueuesDeadLettersOnly) {
  const int64_t live = Enqueue(Message("q"));
  const int64_t dead_a = Enqueue(Message("q"));
  const int64_t dead_b = Enqueue(Message("q"));
  const int64_t elsewhere = Enqueue(Message("other"));
  for (int64_t id : {dead_a, dead_b, elsewhere}) DeadLetter(id);
  EXPECT_THAT(store_->Purge("q", /*include_live=*/false), IsOkAndHolds(2));
  EXPECT_THAT(LiveIds("q"), ElementsAre(live));
  EXPECT_THAT(DeadIds("q"), IsEmpty());
  EXPECT_THAT(store_->Get(dead_a), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(DeadIds("other"), ElementsAre(elsewhere));
  EXPECT_THAT(store_->Purge("q", /*include_live=*/false), IsOkAndHolds(0));
}

TEST_P(StoreDeadLetterTest, PurgeWithLiveDeletesEverythingInTheQueue) {
  Enqueue(Message("q"));
  Enqueue(Message("q"));
  DeadLetter(Enqueue(Message("q")));
  const int64_t elsewhere = Enqueue(Message("other"));
  EXPECT_THAT(store_->Purge("q", /*include_live=*/true), IsOkAndHolds(3));
  EXPECT_THAT(LiveIds("q"), IsEmpty());
  EXPECT_THAT(DeadIds("q"), IsEmpty());
  EXPECT_THAT(LiveIds("other"), ElementsAre(elsewhere));
  EXPECT_THAT(store_->Purge("missing", /*include_live=*/true), IsOkAndHolds(0));
}

TEST_P(StoreDeadLetterTest, BatchSkipsMessagesPurgedMeanwhile) {
  const int64_t id = Enqueue(Message("q"));
  ASSERT_THAT(store_->Purge("q", /*include_live=*/true), IsOkAndHolds(1));
  WriteBatch batch;
  batch.complete = {id};
  batch.failed = {AttemptFailed{id, 1, kT0, "late"}};
  batch.dead = {DeadLettered{id, 2, "late"}};
  EXPECT_THAT(store_->Commit(batch), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->Get(id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ListQueues(), IsOkAndHolds(IsEmpty()));
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreDeadLetterTest, ::testing::ValuesIn(kAllStoreKinds),
                         PrintStoreKind);

}  // namespace
}  // namespace weft::broker::store
