// StoreExecutor: group commit, read ordering, results on the caller's loop, errors; with the
// in-memory store, run by hand (kManual) and on the executor's own thread.
#include "broker/store/store_executor.h"

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "broker/store/testing/in_memory_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/testing/fake_event_loop.h"
#include "tests/testing/status_matchers.h"

namespace weft::broker::store {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

WriteBatch OneMessage(const std::string& queue, const std::string& key = "") {
  WriteBatch batch;
  NewMessage message;
  message.queue = queue;
  message.service = "demo.Calculator";
  message.method = "Add";
  message.payload = "p";
  message.idempotency_key = key;
  batch.enqueue.push_back(std::move(message));
  return batch;
}

class StoreExecutorTest : public ::testing::Test {
 protected:
  StoreExecutorTest() {
    auto store = std::make_unique<InMemoryStore>();
    store_ = store.get();
    executor_ =
        std::make_unique<StoreExecutor>(std::move(store), StoreExecutor::Threading::kManual);
  }

  reactor::FakeEventLoop loop_;
  InMemoryStore* store_ = nullptr;
  std::unique_ptr<StoreExecutor> executor_;
};

TEST_F(StoreExecutorTest, WritesSubmittedTogetherShareOneTransaction) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    executor_->Commit(loop_, OneMessage("q")).Then([&](std::vector<EnqueueResult> results) {
      ASSERT_THAT(results, SizeIs(1));
      ids.push_back(results[0].id);
    });
  }
  EXPECT_EQ(executor_->RunPending(), 5u);
  EXPECT_TRUE(ids.empty());  // Results arrive on the loop, not on the store thread.
  loop_.RunUntilIdle();
  EXPECT_THAT(ids, ElementsAre(1, 2, 3, 4, 5));
  EXPECT_EQ(store_->commit_count(), 1);
  const StoreStats stats = executor_->stats();
  EXPECT_EQ(stats.commits, 1u);
  EXPECT_EQ(stats.batches, 5u);
}

TEST_F(StoreExecutorTest, ReadSeesEveryWriteSubmittedBeforeIt) {
  executor_->Commit(loop_, OneMessage("a"));
  executor_->Commit(loop_, OneMessage("b"));
  std::vector<QueueInfo> queues;
  executor_->Run<std::vector<QueueInfo>>(loop_, [](Store& store) { return store.ListQueues(); })
      .Then([&](std::vector<QueueInfo> got) { queues = std::move(got); });
  executor_->Commit(loop_, OneMessage("c"));
  executor_->RunPending();
  loop_.RunUntilIdle();
  ASSERT_THAT(queues, SizeIs(2));  // a and b, not c.
  EXPECT_EQ(queues[0].name, "a");
  EXPECT_EQ(queues[1].name, "b");
  EXPECT_EQ(store_->commit_count(), 2);  // The read split the writes into two groups.
}

TEST_F(StoreExecutorTest, FailedGroupFailsEveryBatchInIt) {
  store_->FailCommits(absl::UnavailableError("store: database unavailable"));
  std::vector<absl::Status> results;
  for (int i = 0; i < 3; ++i) {
    executor_->Commit(loop_, OneMessage("q"))
        .Handle([&](absl::StatusOr<std::vector<EnqueueResult>> result) {
          results.push_back(result.status());
        });
  }
  executor_->RunPending();
  loop_.RunUntilIdle();
  ASSERT_THAT(results, SizeIs(3));
  for (const absl::Status& status : results) {
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_EQ(executor_->stats().failed_commits, 1u);
}

TEST_F(StoreExecutorTest, DuplicateKeysInOneGroupAreReportedPerBatch) {
  std::vector<EnqueueResult> first;
  std::vector<EnqueueResult> second;
  executor_->Commit(loop_, OneMessage("q", "k")).Then([&](std::vector<EnqueueResult> r) {
    first = r;
  });
  executor_->Commit(loop_, OneMessage("q", "k")).Then([&](std::vector<EnqueueResult> r) {
    second = r;
  });
  executor_->RunPending();
  loop_.RunUntilIdle();
  ASSERT_THAT(first, SizeIs(1));
  ASSERT_THAT(second, SizeIs(1));
  EXPECT_FALSE(first[0].duplicate);
  EXPECT_TRUE(second[0].duplicate);
  EXPECT_EQ(second[0].id, first[0].id);
}

TEST(StoreExecutorThreadTest, OwnThreadAnswersOnTheLoopThread) {
  absl::StatusOr<std::unique_ptr<reactor::EpollEventLoop>> loop = reactor::EpollEventLoop::Create();
  ASSERT_THAT(loop.status(), IsOk());
  StoreExecutor executor(std::make_unique<InMemoryStore>());
  int answered = 0;
  (*loop)->Post([&] {
    for (int i = 0; i < 100; ++i) {
      executor.Commit(**loop, OneMessage("q")).Then([&](std::vector<EnqueueResult>) {
        EXPECT_TRUE((*loop)->IsInLoopThread());
        if (++answered == 100) (*loop)->Stop();
      });
    }
  });
  (*loop)->Run();
  EXPECT_EQ(answered, 100);
  EXPECT_LE(executor.stats().commits, 100u);
}

}  // namespace
}  // namespace weft::broker::store
