// PostgresServer: a throwaway PostgreSQL server for tests, run from Debian's postgresql package.
//
// Part of //broker/store/testing (testonly). Start() runs initdb in a new directory under
// $TEST_TMPDIR (or /tmp outside Bazel) and starts `postgres` on a free 127.0.0.1 port with
// fsync on and password (SCRAM) authentication over TCP, then polls with PQping until the server
// accepts connections. PostgreSQL refuses to run as root, so when the test runs as root both
// programs run as the `postgres` system user (or `nobody`), forked and exec'ed directly with no
// shell; they keep CAP_DAC_READ_SEARCH (or CAP_DAC_OVERRIDE) so they can reach a directory below a
// mode-0700 home (Bazel's output base lives in /root). Nothing outside the server's directory is
// touched, and nothing is deleted: Bazel removes $TEST_TMPDIR.
//
// Not thread-safe: use one server from one thread.
#ifndef WEFT_BROKER_STORE_TESTING_POSTGRES_SERVER_H_
#define WEFT_BROKER_STORE_TESTING_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::broker::store {

class PostgresServer {
 public:
  // Errors: kFailedPrecondition when no PostgreSQL server binaries are installed under
  // /usr/lib/postgresql/*/bin (install the `postgresql` package; ./weft test does) or when no
  // unprivileged user exists to run them; kInternal when initdb or the server fails (the
  // message carries their log); kDeadlineExceeded when the server does not accept connections
  // within a minute.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  // Stops the server (fast shutdown) if it is running.
  ~PostgresServer();

  // A libpq connection string for `database` over TCP, including the password.
  std::string conninfo(absl::string_view database = "postgres") const;
  const std::string& password() const { return password_; }
  int port() const { return port_; }
  bool running() const { return pid_ > 0; }

  // Creates a new, empty database and returns its name. Fails while the server is stopped.
  absl::StatusOr<std::string> CreateDatabase();
  // Runs `sql` (one or more statements without parameters, such as a test trigger) in
  // `database`.
  absl::Status Execute(absl::string_view database, absl::string_view sql);

  // Stops the server with a fast shutdown (connections are ended, the data stays) and waits
  // for it to exit. OK when it was not running.
  absl::Status Stop();
  // Starts the stopped server again on the same data directory and port, waiting until it
  // accepts connections. Stops it first when it is running.
  absl::Status Restart();

  // initdb's and the server's output so far, for failure messages.
  std::string Log() const;

 private:
  PostgresServer(std::string bin_dir, std::string root, uid_t uid, gid_t gid);

  absl::Status InitDb();
  // Starts `postgres` on port_ and waits until it answers.
  absl::Status StartServer();
  absl::Status AwaitReady();

  const std::string bin_dir_;
  // The directory holding data/, the logs and the Unix socket; owned by uid_.
  const std::string root_;
  // Who runs initdb and postgres; our own ids unless we are root.
  const uid_t uid_;
  const gid_t gid_;
  std::string password_;
  int port_ = 0;
  pid_t pid_ = -1;
  int databases_created_ = 0;
};

}  // namespace weft::broker::store

#endif  // WEFT_BROKER_STORE_TESTING_POSTGRES_SERVER_H_
