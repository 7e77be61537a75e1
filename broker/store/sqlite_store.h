// SqliteStore: the Store on a local SQLite database file, Weft's default.
//
// Part of //broker/store. The file is opened in WAL mode with synchronous=FULL, so a Commit() is
// on disk before it returns. Opening applies the schema migrations this build knows, one
// transaction each. The store holds one connection and its prepared statements; like every
// Store it is used from one thread.
#ifndef WEFT_BROKER_STORE_SQLITE_STORE_H_
#define WEFT_BROKER_STORE_SQLITE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/store/store.h"

namespace weft::broker::store {

struct SqliteStoreOptions {
  // The database file, created when missing. Its directory must exist (the caller creates the
  // data dir).
  std::string path;
  // Caps the database at this many pages (PRAGMA max_page_count, for this connection only), so
  // tests can fill the "disk". nullopt: SQLite's default cap.
  std::optional<int64_t> max_page_count;
};

// The schema version this build creates and understands.
inline constexpr int kSqliteSchemaVersion = 1;

// Opens (creating when missing) and migrates the database at options.path.
// Errors: kUnavailable (cannot open the file, or it is locked), kFailedPrecondition (its schema
// is newer than kSqliteSchemaVersion), kResourceExhausted (disk full while migrating),
// kInternal (not a database, corrupt, or any other SQLite failure).
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options);

// The status code for an SQLite result code (primary or extended), as every SqliteStore method
// reports it: FULL is kResourceExhausted; CANTOPEN, IOERR, BUSY and LOCKED kUnavailable; TOOBIG
// kInvalidArgument; anything else kInternal. Exposed for tests.
absl::StatusCode StatusCodeForSqliteResult(int result_code);

}  // namespace weft::broker::store

#endif  // WEFT_BROKER_STORE_SQLITE_STORE_H_
