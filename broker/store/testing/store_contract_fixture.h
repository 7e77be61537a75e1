// The fixture the Store contract suites share: a new, empty database per test from the driver
// of the test's StoreKind, a store open on it, and small helpers.
//
// Part of //broker/store/testing (testonly). Each contract file derives its suite from
// StoreContractFixture and instantiates it for the kinds it covers:
//
//   class StoreIdempotencyTest : public StoreContractFixture {};
//   INSTANTIATE_TEST_SUITE_P(AllStores, StoreIdempotencyTest, ::testing::ValuesIn(kAllStoreKinds),
//                            PrintStoreKind);
#ifndef WEFT_BROKER_STORE_TESTING_STORE_CONTRACT_FIXTURE_H_
#define WEFT_BROKER_STORE_TESTING_STORE_CONTRACT_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/store/store.h"
#include "broker/store/testing/store_drivers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::broker::store {

inline constexpr StoreKind kAllStoreKinds[] = {StoreKind::kInMemory, StoreKind::kSqlite,
                                               StoreKind::kPostgres};
inline constexpr StoreKind kPersistentStoreKinds[] = {StoreKind::kSqlite, StoreKind::kPostgres};

inline std::string PrintStoreKind(const ::testing::TestParamInfo<StoreKind>& info) {
  return StoreKindName(info.param);
}

// WriteBatch of one kind. (Designated initializers that skip members trip
// -Wmissing-field-initializers.)
inline WriteBatch Enqueues(std::vector<NewMessage> messages) {
  WriteBatch batch;
  batch.enqueue = std::move(messages);
  return batch;
}
inline WriteBatch Completions(std::vector<int64_t> ids) {
  WriteBatch batch;
  batch.complete = std::move(ids);
  return batch;
}
inline WriteBatch Failures(std::vector<AttemptFailed> failed) {
  WriteBatch batch;
  batch.failed = std::move(failed);
  return batch;
}
inline WriteBatch DeadLetters(std::vector<DeadLettered> dead) {
  WriteBatch batch;
  batch.dead = std::move(dead);
  return batch;
}

// 2026-01-01T00:00:00.000001Z: microseconds, as the stores keep them.
inline const absl::Time kT0 = absl::FromUnixMicros(1767225600000001);

inline NewMessage Message(std::string queue, std::string key = "", absl::Time at = kT0) {
  NewMessage message;
  message.queue = std::move(queue);
  message.service = "weft.test.v1.Echo";
  message.method = "Say";
  message.payload = "payload";
  message.idempotency_key = std::move(key);
  message.enqueued_at = at;
  return message;
}

// An EnqueueResult refused as a duplicate of message `id`.
MATCHER_P(IsDuplicateOf, id, "") { return arg.id == id && arg.duplicate; }

class StoreContractFixture : public ::testing::TestWithParam<StoreKind> {
 protected:
  static void SetUpTestSuite() { environment_ = new DriverEnvironment(); }
  static void TearDownTestSuite() {
    delete environment_;
    environment_ = nullptr;
  }

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<StoreDriver>> driver =
        MakeStoreDriver(GetParam(), *environment_);
    ASSERT_THAT(driver, ::weft::testing::IsOk());
    driver_ = *std::move(driver);
    absl::StatusOr<std::unique_ptr<Store>> store = driver_->Open();
    ASSERT_THAT(store, ::weft::testing::IsOk());
    store_ = *std::move(store);
  }

  std::vector<EnqueueResult> Commit(const WriteBatch& batch) {
    absl::StatusOr<std::vector<EnqueueResult>> results = store_->Commit(batch);
    EXPECT_THAT(results, ::weft::testing::IsOk());
    return results.ok() ? *results : std::vector<EnqueueResult>{};
  }
  // Enqueues one message; returns its id (or the id holding its key).
  int64_t Enqueue(NewMessage message) {
    WriteBatch batch;
    batch.enqueue.push_back(std::move(message));
    std::vector<EnqueueResult> results = Commit(batch);
    return results.size() == 1 ? results[0].id : -1;
  }
  void CompleteOne(int64_t id) { Commit(Completions({id})); }
  void DeadLetter(int64_t id, int32_t attempts = 3, std::string error = "INTERNAL: boom") {
    Commit(DeadLetters({DeadLettered{id, attempts, std::move(error)}}));
  }
  std::vector<int64_t> Ids(const absl::StatusOr<std::vector<StoredMessage>>& messages) {
    EXPECT_THAT(messages, ::weft::testing::IsOk());
    std::vector<int64_t> ids;
    if (messages.ok()) {
      for (const StoredMessage& message : *messages) ids.push_back(message.id);
    }
    return ids;
  }
  std::vector<int64_t> LiveIds(absl::string_view queue, int64_t after_id = 0) {
    return Ids(store_->LoadLive(queue, after_id, 1000));
  }
  std::vector<int64_t> DeadIds(absl::string_view queue, int64_t after_id = 0) {
    return Ids(store_->LoadDead(queue, after_id, 1000));
  }

  static inline DriverEnvironment* environment_ = nullptr;
  std::unique_ptr<StoreDriver> driver_;
  std::unique_ptr<Store> store_;
};

}  // namespace weft::broker::store

#endif  // WEFT_BROKER_STORE_TESTING_STORE_CONTRACT_FIXTURE_H_
