// What the real stores keep across closing and reopening, their schema-version guard, and each
// one's own failure modes: a full disk for SqliteStore, a server going away for PostgresStore.
#include <sqlite3.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "broker/store/postgres_store.h"
#include "broker/store/sqlite_store.h"
#include "broker/store/store.h"
#include "broker/store/testing/postgres_server.h"
#include "broker/store/testing/store_contract_fixture.h"
#include "broker/store/testing/store_drivers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::broker::store {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::weft::testing::IsOk;
using ::weft::testing::IsOkAndHolds;
using ::weft::testing::StatusIs;

SqliteStoreOptions SqliteAt(std::string path, std::optional<int64_t> max_page_count = {}) {
  SqliteStoreOptions options;
  options.path = std::move(path);
  options.max_page_count = max_page_count;
  return options;
}

class StorePersistenceTest : public StoreContractFixture {
 protected:
  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<Store>> store = driver_->Open();
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
  }
};

TEST_P(StorePersistenceTest, ReopenedStoreHasEverythingAndTheSameSchemaVersion) {
  const int version = store_->schema_version();
  NewMessage message = Message("q", "live-key", kT0 + absl::Seconds(1));
  message.payload = std::string("\0binary\xff", 8);
  message.metadata = {{"trace", "t-1"}};
  const int64_t live = Enqueue(message);
  const int64_t retried = Enqueue(Message("q"));
  const int64_t dead = Enqueue(Message("q", "dead-key"));
  const int64_t done = Enqueue(Message("q", "done-key"));
  WriteBatch batch = Completions({done});
  batch.failed = {AttemptFailed{retried, 2, kT0 + absl::Minutes(1), "UNAVAILABLE"}};
  batch.dead = {DeadLettered{dead, 4, "INTERNAL: x"}};
  Commit(batch);

  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(store_->schema_version(), version);
  absl::StatusOr<StoredMessage> stored = store_->Get(live);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->payload, message.payload);
  EXPECT_THAT(stored->metadata, ElementsAre(Pair("trace", "t-1")));
  EXPECT_EQ(stored->enqueued_at, message.enqueued_at);
  EXPECT_THAT(LiveIds("q"), ElementsAre(live, retried));
  EXPECT_THAT(DeadIds("q"), ElementsAre(dead));
  EXPECT_THAT(store_->Get(retried), IsOkAndHolds(Field(&StoredMessage::attempts, 2)));
  EXPECT_THAT(store_->Get(done), StatusIs(absl::StatusCode::kNotFound));
  WriteBatch again;
  again.enqueue = {Message("q", "live-key"), Message("q", "dead-key"), Message("q", "done-key")};
  EXPECT_THAT(Commit(again),
              ElementsAre(IsDuplicateOf(live), IsDuplicateOf(dead), IsDuplicateOf(done)));
}

TEST_P(StorePersistenceTest, ReopenedStoreKeepsIdsIncreasing) {
  const int64_t newest = Enqueue(Message("q"));
  CompleteOne(newest);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_GT(Enqueue(Message("q")), newest);
}

TEST_P(StorePersistenceTest, RefusesADatabaseFromANewerSchema) {
  const int version = store_->schema_version();
  Enqueue(Message("q"));
  store_.reset();
  ASSERT_THAT(driver_->RecordSchemaVersion(version + 1), IsOk());
  EXPECT_THAT(driver_->Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                        AllOf(HasSubstr(absl::StrCat("version ", version + 1)),
                                              HasSubstr(absl::StrCat("(", version, ")")))));
}

TEST_P(StorePersistenceTest, CorruptStoredMetadataIsInternalNotACrash) {
  const int64_t id = Enqueue(Message("q"));
  const int64_t intact = Enqueue(Message("q"));
  ASSERT_THAT(driver_->CorruptMetadataOf(id), IsOk());
  EXPECT_THAT(store_->Get(id), StatusIs(absl::StatusCode::kInternal, HasSubstr("metadata")));
  EXPECT_THAT(store_->LoadLive("q", 0, 10), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(store_->LoadLive("q", id, 10),
              IsOkAndHolds(ElementsAre(Field(&StoredMessage::id, intact))));
}

INSTANTIATE_TEST_SUITE_P(RealStores, StorePersistenceTest,
                         ::testing::ValuesIn(kPersistentStoreKinds), PrintStoreKind);

// Runs `sql` on a connection of its own and returns the first column of the first row.
std::string QuerySqlite(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_stmt* statement = nullptr;
  std::string value = "<error>";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

TEST(SqliteStoreTest, FullDiskIsResourceExhaustedAppliesNothingAndKeepsCommittedData) {
  absl::StatusOr<std::string> path = NewSqlitePath();
  ASSERT_THAT(path, IsOk());
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(SqliteAt(*path, 64));
  ASSERT_THAT(store, IsOk());
  NewMessage small = Message("q", "small");
  const absl::StatusOr<std::vector<EnqueueResult>> committed = (*store)->Commit(Enqueues({small}));
  ASSERT_THAT(committed, IsOk());
  const int64_t id = (*committed)[0].id;

  // 64 pages are at most 256 KiB: this batch cannot fit.
  NewMessage big = Message("q", "big");
  big.payload = std::string(1 << 20, 'x');
  EXPECT_THAT((*store)->Commit(Enqueues({Message("q", "first"), big})),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("store: ")));

  EXPECT_THAT((*store)->LoadLive("q", 0, 10),
              IsOkAndHolds(ElementsAre(Field(&StoredMessage::payload, small.payload))));
  // Nothing of the failed batch stayed, and the store still works.
  WriteBatch retry = Enqueues({Message("q", "first")});
  retry.complete = {id};
  EXPECT_THAT((*store)->Commit(retry),
              IsOkAndHolds(ElementsAre(Field(&EnqueueResult::duplicate, false))));
  store->reset();
  EXPECT_EQ(QuerySqlite(*path, "PRAGMA integrity_check"), "ok");
  absl::StatusOr<std::unique_ptr<Store>> reopened = OpenSqliteStore(SqliteAt(*path));
  ASSERT_THAT(reopened, IsOk());
  EXPECT_THAT((*reopened)->LoadLive("q", 0, 10),
              IsOkAndHolds(ElementsAre(Field(&StoredMessage::idempotency_key, "first"))));
}

TEST(SqliteStoreTest, KeepsTheDatabaseInWriteAheadLogMode) {
  absl::StatusOr<std::string> path = NewSqlitePath();
  ASSERT_THAT(path, IsOk());
  ASSERT_THAT(OpenSqliteStore(SqliteAt(*path)), IsOk());
  EXPECT_EQ(QuerySqlite(*path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QuerySqlite(*path, "SELECT MAX(version) FROM schema_migrations"),
            absl::StrCat(kSqliteSchemaVersion));
}

TEST(SqliteStoreTest, OpeningInAMissingDirectoryIsUnavailable) {
  absl::StatusOr<std::string> path = NewSqlitePath();
  ASSERT_THAT(path, IsOk());
  EXPECT_THAT(OpenSqliteStore(SqliteAt(*path + ".d/missing/weft.db")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("store: sqlite: ")));
}

TEST(SqliteStoreTest, OpeningAFileThatIsNotADatabaseIsInternal) {
  absl::StatusOr<std::string> path = NewSqlitePath();
  ASSERT_THAT(path, IsOk());
  std::ofstream(*path) << std::string(8192, 'z');
  EXPECT_THAT(OpenSqliteStore(SqliteAt(*path)),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("store: sqlite: ")));
}

TEST(SqliteStoreTest, MapsResultCodesToStatusCodes) {
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_FULL), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_IOERR_WRITE), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_CANTOPEN), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_BUSY_SNAPSHOT), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_LOCKED), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_TOOBIG), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_CORRUPT), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_NOTADB), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_CONSTRAINT_TRIGGER), absl::StatusCode::kInternal);
}

// A PostgreSQL status message must never carry the connection string or its password.
MATCHER_P(RevealsNothingOf, conninfo, "") {
  const std::string message(arg.status().message());
  return message.find("password") == std::string::npos &&
         message.find("secret") == std::string::npos &&
         message.find(conninfo) == std::string::npos &&
         message.find("127.0.0.1") == std::string::npos;
}

TEST(PostgresStoreTest, ServerDownIsUnavailableAndTheSameStoreRecoversWhenItReturns) {
  absl::StatusOr<std::unique_ptr<PostgresServer>> server = PostgresServer::Start();
  ASSERT_THAT(server, IsOk());
  absl::StatusOr<std::string> database = (*server)->CreateDatabase();
  ASSERT_THAT(database, IsOk());
  const std::string conninfo = (*server)->conninfo(*database);
  absl::StatusOr<std::unique_ptr<Store>> opened =
      OpenPostgresStore(PostgresStoreOptions{.conninfo = conninfo});
  ASSERT_THAT(opened, IsOk());
  Store& store = **opened;
  absl::StatusOr<std::vector<EnqueueResult>> before =
      store.Commit(Enqueues({Message("q", "k1"), Message("q")}));
  ASSERT_THAT(before, IsOk());

  ASSERT_THAT((*server)->Stop(), IsOk());
  const absl::StatusOr<std::vector<EnqueueResult>> down =
      store.Commit(Enqueues({Message("q", "k2")}));
  EXPECT_THAT(down, StatusIs(absl::StatusCode::kUnavailable, Eq("store: database unavailable")));
  EXPECT_THAT(down, RevealsNothingOf(conninfo));
  EXPECT_THAT(store.LoadLive("q", 0, 10), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store.ListQueues(), StatusIs(absl::StatusCode::kUnavailable));

  ASSERT_THAT((*server)->Restart(), IsOk());
  EXPECT_THAT(store.LoadLive("q", 0, 10),
              IsOkAndHolds(ElementsAre(Field(&StoredMessage::id, (*before)[0].id),
                                       Field(&StoredMessage::id, (*before)[1].id))));
  absl::StatusOr<std::vector<EnqueueResult>> after =
      store.Commit(Enqueues({Message("q", "k1"), Message("q", "k2")}));
  ASSERT_THAT(after, IsOk());
  EXPECT_THAT(*after, ElementsAre(IsDuplicateOf((*before)[0].id),
                                  Field(&EnqueueResult::id, ::testing::Gt((*before)[1].id))));
}

TEST(PostgresStoreTest, UnreachableServerIsUnavailableWithoutSecrets) {
  // Port 1 on loopback has no listener: the connection is refused at once.
  const std::string conninfo =
      "host=127.0.0.1 port=1 user=weft password=hunter2-secret dbname=weft connect_timeout=5";
  const absl::StatusOr<std::unique_ptr<Store>> store =
      OpenPostgresStore(PostgresStoreOptions{.conninfo = conninfo});
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kUnavailable, Eq("store: database unavailable")));
  EXPECT_THAT(store, RevealsNothingOf(conninfo));
}

TEST(PostgresStoreTest, MalformedConnectionStringIsInvalidArgumentWithoutSecrets) {
  const std::string conninfo = "host=127.0.0.1 password=hunter2-secret bogus";
  const absl::StatusOr<std::unique_ptr<Store>> store =
      OpenPostgresStore(PostgresStoreOptions{.conninfo = conninfo});
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store, RevealsNothingOf(conninfo));
}

TEST(PostgresStoreTest, MapsSqlStatesToStatusCodes) {
  EXPECT_EQ(StatusCodeForSqlState("53100"), absl::StatusCode::kResourceExhausted);  // disk_full
  EXPECT_EQ(StatusCodeForSqlState("53200"), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(StatusCodeForSqlState("08006"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlState("57P01"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlState("40001"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlState("25006"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlState("22021"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForSqlState("54000"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForSqlState("23505"), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusCodeForSqlState("P0001"), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusCodeForSqlState("42P01"), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace weft::broker::store
