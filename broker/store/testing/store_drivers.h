// Drivers for the Store contract tests: one per implementation, each opening stores of its kind
// on a database of its own and reaching into that database to inject failures.
//
// Part of //broker/store/testing (testonly), used by store_contract_test.cc and
// store_persistence_test.cc. A driver owns its database (a SQLite file under $TEST_TMPDIR, a
// fresh PostgreSQL database, or nothing for the fake) but not the stores it opens.
#ifndef WEFT_BROKER_STORE_TESTING_STORE_DRIVERS_H_
#define WEFT_BROKER_STORE_TESTING_STORE_DRIVERS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/store/store.h"
#include "broker/store/testing/postgres_server.h"

namespace weft::broker::store {

enum class StoreKind { kInMemory, kSqlite, kPostgres };

std::ostream& operator<<(std::ostream& out, StoreKind kind);
// For INSTANTIATE_TEST_SUITE_P names.
std::string StoreKindName(StoreKind kind);

// The queue whose dead letters PoisonDeadLetters() makes fail.
inline constexpr char kPoisonQueue[] = "poison";

class StoreDriver {
 public:
  StoreDriver() = default;
  StoreDriver(const StoreDriver&) = delete;
  StoreDriver& operator=(const StoreDriver&) = delete;
  virtual ~StoreDriver() = default;

  // Opens a store on the driver's database. For the real stores, a second Open() after the first
  // store is destroyed sees everything the first committed.
  virtual absl::StatusOr<std::unique_ptr<Store>> Open() = 0;

  // Until Unpoison(), a Commit() on `store` that dead-letters a message of kPoisonQueue fails
  // with kInternal at that point of the transaction (the real stores: a database trigger), so
  // the rest of the batch has already been applied and must be rolled back. The fake, having no
  // transaction to fail inside, fails every Commit() up front.
  virtual absl::Status PoisonDeadLetters(Store& store) = 0;
  virtual absl::Status Unpoison(Store& store) = 0;

  // Records `version` as applied in the database's schema history, as a newer build would.
  // Real stores only; call it while no store is open.
  virtual absl::Status RecordSchemaVersion(int version) = 0;
  // Overwrites the stored metadata blob of message `id` with one no codec wrote. Real stores only.
  virtual absl::Status CorruptMetadataOf(int64_t id) = 0;
};

// Shared by the drivers of one test suite: the PostgreSQL server, started on first use.
class DriverEnvironment {
 public:
  // The server, or the error that starting it gave (remembered, not retried).
  absl::StatusOr<PostgresServer*> postgres();

 private:
  std::optional<absl::Status> postgres_status_;
  std::unique_ptr<PostgresServer> postgres_;
};

// A driver with a new, empty database of `kind`.
absl::StatusOr<std::unique_ptr<StoreDriver>> MakeStoreDriver(StoreKind kind,
                                                             DriverEnvironment& environment);

// A new, empty SQLite database path under $TEST_TMPDIR (its directory exists).
absl::StatusOr<std::string> NewSqlitePath();

}  // namespace weft::broker::store

#endif  // WEFT_BROKER_STORE_TESTING_STORE_DRIVERS_H_
