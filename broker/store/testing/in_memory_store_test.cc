// What InMemoryStore adds to the Store contract (which store_contract_test.cc and its siblings
// cover): failure injection per group of methods, a commit counter, and use from another thread.
#include "broker/store/testing/in_memory_store.h"

#include <optional>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "broker/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::broker::store {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::weft::testing::IsOk;
using ::weft::testing::IsOkAndHolds;
using ::weft::testing::StatusIs;

WriteBatch EnqueueOne(std::string queue) {
  WriteBatch batch;
  NewMessage& message = batch.enqueue.emplace_back();
  message.queue = std::move(queue);
  message.idempotency_key = "k";
  return batch;
}

WriteBatch CompleteOne(int64_t id) {
  WriteBatch batch;
  batch.complete = {id};
  return batch;
}

WriteBatch DeadLetterOne(int64_t id) {
  WriteBatch batch;
  batch.dead = {DeadLettered{id, 1, "x"}};
  return batch;
}

TEST(InMemoryStoreTest, FailCommitsFailsEveryCommitUntilCleared) {
  InMemoryStore store;
  store.FailCommits(absl::UnavailableError("store: database unavailable"));
  EXPECT_THAT(store.Commit(EnqueueOne("q")), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store.Commit(EnqueueOne("q")), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store.LoadLive("q", 0, 10), IsOkAndHolds(IsEmpty()));
  EXPECT_EQ(store.commit_count(), 0);

  store.FailCommits(absl::OkStatus());
  EXPECT_THAT(store.Commit(EnqueueOne("q")),
              IsOkAndHolds(ElementsAre(Field(&EnqueueResult::duplicate, false))));
  EXPECT_EQ(store.commit_count(), 1);
}

TEST(InMemoryStoreTest, FailReadsFailsLoadsGetAndListOnly) {
  InMemoryStore store;
  absl::StatusOr<std::vector<EnqueueResult>> committed = store.Commit(EnqueueOne("q"));
  ASSERT_THAT(committed, IsOk());
  store.FailReads(absl::InternalError("store: injected"));
  EXPECT_THAT(store.LoadLive("q", 0, 10), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(store.LoadDead("q", 0, 10), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(store.Get((*committed)[0].id), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(store.ListQueues(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(store.Commit(CompleteOne((*committed)[0].id)), IsOk());
  EXPECT_THAT(store.Purge("q", true), IsOkAndHolds(0));

  store.FailReads(absl::OkStatus());
  EXPECT_THAT(store.ListQueues(), IsOkAndHolds(IsEmpty()));
}

TEST(InMemoryStoreTest, FailMaintenanceFailsReplayPurgeAndExpiryOnly) {
  InMemoryStore store;
  absl::StatusOr<std::vector<EnqueueResult>> committed = store.Commit(EnqueueOne("q"));
  ASSERT_THAT(committed, IsOk());
  ASSERT_THAT(store.Commit(DeadLetterOne((*committed)[0].id)), IsOk());
  store.FailMaintenance(absl::ResourceExhaustedError("store: full"));
  EXPECT_THAT(store.Replay("q", std::nullopt, absl::UnixEpoch()),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(store.Purge("q", true), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(store.ExpireIdempotencyKeys(absl::InfiniteFuture()),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(store.LoadDead("q", 0, 10), IsOkAndHolds(SizeIs(1)));

  store.FailMaintenance(absl::OkStatus());
  EXPECT_THAT(store.Replay("q", std::nullopt, absl::UnixEpoch()), IsOkAndHolds(1));
}

TEST(InMemoryStoreTest, IsUsableFromAnotherThreadThanTheOneInjectingFailures) {
  InMemoryStore store;
  std::thread user([&] {
    for (int i = 0; i < 200; ++i) {
      (void)store.Commit(EnqueueOne(i % 2 == 0 ? "a" : "b"));
      (void)store.ListQueues();
    }
  });
  for (int i = 0; i < 200; ++i) {
    store.FailCommits(i % 2 == 0 ? absl::UnavailableError("down") : absl::OkStatus());
  }
  user.join();
  store.FailCommits(absl::OkStatus());
  EXPECT_THAT(store.Commit(EnqueueOne("c")), IsOk());
  EXPECT_GE(store.commit_count(), 1);
}

}  // namespace
}  // namespace weft::broker::store
