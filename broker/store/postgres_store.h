// PostgresStore: the Store on a PostgreSQL database, through libpq.
//
// Part of //broker/store. Each Commit() is one transaction (BEGIN ... COMMIT with
// synchronous_commit on) sent as a single libpq pipeline, so a batch costs one round trip
// however many messages it holds. All data travels as binary parameters of prepared
// statements. Opening applies the schema migrations this build knows, one transaction each.
//
// The store holds one connection. Before each call it checks the idle connection and, when the
// server has closed it, reconnects once (PQreset); if that fails the call returns kUnavailable
// "store: database unavailable" and the next call tries again, so the store recovers by itself
// when the server comes back. A connection lost while a call was in flight fails that call with
// kUnavailable. For Commit() the outcome is then unknown if COMMIT had already reached the
// server, as with any client/server database: a retried batch is deduplicated only for enqueues
// that carry idempotency keys. Error messages never contain the connection string.
#ifndef WEFT_BROKER_STORE_POSTGRES_STORE_H_
#define WEFT_BROKER_STORE_POSTGRES_STORE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/store/store.h"

namespace weft::broker::store {

struct PostgresStoreOptions {
  // A libpq connection string, "host=... port=... dbname=... user=... password=..." or a
  // postgresql:// URI. It may hold a password, so it never appears in a status message. Unless
  // it sets connect_timeout, connecting gives up after 10 seconds.
  std::string conninfo;
};

// The schema version this build creates and understands.
inline constexpr int kPostgresSchemaVersion = 1;

// Connects and migrates the database. Errors: kInvalidArgument (malformed conninfo),
// kUnavailable (cannot connect or authenticate), kFailedPrecondition (its schema is newer than
// kPostgresSchemaVersion), kResourceExhausted, kInternal.
absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const PostgresStoreOptions& options);

// The status code for a SQLSTATE, as every PostgresStore method reports it: class 08
// (connection), 40 (transaction rollback), 57P (server shutting down or starting, database
// dropped) and 25006 (read-only standby) are kUnavailable; 53 (insufficient resources, disk full)
// is kResourceExhausted; 22 (data exception) and 54 (program limit exceeded) are kInvalidArgument;
// anything else is kInternal. Exposed for tests.
absl::StatusCode StatusCodeForSqlState(absl::string_view sqlstate);

}  // namespace weft::broker::store

#endif  // WEFT_BROKER_STORE_POSTGRES_STORE_H_
