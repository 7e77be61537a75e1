// The Store contract (store.h), run against InMemoryStore, SqliteStore and PostgresStore.
//
// Each test gets a new, empty database from its driver (store_drivers.h). Persistence across
// reopening, schema versions and each real store's own failure modes are in
// store_persistence_test.cc.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "broker/store/store.h"
#include "broker/store/testing/store_contract_fixture.h"
#include "broker/store/testing/store_drivers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::broker::store {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::Pair;
using ::weft::testing::IsOk;
using ::weft::testing::IsOkAndHolds;
using ::weft::testing::StatusIs;

using namespace std::string_literals;

class StoreContractTest : public StoreContractFixture {};

TEST_P(StoreContractTest, ReportsASchemaVersion) { EXPECT_GE(store_->schema_version(), 1); }

TEST_P(StoreContractTest, EmptyBatchCommitsNothing) {
  EXPECT_THAT(store_->Commit(WriteBatch{}), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->ListQueues(), IsOkAndHolds(IsEmpty()));
}

TEST_P(StoreContractTest, IdsArePositiveAndIncreaseAcrossQueuesInCommitOrder) {
  WriteBatch batch;
  batch.enqueue = {Message("b"), Message("a"), Message("b")};
  std::vector<EnqueueResult> first = Commit(batch);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_GT(first[0].id, 0);
  EXPECT_LT(first[0].id, first[1].id);
  EXPECT_LT(first[1].id, first[2].id);
  const int64_t later = Enqueue(Message("a"));
  EXPECT_GT(later, first[2].id);
  EXPECT_THAT(LiveIds("a"), ElementsAre(first[1].id, later));
  EXPECT_THAT(LiveIds("b"), ElementsAre(first[0].id, first[2].id));
}

TEST_P(StoreContractTest, IdsAreNeverReusedAfterTheNewestIsCompleted) {
  const int64_t first = Enqueue(Message("q"));
  CompleteOne(first);
  EXPECT_GT(Enqueue(Message("q")), first);
}

TEST_P(StoreContractTest, EnqueuedMessageRoundTripsEveryFieldByteForByte) {
  NewMessage message;
  message.queue = "q\xff\0ueue"s;  // Not UTF-8, with a NUL.
  message.service = "weft.test.v1.Echo";
  message.method = "Say";
  message.payload = "\0\x01\x02\xff\xfe payload \0"s;
  message.metadata = {{"b", "2"}, {"a\0"s, "\0\xff"s}, {"b", ""}};
  message.idempotency_key = "k\0\xff"s;
  message.enqueued_at = kT0 + absl::Microseconds(5);
  const int64_t id = Enqueue(message);

  absl::StatusOr<StoredMessage> stored = store_->Get(id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->id, id);
  EXPECT_EQ(stored->queue, message.queue);
  EXPECT_EQ(stored->service, message.service);
  EXPECT_EQ(stored->method, message.method);
  EXPECT_EQ(stored->payload, message.payload);
  EXPECT_THAT(stored->metadata,
              ElementsAre(Pair("b", "2"), Pair("a\0"s, "\0\xff"s), Pair("b", "")));
  EXPECT_EQ(stored->idempotency_key, message.idempotency_key);
  EXPECT_EQ(stored->enqueued_at, message.enqueued_at);
  EXPECT_EQ(stored->attempts, 0);
  EXPECT_EQ(stored->next_attempt_at, message.enqueued_at);
  EXPECT_EQ(stored->last_error, "");
  EXPECT_FALSE(stored->dead);
  EXPECT_THAT(LiveIds(message.queue), ElementsAre(id));
}

TEST_P(StoreContractTest, EmptyPayloadAndMetadataRoundTrip) {
  NewMessage message = Message("q");
  message.payload.clear();
  message.service.clear();
  message.method.clear();
  absl::StatusOr<StoredMessage> stored = store_->Get(Enqueue(message));
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->payload, "");
  EXPECT_EQ(stored->service, "");
  EXPECT_THAT(stored->metadata, IsEmpty());
}

TEST_P(StoreContractTest, TimesAreKeptToTheMicrosecondRoundingDown) {
  const absl::Time at = kT0 + absl::Nanoseconds(1999);
  absl::StatusOr<StoredMessage> stored = store_->Get(Enqueue(Message("q", "", at)));
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->enqueued_at, kT0 + absl::Microseconds(1));
}

TEST_P(StoreContractTest, CompleteDeletesLiveMessagesAndSkipsOthers) {
  const int64_t a = Enqueue(Message("q"));
  const int64_t b = Enqueue(Message("q"));
  const int64_t dead = Enqueue(Message("q"));
  DeadLetter(dead);
  Commit(Completions({a, dead, 999999}));
  EXPECT_THAT(LiveIds("q"), ElementsAre(b));
  EXPECT_THAT(DeadIds("q"), ElementsAre(dead));
  EXPECT_THAT(store_->Get(a), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreContractTest, FailedAttemptUpdatesAttemptsScheduleAndError) {
  const int64_t id = Enqueue(Message("q"));
  const absl::Time retry_at = kT0 + absl::Seconds(30);
  Commit(Failures({AttemptFailed{id, 1, retry_at, "UNAVAILABLE: \0down\xff"s}}));
  absl::StatusOr<StoredMessage> stored = store_->Get(id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->attempts, 1);
  EXPECT_EQ(stored->next_attempt_at, retry_at);
  EXPECT_EQ(stored->last_error, "UNAVAILABLE: \0down\xff"s);
  EXPECT_FALSE(stored->dead);
  EXPECT_EQ(stored->enqueued_at, kT0);
}

TEST_P(StoreContractTest, FailedAttemptSkipsDeadAndUnknownIds) {
  const int64_t dead = Enqueue(Message("q"));
  DeadLetter(dead, 5, "INTERNAL: last");
  Commit(Failures({AttemptFailed{dead, 9, kT0, "x"}, AttemptFailed{424242, 1, kT0, "x"}}));
  absl::StatusOr<StoredMessage> stored = store_->Get(dead);
  ASSERT_THAT(stored, IsOk());
  EXPECT_TRUE(stored->dead);
  EXPECT_EQ(stored->attempts, 5);
  EXPECT_EQ(stored->last_error, "INTERNAL: last");
}

TEST_P(StoreContractTest, DeadLetterMovesAMessageFromLiveToDead) {
  const int64_t id = Enqueue(Message("q"));
  const int64_t other = Enqueue(Message("q"));
  DeadLetter(id, 7, "DEADLINE_EXCEEDED: slow");
  EXPECT_THAT(LiveIds("q"), ElementsAre(other));
  EXPECT_THAT(DeadIds("q"), ElementsAre(id));
  absl::StatusOr<StoredMessage> stored = store_->Get(id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_TRUE(stored->dead);
  EXPECT_EQ(stored->attempts, 7);
  EXPECT_EQ(stored->last_error, "DEADLINE_EXCEEDED: slow");
  EXPECT_EQ(stored->payload, "payload");
  // Dead-lettering it again, or an unknown id, changes nothing.
  DeadLetter(id, 8, "again");
  DeadLetter(777777);
  EXPECT_THAT(store_->Get(id), IsOkAndHolds(Field(&StoredMessage::attempts, 7)));
}

TEST_P(StoreContractTest, BatchAppliesEnqueuesCompletionsFailuresThenDeadLetters) {
  const int64_t done = Enqueue(Message("q"));
  const int64_t retried = Enqueue(Message("q"));
  WriteBatch batch;
  batch.enqueue = {Message("q", "new-key")};
  batch.complete = {done};
  // A completed message is gone before its failure and dead letter are applied...
  batch.failed = {AttemptFailed{done, 1, kT0, "late"}, AttemptFailed{retried, 2, kT0, "first"}};
  // ...and a failure is recorded before the same message's dead letter.
  batch.dead = {DeadLettered{done, 3, "late"}, DeadLettered{retried, 3, "final"}};
  std::vector<EnqueueResult> results = Commit(batch);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_GT(results[0].id, retried);
  EXPECT_THAT(store_->Get(done), StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<StoredMessage> stored = store_->Get(retried);
  ASSERT_THAT(stored, IsOk());
  EXPECT_TRUE(stored->dead);
  EXPECT_EQ(stored->attempts, 3);
  EXPECT_EQ(stored->last_error, "final");
  EXPECT_THAT(LiveIds("q"), ElementsAre(results[0].id));
}

TEST_P(StoreContractTest, FailedCommitAppliesNothing) {
  const int64_t done = Enqueue(Message("q"));
  const int64_t retried = Enqueue(Message("q"));
  const int64_t poisoned = Enqueue(Message(kPoisonQueue));
  ASSERT_THAT(driver_->PoisonDeadLetters(*store_), IsOk());
  WriteBatch batch;
  batch.enqueue = {Message("q", "key"), Message("fresh")};
  batch.complete = {done};
  batch.failed = {AttemptFailed{retried, 1, kT0 + absl::Seconds(1), "err"}};
  batch.dead = {DeadLettered{retried, 2, "dead"}, DeadLettered{poisoned, 2, "dead"}};
  EXPECT_THAT(store_->Commit(batch), StatusIs(absl::StatusCode::kInternal));
  ASSERT_THAT(driver_->Unpoison(*store_), IsOk());

  EXPECT_THAT(LiveIds("q"), ElementsAre(done, retried));
  EXPECT_THAT(store_->Get(retried), IsOkAndHolds(Field(&StoredMessage::attempts, 0)));
  EXPECT_THAT(LiveIds(kPoisonQueue), ElementsAre(poisoned));
  EXPECT_THAT(LiveIds("fresh"), IsEmpty());
  // The key was not recorded either, and the store carries on.
  WriteBatch retry;
  retry.enqueue = {Message("q", "key")};
  EXPECT_THAT(store_->Commit(retry),
              IsOkAndHolds(ElementsAre(Field(&EnqueueResult::duplicate, false))));
}

TEST_P(StoreContractTest, LargeBatchKeepsOrderAndEveryPayload) {
  WriteBatch batch;
  for (int i = 0; i < 300; ++i) {
    NewMessage message = Message(i % 2 == 0 ? "even" : "odd", absl::StrCat("key-", i));
    message.payload = std::string(i % 7 == 0 ? 200000 : 100, static_cast<char>('a' + i % 26));
    batch.enqueue.push_back(std::move(message));
  }
  std::vector<EnqueueResult> results = Commit(batch);
  ASSERT_EQ(results.size(), 300u);
  for (int i = 1; i < 300; ++i) EXPECT_LT(results[i - 1].id, results[i].id);
  absl::StatusOr<std::vector<StoredMessage>> even = store_->LoadLive("even", 0, 1000);
  ASSERT_THAT(even, IsOk());
  ASSERT_EQ(even->size(), 150u);
  for (int i = 0; i < 150; ++i) {
    EXPECT_EQ((*even)[i].id, results[2 * i].id);
    EXPECT_EQ((*even)[i].payload, batch.enqueue[2 * i].payload);
  }
}

TEST_P(StoreContractTest, LoadLivePagesByIdWithinOneQueue) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Enqueue(Message("q")));
    Enqueue(Message("other"));
  }
  DeadLetter(ids[2]);
  EXPECT_THAT(Ids(store_->LoadLive("q", 0, 2)), ElementsAre(ids[0], ids[1]));
  EXPECT_THAT(Ids(store_->LoadLive("q", ids[1], 2)), ElementsAre(ids[3], ids[4]));
  EXPECT_THAT(Ids(store_->LoadLive("q", ids[4], 2)), IsEmpty());
  EXPECT_THAT(Ids(store_->LoadLive("q", 0, 0)), IsEmpty());
  EXPECT_THAT(Ids(store_->LoadLive("missing", 0, 10)), IsEmpty());
  EXPECT_THAT(Ids(store_->LoadLive("q", -1, SIZE_MAX)),
              ElementsAre(ids[0], ids[1], ids[3], ids[4]));
}

TEST_P(StoreContractTest, LoadDeadPagesByIdWithinOneQueue) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(Enqueue(Message("q")));
  const int64_t elsewhere = Enqueue(Message("other"));
  for (int64_t id : {ids[0], ids[1], ids[3], elsewhere}) DeadLetter(id);
  EXPECT_THAT(Ids(store_->LoadDead("q", 0, 2)), ElementsAre(ids[0], ids[1]));
  EXPECT_THAT(Ids(store_->LoadDead("q", ids[1], 2)), ElementsAre(ids[3]));
  EXPECT_THAT(Ids(store_->LoadDead("q", 0, 0)), IsEmpty());
  EXPECT_THAT(LiveIds("q"), ElementsAre(ids[2]));
}

TEST_P(StoreContractTest, GetFindsLiveAndDeadMessagesOnly) {
  const int64_t live = Enqueue(Message("q"));
  const int64_t dead = Enqueue(Message("q"));
  const int64_t done = Enqueue(Message("q"));
  DeadLetter(dead);
  CompleteOne(done);
  EXPECT_THAT(store_->Get(live), IsOkAndHolds(Field(&StoredMessage::dead, false)));
  EXPECT_THAT(store_->Get(dead), IsOkAndHolds(Field(&StoredMessage::dead, true)));
  EXPECT_THAT(store_->Get(done), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Get(0), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Get(done + 1000), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreContractTest, ListQueuesCountsLiveAndDeadByName) {
  Enqueue(Message("b", "", kT0 + absl::Seconds(2)));
  DeadLetter(Enqueue(Message("b", "", kT0)));
  Enqueue(Message("a", "", kT0 + absl::Seconds(5)));
  DeadLetter(Enqueue(Message("dead-only")));
  Enqueue(Message("A"));
  absl::StatusOr<std::vector<QueueInfo>> queues = store_->ListQueues();
  ASSERT_THAT(queues, IsOk());
  ASSERT_EQ(queues->size(), 4u);
  // Ordered by name, byte-wise.
  EXPECT_EQ((*queues)[0].name, "A");
  EXPECT_EQ((*queues)[1].name, "a");
  EXPECT_EQ((*queues)[1].live, 1);
  EXPECT_EQ((*queues)[1].dead, 0);
  EXPECT_THAT((*queues)[1].oldest_live, Optional(kT0 + absl::Seconds(5)));
  EXPECT_EQ((*queues)[2].name, "b");
  EXPECT_EQ((*queues)[2].live, 1);
  EXPECT_EQ((*queues)[2].dead, 1);
  EXPECT_THAT((*queues)[2].oldest_live, Optional(kT0 + absl::Seconds(2)));
  EXPECT_EQ((*queues)[3].name, "dead-only");
  EXPECT_EQ((*queues)[3].live, 0);
  EXPECT_EQ((*queues)[3].dead, 1);
  EXPECT_EQ((*queues)[3].oldest_live, std::nullopt);
}

TEST_P(StoreContractTest, OldestLiveIsTheEarliestEnqueueTimeNotTheLowestId) {
  Enqueue(Message("q", "", kT0 + absl::Minutes(1)));
  Enqueue(Message("q", "", kT0));
  Enqueue(Message("q", "", kT0 + absl::Minutes(2)));
  absl::StatusOr<std::vector<QueueInfo>> queues = store_->ListQueues();
  ASSERT_THAT(queues, IsOk());
  ASSERT_EQ(queues->size(), 1u);
  EXPECT_EQ((*queues)[0].live, 3);
  EXPECT_THAT((*queues)[0].oldest_live, Optional(kT0));
}

TEST_P(StoreContractTest, ListQueuesOmitsQueuesWithNothingStored) {
  CompleteOne(Enqueue(Message("gone")));
  const int64_t kept = Enqueue(Message("kept"));
  EXPECT_THAT(store_->ListQueues(), IsOkAndHolds(ElementsAre(Field(&QueueInfo::name, "kept"))));
  CompleteOne(kept);
  EXPECT_THAT(store_->ListQueues(), IsOkAndHolds(IsEmpty()));
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreContractTest, ::testing::ValuesIn(kAllStoreKinds),
                         PrintStoreKind);

}  // namespace
}  // namespace weft::broker::store
