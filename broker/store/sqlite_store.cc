#include "broker/store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "broker/store/metadata_codec.h"

namespace weft::broker::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// Schema migrations, oldest first; each runs in its own transaction with the row recording it.
// Never edit a step that has shipped: add a new one.
struct Migration {
  int version;
  const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue BLOB NOT NULL,
  service BLOB NOT NULL,
  method BLOB NOT NULL,
  payload BLOB NOT NULL,
  metadata BLOB NOT NULL,
  idempotency_key BLOB NOT NULL,
  enqueued_at_us INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at_us INTEGER NOT NULL,
  last_error BLOB NOT NULL,
  dead INTEGER NOT NULL CHECK (dead IN (0, 1))
);
CREATE INDEX messages_by_queue ON messages (queue, dead, id);
CREATE TABLE idempotency_keys (
  queue BLOB NOT NULL,
  key BLOB NOT NULL,
  message_id INTEGER NOT NULL,
  recorded_at_us INTEGER NOT NULL,
  PRIMARY KEY (queue, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (recorded_at_us);
)sql"},
};
static_assert(std::size(kMigrations) == kSqliteSchemaVersion, "one step per schema version");

constexpr char kCreateMigrationsTable[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, applied_at_us INTEGER NOT NULL)";

#define WEFT_MESSAGE_COLUMNS                                                                   \
  "id, queue, service, method, payload, metadata, idempotency_key, enqueued_at_us, attempts, " \
  "next_attempt_at_us, last_error, dead"

// The cached statements. The first group needs only schema_migrations and is prepared before
// the migrations run; the rest after.
enum Sql : std::size_t {
  kBegin,
  kCommit,
  kRollback,
  kReadVersion,
  kRecordVersion,
  kFirstDataStatement,
  kFindKey = kFirstDataStatement,
  kInsertMessage,
  kInsertKey,
  kComplete,
  kFail,
  kDeadLetter,
  kLoadLive,
  kLoadDead,
  kGet,
  kListQueues,
  kReplayOne,
  kReplayAll,
  kPurge,
  kExpireKeys,
  kSqlCount,
};

struct StatementText {
  const char* name;
  const char* sql;
};

constexpr std::array<StatementText, kSqlCount> kStatements = {{
    {"begin", "BEGIN IMMEDIATE"},
    {"commit", "COMMIT"},
    {"rollback", "ROLLBACK"},
    {"read schema version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"},
    {"record schema version",
     "INSERT INTO schema_migrations (version, applied_at_us) VALUES (?, ?)"},
    {"find idempotency key", "SELECT message_id FROM idempotency_keys WHERE queue = ? AND key = ?"},
    {"insert message",
     "INSERT INTO messages (queue, service, method, payload, metadata, idempotency_key, "
     "enqueued_at_us, attempts, next_attempt_at_us, last_error, dead) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?7, X'', 0)"},
    {"insert idempotency key",
     "INSERT INTO idempotency_keys (queue, key, message_id, recorded_at_us) VALUES (?, ?, ?, ?)"},
    {"complete", "DELETE FROM messages WHERE id = ? AND dead = 0"},
    {"record failure",
     "UPDATE messages SET attempts = ?, next_attempt_at_us = ?, last_error = ? "
     "WHERE id = ? AND dead = 0"},
    {"dead-letter",
     "UPDATE messages SET dead = 1, attempts = ?, last_error = ? WHERE id = ? AND dead = 0"},
    {"load live", "SELECT " WEFT_MESSAGE_COLUMNS
                  " FROM messages WHERE queue = ? AND dead = 0 AND id > ? ORDER BY id LIMIT ?"},
    {"load dead", "SELECT " WEFT_MESSAGE_COLUMNS
                  " FROM messages WHERE queue = ? AND dead = 1 AND id > ? ORDER BY id LIMIT ?"},
    {"get", "SELECT " WEFT_MESSAGE_COLUMNS " FROM messages WHERE id = ?"},
    {"list queues",
     "SELECT queue, SUM(dead = 0), SUM(dead = 1), "
     "MIN(CASE WHEN dead = 0 THEN enqueued_at_us END) FROM messages GROUP BY queue "
     "ORDER BY queue"},
    {"replay",
     "UPDATE messages SET dead = 0, attempts = 0, next_attempt_at_us = ?, last_error = X'' "
     "WHERE queue = ? AND id = ? AND dead = 1"},
    {"replay all",
     "UPDATE messages SET dead = 0, attempts = 0, next_attempt_at_us = ?, last_error = X'' "
     "WHERE queue = ? AND dead = 1"},
    {"purge", "DELETE FROM messages WHERE queue = ? AND (dead = 1 OR ?)"},
    {"expire idempotency keys",
     "DELETE FROM idempotency_keys WHERE recorded_at_us < ? AND NOT EXISTS "
     "(SELECT 1 FROM messages WHERE messages.id = idempotency_keys.message_id)"},
}};

#undef WEFT_MESSAGE_COLUMNS

absl::Status SqliteError(sqlite3* db, int result_code, absl::string_view what) {
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(result_code);
  return absl::Status(StatusCodeForSqliteResult(result_code),
                      absl::StrCat("store: sqlite: ", what, ": ", detail));
}

int64_t ToMicros(absl::Time time) { return absl::ToUnixMicros(time); }

// One use of a cached statement: binds parameters in order, steps, reads columns. The statement
// is reset and its bindings cleared when the Query goes out of scope, so bound blobs (which are
// not copied) need only outlive the Query.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* statement, const char* name)
      : db_(db), statement_(statement), name_(name) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

  Query& Bind(absl::string_view bytes) {
    return Check(sqlite3_bind_blob64(statement_, next_parameter_++, bytes.data(), bytes.size(),
                                     SQLITE_STATIC));
  }
  Query& Bind(int64_t value) {
    return Check(sqlite3_bind_int64(statement_, next_parameter_++, value));
  }

  // Steps once: true with a row to read, false when the statement is done.
  absl::StatusOr<bool> Step() {
    if (!bind_status_.ok()) return bind_status_;
    const int result = sqlite3_step(statement_);
    if (result == SQLITE_ROW) return true;
    if (result == SQLITE_DONE) return false;
    return SqliteError(db_, result, name_);
  }
  // Steps through to the end, ignoring any rows.
  absl::Status Run() {
    absl::StatusOr<bool> row;
    while ((row = Step()).ok() && *row) {
    }
    return row.status();
  }

  bool IsNull(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  int64_t Int(int column) const { return sqlite3_column_int64(statement_, column); }
  std::string Bytes(int column) const {
    const void* data = sqlite3_column_blob(statement_, column);
    const int size = sqlite3_column_bytes(statement_, column);
    return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
  }
  int64_t changes() const { return sqlite3_changes64(db_); }

 private:
  Query& Check(int result) {
    if (result != SQLITE_OK && bind_status_.ok()) bind_status_ = SqliteError(db_, result, name_);
    return *this;
  }

  sqlite3* db_;
  sqlite3_stmt* statement_;
  const char* name_;
  int next_parameter_ = 1;
  absl::Status bind_status_;
};

// Reads a row selected with WEFT_MESSAGE_COLUMNS.
absl::StatusOr<StoredMessage> ReadMessage(const Query& query) {
  absl::StatusOr<Metadata> metadata = DecodeMetadata(query.Bytes(5));
  if (!metadata.ok()) return metadata.status();
  StoredMessage message;
  message.id = query.Int(0);
  message.queue = query.Bytes(1);
  message.service = query.Bytes(2);
  message.method = query.Bytes(3);
  message.payload = query.Bytes(4);
  message.metadata = *std::move(metadata);
  message.idempotency_key = query.Bytes(6);
  message.enqueued_at = absl::FromUnixMicros(query.Int(7));
  message.attempts = static_cast<int32_t>(query.Int(8));
  message.next_attempt_at = absl::FromUnixMicros(query.Int(9));
  message.last_error = query.Bytes(10);
  message.dead = query.Int(11) != 0;
  return message;
}

class SqliteStore final : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<Store>> Open(const SqliteStoreOptions& options);
  ~SqliteStore() override;

  // Store
  int schema_version() const override { return schema_version_; }
  absl::StatusOr<std::vector<EnqueueResult>> Commit(const WriteBatch& batch) override;
  absl::StatusOr<std::vector<StoredMessage>> LoadLive(absl::string_view queue, int64_t after_id,
                                                      std::size_t limit) override;
  absl::StatusOr<std::vector<StoredMessage>> LoadDead(absl::string_view queue, int64_t after_id,
                                                      std::size_t limit) override;
  absl::StatusOr<StoredMessage> Get(int64_t id) override;
  absl::StatusOr<std::vector<QueueInfo>> ListQueues() override;
  absl::StatusOr<int64_t> Replay(absl::string_view queue, std::optional<int64_t> id,
                                 absl::Time now) override;
  absl::StatusOr<int64_t> Purge(absl::string_view queue, bool include_live) override;
  absl::StatusOr<int64_t> ExpireIdempotencyKeys(absl::Time cutoff) override;

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}

  absl::Status Configure(const SqliteStoreOptions& options);
  absl::Status Exec(const std::string& sql, absl::string_view what);
  absl::Status Prepare(std::size_t first, std::size_t last);
  absl::Status Migrate();
  absl::Status ApplyMigration(const Migration& migration);
  absl::StatusOr<int> ReadSchemaVersion();
  Query Use(Sql sql) { return Query(db_, statements_[sql], kStatements[sql].name); }
  // Rolls back the open transaction, if any (SQLite ends some on error by itself).
  void RollbackIfOpen();

  absl::Status ApplyBatch(const WriteBatch& batch, std::vector<EnqueueResult>& results);
  absl::StatusOr<EnqueueResult> Enqueue(const NewMessage& message);
  absl::StatusOr<std::vector<StoredMessage>> Load(Sql sql, absl::string_view queue,
                                                  int64_t after_id, std::size_t limit);

  sqlite3* const db_;
  std::array<sqlite3_stmt*, kSqlCount> statements_{};
  int schema_version_ = 0;
};

absl::StatusOr<std::unique_ptr<Store>> SqliteStore::Open(const SqliteStoreOptions& options) {
  sqlite3* db = nullptr;
  const int result = sqlite3_open_v2(
      options.path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  // The store owns (and closes) the handle even when opening failed.
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  if (result != SQLITE_OK) return SqliteError(db, result, "open");
  absl::Status status = store->Configure(options);
  if (status.ok()) status = store->Prepare(0, kFirstDataStatement);
  if (status.ok()) status = store->Migrate();
  if (status.ok()) status = store->Prepare(kFirstDataStatement, kSqlCount);
  if (!status.ok()) return status;
  return store;
}

SqliteStore::~SqliteStore() {
  for (sqlite3_stmt* statement : statements_) sqlite3_finalize(statement);
  sqlite3_close(db_);
}

absl::Status SqliteStore::Configure(const SqliteStoreOptions& options) {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // The first statement reads the file: a file that is not a database fails here.
  absl::Status status = Exec("PRAGMA journal_mode = WAL", "enable WAL");
  if (status.ok()) status = Exec("PRAGMA synchronous = FULL", "set synchronous");
  // Pragmas take no bound parameters; the value is an integer option, not data.
  if (status.ok() && options.max_page_count.has_value()) {
    status = Exec(absl::StrCat("PRAGMA max_page_count = ", *options.max_page_count),
                  "set max_page_count");
  }
  if (!status.ok()) return status;
  sqlite3_stmt* statement = nullptr;
  int result = sqlite3_prepare_v2(db_, "PRAGMA journal_mode", -1, &statement, nullptr);
  if (result == SQLITE_OK) result = sqlite3_step(statement);
  const bool wal =
      result == SQLITE_ROW &&
      absl::string_view(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))) == "wal";
  sqlite3_finalize(statement);
  if (result != SQLITE_ROW) return SqliteError(db_, result, "read journal mode");
  if (!wal) return absl::InternalError("store: sqlite: cannot enable WAL journal mode");
  return Exec(kCreateMigrationsTable, "create schema_migrations");
}

absl::Status SqliteStore::Exec(const std::string& sql, absl::string_view what) {
  const int result = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  return result == SQLITE_OK ? absl::OkStatus() : SqliteError(db_, result, what);
}

absl::Status SqliteStore::Prepare(std::size_t first, std::size_t last) {
  for (std::size_t i = first; i < last; ++i) {
    const int result = sqlite3_prepare_v3(db_, kStatements[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                          &statements_[i], nullptr);
    if (result != SQLITE_OK) {
      return SqliteError(db_, result, absl::StrCat("prepare ", kStatements[i].name));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> SqliteStore::ReadSchemaVersion() {
  Query query = Use(kReadVersion);
  absl::StatusOr<bool> row = query.Step();
  if (!row.ok()) return row.status();
  return static_cast<int>(query.Int(0));
}

absl::Status SqliteStore::Migrate() {
  absl::StatusOr<int> version = ReadSchemaVersion();
  if (!version.ok()) return version.status();
  if (*version > kSqliteSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat("store: database schema version ", *version,
                                                      " is newer than this build supports (",
                                                      kSqliteSchemaVersion, ")"));
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= *version) continue;
    absl::Status status = ApplyMigration(migration);
    if (!status.ok()) return status;
  }
  schema_version_ = kSqliteSchemaVersion;
  return absl::OkStatus();
}

absl::Status SqliteStore::ApplyMigration(const Migration& migration) {
  absl::Status status = Use(kBegin).Run();
  if (!status.ok()) return status;
  // Another process may have applied it between our read and the write lock.
  absl::StatusOr<int> version = ReadSchemaVersion();
  status = version.status();
  if (status.ok() && *version < migration.version) {
    status = Exec(migration.sql, absl::StrCat("migrate to schema version ", migration.version));
    if (status.ok()) {
      status =
          Use(kRecordVersion).Bind(int64_t{migration.version}).Bind(ToMicros(absl::Now())).Run();
    }
  }
  if (status.ok()) status = Use(kCommit).Run();
  if (!status.ok()) RollbackIfOpen();
  return status;
}

void SqliteStore::RollbackIfOpen() {
  if (sqlite3_get_autocommit(db_) == 0) (void)Use(kRollback).Run();
}

absl::StatusOr<std::vector<EnqueueResult>> SqliteStore::Commit(const WriteBatch& batch) {
  std::vector<EnqueueResult> results;
  if (batch.empty()) return results;
  results.reserve(batch.enqueue.size());
  absl::Status status = Use(kBegin).Run();
  if (!status.ok()) return status;
  status = ApplyBatch(batch, results);
  if (status.ok()) status = Use(kCommit).Run();
  if (!status.ok()) {
    RollbackIfOpen();
    return status;
  }
  return results;
}

absl::Status SqliteStore::ApplyBatch(const WriteBatch& batch, std::vector<EnqueueResult>& results) {
  for (const NewMessage& message : batch.enqueue) {
    absl::StatusOr<EnqueueResult> result = Enqueue(message);
    if (!result.ok()) return result.status();
    results.push_back(*result);
  }
  for (int64_t id : batch.complete) {
    absl::Status status = Use(kComplete).Bind(id).Run();
    if (!status.ok()) return status;
  }
  for (const AttemptFailed& failed : batch.failed) {
    absl::Status status = Use(kFail)
                              .Bind(int64_t{failed.attempts})
                              .Bind(ToMicros(failed.next_attempt_at))
                              .Bind(failed.error)
                              .Bind(failed.id)
                              .Run();
    if (!status.ok()) return status;
  }
  for (const DeadLettered& dead : batch.dead) {
    absl::Status status =
        Use(kDeadLetter).Bind(int64_t{dead.attempts}).Bind(dead.error).Bind(dead.id).Run();
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<EnqueueResult> SqliteStore::Enqueue(const NewMessage& message) {
  const bool keyed = !message.idempotency_key.empty();
  if (keyed) {
    Query find = Use(kFindKey);
    absl::StatusOr<bool> row = find.Bind(message.queue).Bind(message.idempotency_key).Step();
    if (!row.ok()) return row.status();
    if (*row) return EnqueueResult{.id = find.Int(0), .duplicate = true};
  }
  const std::string metadata = EncodeMetadata(message.metadata);
  const int64_t enqueued_at = ToMicros(message.enqueued_at);
  absl::Status status = Use(kInsertMessage)
                            .Bind(message.queue)
                            .Bind(message.service)
                            .Bind(message.method)
                            .Bind(message.payload)
                            .Bind(metadata)
                            .Bind(message.idempotency_key)
                            .Bind(enqueued_at)
                            .Run();
  if (!status.ok()) return status;
  const int64_t id = sqlite3_last_insert_rowid(db_);
  if (keyed) {
    status = Use(kInsertKey)
                 .Bind(message.queue)
                 .Bind(message.idempotency_key)
                 .Bind(id)
                 .Bind(enqueued_at)
                 .Run();
    if (!status.ok()) return status;
  }
  return EnqueueResult{.id = id, .duplicate = false};
}

absl::StatusOr<std::vector<StoredMessage>> SqliteStore::Load(Sql sql, absl::string_view queue,
                                                             int64_t after_id, std::size_t limit) {
  const int64_t bounded_limit =
      static_cast<int64_t>(std::min<std::size_t>(limit, std::numeric_limits<int64_t>::max()));
  Query query = Use(sql);
  query.Bind(queue).Bind(after_id).Bind(bounded_limit);
  std::vector<StoredMessage> messages;
  while (true) {
    absl::StatusOr<bool> row = query.Step();
    if (!row.ok()) return row.status();
    if (!*row) return messages;
    absl::StatusOr<StoredMessage> message = ReadMessage(query);
    if (!message.ok()) return message.status();
    messages.push_back(*std::move(message));
  }
}

absl::StatusOr<std::vector<StoredMessage>> SqliteStore::LoadLive(absl::string_view queue,
                                                                 int64_t after_id,
                                                                 std::size_t limit) {
  return Load(kLoadLive, queue, after_id, limit);
}

absl::StatusOr<std::vector<StoredMessage>> SqliteStore::LoadDead(absl::string_view queue,
                                                                 int64_t after_id,
                                                                 std::size_t limit) {
  return Load(kLoadDead, queue, after_id, limit);
}

absl::StatusOr<StoredMessage> SqliteStore::Get(int64_t id) {
  Query query = Use(kGet);
  absl::StatusOr<bool> row = query.Bind(id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError("store: no such message");
  return ReadMessage(query);
}

absl::StatusOr<std::vector<QueueInfo>> SqliteStore::ListQueues() {
  Query query = Use(kListQueues);
  std::vector<QueueInfo> queues;
  while (true) {
    absl::StatusOr<bool> row = query.Step();
    if (!row.ok()) return row.status();
    if (!*row) return queues;
    QueueInfo& info = queues.emplace_back();
    info.name = query.Bytes(0);
    info.live = query.Int(1);
    info.dead = query.Int(2);
    if (!query.IsNull(3)) info.oldest_live = absl::FromUnixMicros(query.Int(3));
  }
}

absl::StatusOr<int64_t> SqliteStore::Replay(absl::string_view queue, std::optional<int64_t> id,
                                            absl::Time now) {
  Query query = Use(id.has_value() ? kReplayOne : kReplayAll);
  query.Bind(ToMicros(now)).Bind(queue);
  if (id.has_value()) query.Bind(*id);
  absl::Status status = query.Run();
  if (!status.ok()) return status;
  if (id.has_value() && query.changes() == 0) {
    return absl::NotFoundError("store: no such dead letter");
  }
  return query.changes();
}

absl::StatusOr<int64_t> SqliteStore::Purge(absl::string_view queue, bool include_live) {
  Query query = Use(kPurge);
  absl::Status status = query.Bind(queue).Bind(int64_t{include_live}).Run();
  if (!status.ok()) return status;
  return query.changes();
}

absl::StatusOr<int64_t> SqliteStore::ExpireIdempotencyKeys(absl::Time cutoff) {
  Query query = Use(kExpireKeys);
  absl::Status status = query.Bind(ToMicros(cutoff)).Run();
  if (!status.ok()) return status;
  return query.changes();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options) {
  return SqliteStore::Open(options);
}

absl::StatusCode StatusCodeForSqliteResult(int result_code) {
  switch (result_code & 0xff) {
    case SQLITE_FULL:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    case SQLITE_TOOBIG:
      return absl::StatusCode::kInvalidArgument;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace weft::broker::store
