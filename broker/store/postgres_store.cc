#include "broker/store/postgres_store.h"

#include <endian.h>
#include <poll.h>
#include <postgresql/libpq-fe.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "broker/store/metadata_codec.h"

namespace weft::broker::store {
namespace {

// Schema migrations, oldest first; each runs in its own transaction with the row recording it.
// Never edit a step that has shipped: add a new one.
struct Migration {
  int version;
  const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE messages (
  id bigserial PRIMARY KEY,
  queue bytea NOT NULL,
  service bytea NOT NULL,
  method bytea NOT NULL,
  payload bytea NOT NULL,
  metadata bytea NOT NULL,
  idempotency_key bytea NOT NULL,
  enqueued_at_us bigint NOT NULL,
  attempts integer NOT NULL,
  next_attempt_at_us bigint NOT NULL,
  last_error bytea NOT NULL,
  dead boolean NOT NULL
);
CREATE INDEX messages_by_queue ON messages (queue, dead, id);
CREATE TABLE idempotency_keys (
  queue bytea NOT NULL,
  key bytea NOT NULL,
  message_id bigint NOT NULL,
  recorded_at_us bigint NOT NULL,
  PRIMARY KEY (queue, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (recorded_at_us);
)sql"},
};
static_assert(std::size(kMigrations) == kPostgresSchemaVersion, "one step per schema version");

constexpr char kCreateMigrationsTable[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version integer PRIMARY KEY, applied_at_us bigint NOT NULL)";
// Serializes migrations among brokers opening one database at once ("weft" as an integer).
constexpr char kLockMigrations[] = "SELECT pg_advisory_xact_lock(2003199604)";
constexpr char kReadVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr char kRecordVersion[] =
    "INSERT INTO schema_migrations (version, applied_at_us) VALUES ($1, $2)";

// Column and parameter types, one letter each: bytea, int8, int4, bool. The OIDs are fixed in
// PostgreSQL's catalog (pg_type.dat).
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt4Oid = 23;
constexpr Oid kBoolOid = 16;

Oid OidFor(char type) {
  switch (type) {
    case 'b':
      return kByteaOid;
    case '8':
      return kInt8Oid;
    case '4':
      return kInt4Oid;
    default:
      return kBoolOid;
  }
}

#define WEFT_MESSAGE_COLUMNS                                                                   \
  "id, queue, service, method, payload, metadata, idempotency_key, enqueued_at_us, attempts, " \
  "next_attempt_at_us, last_error, dead"
constexpr char kMessageShape[] = "8bbbbbb848b?";

enum Sql : std::size_t {
  kEnqueue,
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

struct PreparedSql {
  const char* name;         // For error messages.
  const char* server_name;  // The prepared statement's name on the connection.
  const char* param_types;
  const char* sql;
};

// Enqueue is one statement, so a batch can be pipelined without waiting for any answer: it
// returns the existing message id (duplicate) when the queue already has the key, else inserts
// the message and records its key. A statement sees the rows earlier statements of its
// transaction wrote, so repeated keys within one batch are caught too.
constexpr std::array<PreparedSql, kSqlCount> kStatements = {{
    {"enqueue", "weft_enqueue", "bbbbbb8",
     "WITH existing AS ("
     "  SELECT message_id FROM idempotency_keys WHERE $6 <> ''::bytea AND queue = $1 AND key = $6),"
     " inserted AS ("
     "  INSERT INTO messages (queue, service, method, payload, metadata, idempotency_key,"
     "   enqueued_at_us, attempts, next_attempt_at_us, last_error, dead)"
     "  SELECT $1, $2, $3, $4, $5, $6, $7, 0, $7, ''::bytea, false"
     "  WHERE NOT EXISTS (SELECT 1 FROM existing) RETURNING id),"
     " recorded AS ("
     "  INSERT INTO idempotency_keys (queue, key, message_id, recorded_at_us)"
     "  SELECT $1, $6, id, $7 FROM inserted WHERE $6 <> ''::bytea)"
     " SELECT id, false FROM inserted UNION ALL SELECT message_id, true FROM existing"},
    {"complete", "weft_complete", "8", "DELETE FROM messages WHERE id = $1 AND dead = false"},
    {"record failure", "weft_fail", "848b",
     "UPDATE messages SET attempts = $2, next_attempt_at_us = $3, last_error = $4"
     " WHERE id = $1 AND dead = false"},
    {"dead-letter", "weft_dead_letter", "84b",
     "UPDATE messages SET dead = true, attempts = $2, last_error = $3"
     " WHERE id = $1 AND dead = false"},
    {"load live", "weft_load_live", "b88",
     "SELECT " WEFT_MESSAGE_COLUMNS
     " FROM messages WHERE queue = $1 AND dead = false AND id > $2 ORDER BY id LIMIT $3"},
    {"load dead", "weft_load_dead", "b88",
     "SELECT " WEFT_MESSAGE_COLUMNS
     " FROM messages WHERE queue = $1 AND dead = true AND id > $2 ORDER BY id LIMIT $3"},
    {"get", "weft_get", "8", "SELECT " WEFT_MESSAGE_COLUMNS " FROM messages WHERE id = $1"},
    {"list queues", "weft_list_queues", "",
     "SELECT queue, COUNT(*) FILTER (WHERE NOT dead), COUNT(*) FILTER (WHERE dead),"
     " MIN(enqueued_at_us) FILTER (WHERE NOT dead) FROM messages GROUP BY queue ORDER BY queue"},
    {"replay", "weft_replay", "8b8",
     "UPDATE messages SET dead = false, attempts = 0, next_attempt_at_us = $1,"
     " last_error = ''::bytea WHERE queue = $2 AND id = $3 AND dead = true"},
    {"replay all", "weft_replay_all", "8b",
     "UPDATE messages SET dead = false, attempts = 0, next_attempt_at_us = $1,"
     " last_error = ''::bytea WHERE queue = $2 AND dead = true"},
    {"purge", "weft_purge", "b?", "DELETE FROM messages WHERE queue = $1 AND (dead OR $2)"},
    {"expire idempotency keys", "weft_expire_keys", "8",
     "DELETE FROM idempotency_keys k WHERE k.recorded_at_us < $1"
     " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = k.message_id)"},
}};

#undef WEFT_MESSAGE_COLUMNS

constexpr int kBinary = 1;
// PostgreSQL caps one field at 1 GiB.
constexpr std::size_t kMaxFieldBytes = (std::size_t{1} << 30) - 1;

absl::Status Unavailable() { return absl::UnavailableError("store: database unavailable"); }

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// The parameters of one statement, all in binary format. Bytes are not copied: they must
// outlive the call that sends them (libpq copies them into its output buffer).
class Params {
 public:
  Params& Bytes(absl::string_view bytes) {
    if (bytes.size() > kMaxFieldBytes && status_.ok()) {
      status_ = absl::InvalidArgumentError("store: postgres: value exceeds 1 GiB");
    }
    return Add(bytes.data(), static_cast<int>(std::min(bytes.size(), kMaxFieldBytes)));
  }
  Params& Int64(int64_t value) {
    const uint64_t big_endian = htobe64(static_cast<uint64_t>(value));
    std::memcpy(scalars_[count_].data(), &big_endian, sizeof big_endian);
    return Add(scalars_[count_].data(), sizeof big_endian);
  }
  Params& Int32(int32_t value) {
    const uint32_t big_endian = htobe32(static_cast<uint32_t>(value));
    std::memcpy(scalars_[count_].data(), &big_endian, sizeof big_endian);
    return Add(scalars_[count_].data(), sizeof big_endian);
  }
  Params& Bool(bool value) {
    scalars_[count_][0] = value ? 1 : 0;
    return Add(scalars_[count_].data(), 1);
  }

  const absl::Status& status() const { return status_; }
  int count() const { return count_; }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  static constexpr int kMaxParams = 8;

  Params& Add(const char* data, int length) {
    values_[count_] = data;
    lengths_[count_] = length;
    formats_[count_] = kBinary;
    ++count_;
    return *this;
  }

  int count_ = 0;
  std::array<const char*, kMaxParams> values_{};
  std::array<int, kMaxParams> lengths_{};
  std::array<int, kMaxParams> formats_{};
  std::array<std::array<char, 8>, kMaxParams> scalars_{};
  absl::Status status_;
};

// Binary result fields; CheckShape() has verified each column's type.
int64_t Int64At(const PGresult* result, int row, int column) {
  uint64_t big_endian = 0;
  std::memcpy(&big_endian, PQgetvalue(result, row, column), sizeof big_endian);
  return static_cast<int64_t>(be64toh(big_endian));
}
int32_t Int32At(const PGresult* result, int row, int column) {
  uint32_t big_endian = 0;
  std::memcpy(&big_endian, PQgetvalue(result, row, column), sizeof big_endian);
  return static_cast<int32_t>(be32toh(big_endian));
}
bool BoolAt(const PGresult* result, int row, int column) {
  return PQgetvalue(result, row, column)[0] != 0;
}
std::string BytesAt(const PGresult* result, int row, int column) {
  return std::string(PQgetvalue(result, row, column), PQgetlength(result, row, column));
}

// Checks that `result` has one binary column per letter of `shape`, of that type, and that no
// field of a fixed-size type has another size (so the readers above stay in bounds).
absl::Status CheckShape(const PGresult* result, absl::string_view shape) {
  bool ok = PQnfields(result) == static_cast<int>(shape.size());
  for (int column = 0; ok && column < PQnfields(result); ++column) {
    ok = PQftype(result, column) == OidFor(shape[column]) && PQfformat(result, column) == kBinary;
    const int size = shape[column] == '8' ? 8 : shape[column] == '4' ? 4 : shape[column] == '?';
    for (int row = 0; ok && size > 0 && row < PQntuples(result); ++row) {
      ok = PQgetisnull(result, row, column) || PQgetlength(result, row, column) == size;
    }
  }
  return ok ? absl::OkStatus() : absl::InternalError("store: postgres: unexpected result shape");
}

absl::StatusOr<StoredMessage> ReadMessage(const PGresult* result, int row) {
  absl::StatusOr<Metadata> metadata = DecodeMetadata(BytesAt(result, row, 5));
  if (!metadata.ok()) return metadata.status();
  StoredMessage message;
  message.id = Int64At(result, row, 0);
  message.queue = BytesAt(result, row, 1);
  message.service = BytesAt(result, row, 2);
  message.method = BytesAt(result, row, 3);
  message.payload = BytesAt(result, row, 4);
  message.metadata = *std::move(metadata);
  message.idempotency_key = BytesAt(result, row, 6);
  message.enqueued_at = absl::FromUnixMicros(Int64At(result, row, 7));
  message.attempts = Int32At(result, row, 8);
  message.next_attempt_at = absl::FromUnixMicros(Int64At(result, row, 9));
  message.last_error = BytesAt(result, row, 10);
  message.dead = BoolAt(result, row, 11);
  return message;
}

// The status for a failed statement. Connection trouble is always exactly Unavailable(): libpq's
// own messages name the host and port, so they are never passed on.
absl::Status StatusFor(PGconn* conn, const PGresult* result, absl::string_view what) {
  if (PQstatus(conn) != CONNECTION_OK) return Unavailable();
  const char* sqlstate = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (sqlstate == nullptr) return absl::InternalError(absl::StrCat("store: postgres: ", what));
  if (absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "57P")) return Unavailable();
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  return absl::Status(
      StatusCodeForSqlState(sqlstate),
      absl::StrCat("store: postgres: ", what, ": ", primary != nullptr ? primary : "error",
                   " (SQLSTATE ", sqlstate, ")"));
}

absl::Status Check(PGconn* conn, const PGresult* result, ExecStatusType expected,
                   absl::string_view what) {
  if (result != nullptr && PQresultStatus(result) == expected) return absl::OkStatus();
  return StatusFor(conn, result, what);
}

int64_t ToMicros(absl::Time time) { return absl::ToUnixMicros(time); }

class PostgresStore final : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<Store>> Open(const PostgresStoreOptions& options);
  ~PostgresStore() override { PQfinish(conn_); }

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
  explicit PostgresStore(PGconn* conn) : conn_(conn) {}

  // Connection and schema.
  absl::Status ExecCommand(const char* sql, absl::string_view what);
  absl::Status PrepareStatements();
  absl::Status Migrate();
  absl::Status InMigrationTransaction(absl::FunctionRef<absl::Status()> body);
  absl::StatusOr<int> ReadSchemaVersion();
  absl::Status ApplyMigration(const Migration& migration);
  absl::Status EnsureConnected();
  bool ServerClosedConnection();

  // Commit pipeline: SendBatch() queues BEGIN, the batch's statements in contract order, COMMIT
  // and a sync, stopping at the first failure (so COMMIT is never sent after one); ReadBatch()
  // then reads every queued statement's result.
  struct Pipeline {
    int queued = 0;
    bool synced = false;
    absl::Status status;
  };
  Pipeline SendBatch(const WriteBatch& batch);
  void QueueStatement(Pipeline& pipeline, Sql sql, const Params& params);
  void QueueCommand(Pipeline& pipeline, const char* sql);
  absl::Status ReadBatch(const WriteBatch& batch, const Pipeline& pipeline,
                         std::vector<EnqueueResult>& results);
  absl::Status ReadBatchResult(const WriteBatch& batch, int index, PGresult* result,
                               std::vector<EnqueueResult>& results);

  // One prepared statement, waited for.
  absl::StatusOr<Result> Execute(Sql sql, const Params& params, ExecStatusType expected);
  absl::StatusOr<int64_t> ExecuteCount(Sql sql, const Params& params);
  absl::StatusOr<std::vector<StoredMessage>> Load(Sql sql, absl::string_view queue,
                                                  int64_t after_id, std::size_t limit);

  PGconn* const conn_;
  int schema_version_ = 0;
  // Set when the connection is in a state no call can use (a pipeline left unfinished).
  bool needs_reset_ = false;
};

absl::StatusOr<std::unique_ptr<Store>> PostgresStore::Open(const PostgresStoreOptions& options) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.conninfo.c_str(), &parse_error);
  PQfreemem(parse_error);  // It quotes the connection string: never shown.
  if (parsed == nullptr) {
    return absl::InvalidArgumentError("store: malformed postgres connection string");
  }
  PQconninfoFree(parsed);
  // Keywords before "dbname" are defaults the connection string may override.
  const char* const keywords[] = {"connect_timeout", "fallback_application_name", "dbname",
                                  nullptr};
  const char* const values[] = {"10", "weftd", options.conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::InternalError("store: postgres: out of memory");
  std::unique_ptr<PostgresStore> store(new PostgresStore(conn));
  // Notices (such as "relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  if (PQstatus(conn) != CONNECTION_OK) return Unavailable();
  absl::Status status = store->ExecCommand("SET synchronous_commit = on", "configure session");
  if (status.ok()) status = store->Migrate();
  if (status.ok()) status = store->PrepareStatements();
  if (!status.ok()) return status;
  return store;
}

absl::Status PostgresStore::ExecCommand(const char* sql, absl::string_view what) {
  Result result(PQexec(conn_, sql));
  return Check(conn_, result.get(), PGRES_COMMAND_OK, what);
}

absl::Status PostgresStore::PrepareStatements() {
  for (const PreparedSql& statement : kStatements) {
    std::vector<Oid> types;
    for (char type : absl::string_view(statement.param_types)) types.push_back(OidFor(type));
    Result result(PQprepare(conn_, statement.server_name, statement.sql,
                            static_cast<int>(types.size()), types.data()));
    absl::Status status =
        Check(conn_, result.get(), PGRES_COMMAND_OK, absl::StrCat("prepare ", statement.name));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status PostgresStore::InMigrationTransaction(absl::FunctionRef<absl::Status()> body) {
  absl::Status status = ExecCommand("BEGIN", "begin");
  if (status.ok()) {
    Result lock(PQexec(conn_, kLockMigrations));
    status = Check(conn_, lock.get(), PGRES_TUPLES_OK, "lock schema");
  }
  if (status.ok()) status = body();
  if (status.ok()) return ExecCommand("COMMIT", "commit");
  if (PQstatus(conn_) == CONNECTION_OK) Result rollback(PQexec(conn_, "ROLLBACK"));
  return status;
}

absl::StatusOr<int> PostgresStore::ReadSchemaVersion() {
  Result result(PQexec(conn_, kReadVersion));
  absl::Status status = Check(conn_, result.get(), PGRES_TUPLES_OK, "read schema version");
  if (!status.ok()) return status;
  int version = 0;
  if (PQntuples(result.get()) != 1 || !absl::SimpleAtoi(PQgetvalue(result.get(), 0, 0), &version)) {
    return absl::InternalError("store: postgres: unreadable schema version");
  }
  return version;
}

absl::Status PostgresStore::Migrate() {
  int version = 0;
  absl::Status status = InMigrationTransaction([&] {
    absl::Status created = ExecCommand(kCreateMigrationsTable, "create schema_migrations");
    if (!created.ok()) return created;
    absl::StatusOr<int> read = ReadSchemaVersion();
    if (read.ok()) version = *read;
    return read.status();
  });
  if (!status.ok()) return status;
  if (version > kPostgresSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat("store: database schema version ", version,
                                                      " is newer than this build supports (",
                                                      kPostgresSchemaVersion, ")"));
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= version) continue;
    status = InMigrationTransaction([&] { return ApplyMigration(migration); });
    if (!status.ok()) return status;
  }
  schema_version_ = kPostgresSchemaVersion;
  return absl::OkStatus();
}

absl::Status PostgresStore::ApplyMigration(const Migration& migration) {
  // Another broker may have applied it between our read and the lock.
  absl::StatusOr<int> version = ReadSchemaVersion();
  if (!version.ok() || *version >= migration.version) return version.status();
  absl::Status status =
      ExecCommand(migration.sql, absl::StrCat("migrate to schema version ", migration.version));
  if (!status.ok()) return status;
  Params params;
  params.Int32(migration.version).Int64(ToMicros(absl::Now()));
  const Oid types[] = {kInt4Oid, kInt8Oid};
  Result result(PQexecParams(conn_, kRecordVersion, params.count(), types, params.values(),
                             params.lengths(), params.formats(), kBinary));
  return Check(conn_, result.get(), PGRES_COMMAND_OK, "record schema version");
}

absl::Status PostgresStore::EnsureConnected() {
  if (!needs_reset_ && PQstatus(conn_) == CONNECTION_OK && !ServerClosedConnection()) {
    return absl::OkStatus();
  }
  needs_reset_ = true;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return Unavailable();
  absl::Status status = ExecCommand("SET synchronous_commit = on", "configure session");
  if (status.ok()) status = PrepareStatements();
  if (status.ok()) needs_reset_ = false;
  return status;
}

// Between calls the connection is idle, and an idle connection receives nothing unless the
// server is ending the session (a FATAL message, then end of file). Reads whatever is there
// without blocking; true when that showed the connection to be gone.
bool PostgresStore::ServerClosedConnection() {
  for (int reads = 0; reads < 4; ++reads) {
    pollfd readable{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
    if (poll(&readable, 1, 0) <= 0) return false;
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) return true;
  }
  return false;
}

absl::StatusOr<std::vector<EnqueueResult>> PostgresStore::Commit(const WriteBatch& batch) {
  std::vector<EnqueueResult> results;
  if (batch.empty()) return results;
  absl::Status status = EnsureConnected();
  if (!status.ok()) return status;
  if (PQenterPipelineMode(conn_) != 1) return StatusFor(conn_, nullptr, "enter pipeline mode");
  results.reserve(batch.enqueue.size());
  const Pipeline pipeline = SendBatch(batch);
  status = ReadBatch(batch, pipeline, results);
  if (status.ok()) status = pipeline.status;
  if (PQexitPipelineMode(conn_) != 1) needs_reset_ = true;
  if (status.ok()) return results;
  // An error inside BEGIN ... COMMIT leaves the transaction open and failed.
  if (!needs_reset_ && PQstatus(conn_) == CONNECTION_OK &&
      PQtransactionStatus(conn_) != PQTRANS_IDLE) {
    Result rollback(PQexec(conn_, "ROLLBACK"));
    if (PQresultStatus(rollback.get()) != PGRES_COMMAND_OK) needs_reset_ = true;
  }
  return status;
}

void PostgresStore::QueueStatement(Pipeline& pipeline, Sql sql, const Params& params) {
  if (!pipeline.status.ok()) return;
  pipeline.status = params.status();
  if (pipeline.status.ok() &&
      PQsendQueryPrepared(conn_, kStatements[sql].server_name, params.count(), params.values(),
                          params.lengths(), params.formats(), kBinary) != 1) {
    pipeline.status = StatusFor(conn_, nullptr, absl::StrCat("send ", kStatements[sql].name));
  }
  if (pipeline.status.ok()) ++pipeline.queued;
}

void PostgresStore::QueueCommand(Pipeline& pipeline, const char* sql) {
  if (!pipeline.status.ok()) return;
  if (PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, kBinary) != 1) {
    pipeline.status = StatusFor(conn_, nullptr, absl::StrCat("send ", sql));
    return;
  }
  ++pipeline.queued;
}

PostgresStore::Pipeline PostgresStore::SendBatch(const WriteBatch& batch) {
  Pipeline pipeline;
  QueueCommand(pipeline, "BEGIN");
  for (const NewMessage& m : batch.enqueue) {
    const std::string metadata = EncodeMetadata(m.metadata);
    QueueStatement(pipeline, kEnqueue,
                   Params()
                       .Bytes(m.queue)
                       .Bytes(m.service)
                       .Bytes(m.method)
                       .Bytes(m.payload)
                       .Bytes(metadata)
                       .Bytes(m.idempotency_key)
                       .Int64(ToMicros(m.enqueued_at)));
  }
  for (int64_t id : batch.complete) QueueStatement(pipeline, kComplete, Params().Int64(id));
  for (const AttemptFailed& f : batch.failed) {
    QueueStatement(
        pipeline, kFail,
        Params().Int64(f.id).Int32(f.attempts).Int64(ToMicros(f.next_attempt_at)).Bytes(f.error));
  }
  for (const DeadLettered& d : batch.dead) {
    QueueStatement(pipeline, kDeadLetter, Params().Int64(d.id).Int32(d.attempts).Bytes(d.error));
  }
  QueueCommand(pipeline, "COMMIT");
  pipeline.synced = PQpipelineSync(conn_) == 1;
  if (!pipeline.synced && pipeline.status.ok()) pipeline.status = StatusFor(conn_, nullptr, "sync");
  return pipeline;
}

absl::Status PostgresStore::ReadBatch(const WriteBatch& batch, const Pipeline& pipeline,
                                      std::vector<EnqueueResult>& results) {
  absl::Status status;
  for (int index = 0; index < pipeline.queued; ++index) {
    Result result(PQgetResult(conn_));
    if (result == nullptr) return status.ok() ? StatusFor(conn_, nullptr, "read results") : status;
    // Each statement's results end with a null.
    while (Result rest{PQgetResult(conn_)}) {
    }
    if (PQresultStatus(result.get()) == PGRES_PIPELINE_ABORTED || !status.ok()) continue;
    status = ReadBatchResult(batch, index, result.get(), results);
  }
  if (!pipeline.synced) return status;
  Result sync(PQgetResult(conn_));
  if (status.ok() && (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC)) {
    status = StatusFor(conn_, sync.get(), "sync");
  }
  return status;
}

// Statement `index` of a batch: BEGIN, the enqueues, completions, failures, dead letters, COMMIT.
absl::Status PostgresStore::ReadBatchResult(const WriteBatch& batch, int index, PGresult* result,
                                            std::vector<EnqueueResult>& results) {
  const std::size_t position = static_cast<std::size_t>(index);
  const std::size_t enqueues_end = 1 + batch.enqueue.size();
  const std::size_t commit =
      enqueues_end + batch.complete.size() + batch.failed.size() + batch.dead.size();
  if (position == 0 || position == commit) {
    absl::Status status =
        Check(conn_, result, PGRES_COMMAND_OK, position == 0 ? "begin" : "commit");
    if (status.ok() && position == commit && std::strcmp(PQcmdStatus(result), "COMMIT") != 0) {
      status = absl::InternalError("store: postgres: commit rolled back");
    }
    return status;
  }
  if (position >= enqueues_end) return Check(conn_, result, PGRES_COMMAND_OK, "update");
  absl::Status status = Check(conn_, result, PGRES_TUPLES_OK, "enqueue");
  if (status.ok()) status = CheckShape(result, "8?");
  if (status.ok() && PQntuples(result) != 1) {
    status = absl::InternalError("store: postgres: enqueue returned no id");
  }
  if (!status.ok()) return status;
  results.push_back(EnqueueResult{.id = Int64At(result, 0, 0), .duplicate = BoolAt(result, 0, 1)});
  return absl::OkStatus();
}

absl::StatusOr<Result> PostgresStore::Execute(Sql sql, const Params& params,
                                              ExecStatusType expected) {
  absl::Status status = params.status();
  if (status.ok()) status = EnsureConnected();
  if (!status.ok()) return status;
  Result result(PQexecPrepared(conn_, kStatements[sql].server_name, params.count(), params.values(),
                               params.lengths(), params.formats(), kBinary));
  status = Check(conn_, result.get(), expected, kStatements[sql].name);
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<int64_t> PostgresStore::ExecuteCount(Sql sql, const Params& params) {
  absl::StatusOr<Result> result = Execute(sql, params, PGRES_COMMAND_OK);
  if (!result.ok()) return result.status();
  int64_t count = 0;
  if (!absl::SimpleAtoi(PQcmdTuples(result->get()), &count)) {
    return absl::InternalError("store: postgres: unreadable row count");
  }
  return count;
}

absl::StatusOr<std::vector<StoredMessage>> PostgresStore::Load(Sql sql, absl::string_view queue,
                                                               int64_t after_id,
                                                               std::size_t limit) {
  const int64_t bounded_limit =
      static_cast<int64_t>(std::min<std::size_t>(limit, std::numeric_limits<int64_t>::max()));
  absl::StatusOr<Result> result =
      Execute(sql, Params().Bytes(queue).Int64(after_id).Int64(bounded_limit), PGRES_TUPLES_OK);
  if (!result.ok()) return result.status();
  absl::Status status = CheckShape(result->get(), kMessageShape);
  if (!status.ok()) return status;
  std::vector<StoredMessage> messages;
  messages.reserve(PQntuples(result->get()));
  for (int row = 0; row < PQntuples(result->get()); ++row) {
    absl::StatusOr<StoredMessage> message = ReadMessage(result->get(), row);
    if (!message.ok()) return message.status();
    messages.push_back(*std::move(message));
  }
  return messages;
}

absl::StatusOr<std::vector<StoredMessage>> PostgresStore::LoadLive(absl::string_view queue,
                                                                   int64_t after_id,
                                                                   std::size_t limit) {
  return Load(kLoadLive, queue, after_id, limit);
}

absl::StatusOr<std::vector<StoredMessage>> PostgresStore::LoadDead(absl::string_view queue,
                                                                   int64_t after_id,
                                                                   std::size_t limit) {
  return Load(kLoadDead, queue, after_id, limit);
}

absl::StatusOr<StoredMessage> PostgresStore::Get(int64_t id) {
  absl::StatusOr<Result> result = Execute(kGet, Params().Int64(id), PGRES_TUPLES_OK);
  if (!result.ok()) return result.status();
  absl::Status status = CheckShape(result->get(), kMessageShape);
  if (!status.ok()) return status;
  if (PQntuples(result->get()) == 0) return absl::NotFoundError("store: no such message");
  return ReadMessage(result->get(), 0);
}

absl::StatusOr<std::vector<QueueInfo>> PostgresStore::ListQueues() {
  absl::StatusOr<Result> result = Execute(kListQueues, Params(), PGRES_TUPLES_OK);
  if (!result.ok()) return result.status();
  const PGresult* rows = result->get();
  absl::Status status = CheckShape(rows, "b888");
  if (!status.ok()) return status;
  std::vector<QueueInfo> queues(PQntuples(rows));
  for (int row = 0; row < PQntuples(rows); ++row) {
    QueueInfo& info = queues[row];
    info.name = BytesAt(rows, row, 0);
    info.live = Int64At(rows, row, 1);
    info.dead = Int64At(rows, row, 2);
    if (!PQgetisnull(rows, row, 3)) info.oldest_live = absl::FromUnixMicros(Int64At(rows, row, 3));
  }
  return queues;
}

absl::StatusOr<int64_t> PostgresStore::Replay(absl::string_view queue, std::optional<int64_t> id,
                                              absl::Time now) {
  Params params;
  params.Int64(ToMicros(now)).Bytes(queue);
  if (!id.has_value()) return ExecuteCount(kReplayAll, params);
  absl::StatusOr<int64_t> count = ExecuteCount(kReplayOne, params.Int64(*id));
  if (count.ok() && *count == 0) return absl::NotFoundError("store: no such dead letter");
  return count;
}

absl::StatusOr<int64_t> PostgresStore::Purge(absl::string_view queue, bool include_live) {
  return ExecuteCount(kPurge, Params().Bytes(queue).Bool(include_live));
}

absl::StatusOr<int64_t> PostgresStore::ExpireIdempotencyKeys(absl::Time cutoff) {
  return ExecuteCount(kExpireKeys, Params().Int64(ToMicros(cutoff)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const PostgresStoreOptions& options) {
  return PostgresStore::Open(options);
}

absl::StatusCode StatusCodeForSqlState(absl::string_view sqlstate) {
  if (absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "40") ||
      absl::StartsWith(sqlstate, "57P") || sqlstate == "25006") {
    return absl::StatusCode::kUnavailable;
  }
  if (absl::StartsWith(sqlstate, "53")) return absl::StatusCode::kResourceExhausted;
  if (absl::StartsWith(sqlstate, "22") || absl::StartsWith(sqlstate, "54")) {
    return absl::StatusCode::kInvalidArgument;
  }
  return absl::StatusCode::kInternal;
}

}  // namespace weft::broker::store
