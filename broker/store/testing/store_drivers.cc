#include "broker/store/testing/store_drivers.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/store/postgres_store.h"
#include "broker/store/sqlite_store.h"
#include "broker/store/testing/in_memory_store.h"

namespace weft::broker::store {
namespace {

// The same trigger in each dialect: dead-lettering a message of kPoisonQueue raises an error.
constexpr char kSqlitePoison[] =
    "CREATE TRIGGER test_poison BEFORE UPDATE OF dead ON messages "
    "WHEN NEW.dead = 1 AND NEW.queue = CAST('poison' AS BLOB) "
    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END";
constexpr char kSqliteUnpoison[] = "DROP TRIGGER test_poison";
constexpr char kPostgresPoison[] =
    "CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; "
    "CREATE TRIGGER test_poison BEFORE UPDATE OF dead ON messages FOR EACH ROW "
    "WHEN (NEW.dead AND NEW.queue = 'poison'::bytea) EXECUTE FUNCTION test_poison()";
constexpr char kPostgresUnpoison[] =
    "DROP TRIGGER test_poison ON messages; DROP FUNCTION test_poison()";

class InMemoryDriver final : public StoreDriver {
 public:
  // StoreDriver
  absl::StatusOr<std::unique_ptr<Store>> Open() override {
    return std::make_unique<InMemoryStore>();
  }
  absl::Status PoisonDeadLetters(Store& store) override {
    static_cast<InMemoryStore&>(store).FailCommits(absl::InternalError("injected failure"));
    return absl::OkStatus();
  }
  absl::Status Unpoison(Store& store) override {
    static_cast<InMemoryStore&>(store).FailCommits(absl::OkStatus());
    return absl::OkStatus();
  }
  absl::Status RecordSchemaVersion(int) override {
    return absl::UnimplementedError("the in-memory store has no schema");
  }
  absl::Status CorruptMetadataOf(int64_t) override {
    return absl::UnimplementedError("the in-memory store keeps no blobs");
  }
};

class SqliteDriver final : public StoreDriver {
 public:
  explicit SqliteDriver(std::string path) : path_(std::move(path)) {}

  // StoreDriver
  absl::StatusOr<std::unique_ptr<Store>> Open() override {
    SqliteStoreOptions options;
    options.path = path_;
    return OpenSqliteStore(options);
  }
  absl::Status PoisonDeadLetters(Store&) override { return Execute(kSqlitePoison); }
  absl::Status Unpoison(Store&) override { return Execute(kSqliteUnpoison); }
  absl::Status RecordSchemaVersion(int version) override {
    return Execute(absl::StrCat("INSERT INTO schema_migrations VALUES (", version, ", 0)"));
  }
  absl::Status CorruptMetadataOf(int64_t id) override {
    return Execute(absl::StrCat("UPDATE messages SET metadata = X'0203' WHERE id = ", id));
  }

 private:
  // Runs `sql` on a connection of its own, as another process would.
  absl::Status Execute(const std::string& sql) {
    sqlite3* db = nullptr;
    int result = sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    if (result == SQLITE_OK) result = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    absl::Status status = result == SQLITE_OK
                              ? absl::OkStatus()
                              : absl::InternalError(absl::StrCat(sql, ": ", sqlite3_errmsg(db)));
    sqlite3_close(db);
    return status;
  }

  const std::string path_;
};

class PostgresDriver final : public StoreDriver {
 public:
  PostgresDriver(PostgresServer& server, std::string database)
      : server_(server), database_(std::move(database)) {}

  // StoreDriver
  absl::StatusOr<std::unique_ptr<Store>> Open() override {
    return OpenPostgresStore(PostgresStoreOptions{.conninfo = server_.conninfo(database_)});
  }
  absl::Status PoisonDeadLetters(Store&) override {
    return server_.Execute(database_, kPostgresPoison);
  }
  absl::Status Unpoison(Store&) override { return server_.Execute(database_, kPostgresUnpoison); }
  absl::Status RecordSchemaVersion(int version) override {
    return server_.Execute(database_,
                           absl::StrCat("INSERT INTO schema_migrations VALUES (", version, ", 0)"));
  }
  absl::Status CorruptMetadataOf(int64_t id) override {
    return server_.Execute(
        database_, absl::StrCat("UPDATE messages SET metadata = '\\x0203' WHERE id = ", id));
  }

 private:
  PostgresServer& server_;
  const std::string database_;
};

}  // namespace

std::ostream& operator<<(std::ostream& out, StoreKind kind) { return out << StoreKindName(kind); }

std::string StoreKindName(StoreKind kind) {
  switch (kind) {
    case StoreKind::kInMemory:
      return "InMemory";
    case StoreKind::kSqlite:
      return "Sqlite";
    case StoreKind::kPostgres:
      return "Postgres";
  }
  return "Unknown";
}

absl::StatusOr<PostgresServer*> DriverEnvironment::postgres() {
  if (!postgres_status_.has_value()) {
    absl::StatusOr<std::unique_ptr<PostgresServer>> server = PostgresServer::Start();
    postgres_status_ = server.status();
    if (server.ok()) postgres_ = *std::move(server);
  }
  if (!postgres_status_->ok()) return *postgres_status_;
  return postgres_.get();
}

absl::StatusOr<std::unique_ptr<StoreDriver>> MakeStoreDriver(StoreKind kind,
                                                             DriverEnvironment& environment) {
  switch (kind) {
    case StoreKind::kInMemory:
      return std::make_unique<InMemoryDriver>();
    case StoreKind::kSqlite: {
      absl::StatusOr<std::string> path = NewSqlitePath();
      if (!path.ok()) return path.status();
      return std::make_unique<SqliteDriver>(*std::move(path));
    }
    case StoreKind::kPostgres:
      break;
  }
  absl::StatusOr<PostgresServer*> server = environment.postgres();
  if (!server.ok()) return server.status();
  absl::StatusOr<std::string> database = (*server)->CreateDatabase();
  if (!database.ok()) return database.status();
  return std::make_unique<PostgresDriver>(**server, *std::move(database));
}

absl::StatusOr<std::string> NewSqlitePath() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(base != nullptr ? base : "/tmp", "/sqlite.XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  return dir + "/weft.db";
}

}  // namespace weft::broker::store
