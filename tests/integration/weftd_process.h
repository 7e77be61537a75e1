// WeftdProcess: runs the real weftd binary for end-to-end tests, on ephemeral ports.
//
// Part of //tests/integration. Writes a config (wire listener on tcp:0 loopback, the other
// gateways off unless asked for, a throwaway data dir under TEST_TMPDIR, plus whatever the test
// adds), starts weftd with it, waits for `weftd: ready` and reads each listener's port from `weftd:
// <gateway> listening on tcp:PORT:...`. Stop() sends SIGTERM and returns the exit status, so a test
// can require a clean drain (exit 0, which under ASan also means no leak).
#ifndef WEFT_TESTS_INTEGRATION_WEFTD_PROCESS_H_
#define WEFT_TESTS_INTEGRATION_WEFTD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::testing {

class WeftdProcess {
 public:
  // Starts weftd with the base config plus `extra_config` (text format appended to it) and
  // `args`. Its data dir is `data_dir` when not empty (to restart on the same store), else a new
  // one. `gateways` names the listeners besides wire to open on tcp:0 loopback ("http",
  // "control"...); listener_port() then tells their ports. kUnavailable when it exits or stays
  // silent for 20 s before ready (stderr is in the message).
  static absl::StatusOr<std::unique_ptr<WeftdProcess>> Start(
      absl::string_view extra_config = "", std::vector<std::string> args = {},
      std::string data_dir = "", std::vector<std::string> gateways = {});
  // Runs weftd to completion with exactly `config` (no base) and `args`; returns exit code and
  // stderr. For start-up failures.
  static absl::StatusOr<std::pair<int, std::string>> RunToExit(absl::string_view config,
                                                               std::vector<std::string> args = {});
  ~WeftdProcess();

  // The wire listener's port.
  int port() const { return port_; }
  // The port weftd printed for `gateway` ("wire", "http", "control"...); 0 when none.
  int listener_port(absl::string_view gateway) const;
  // "tcp:127.0.0.1:PORT".
  std::string endpoint() const;
  // SIGTERM, then waits (20 s at most, then SIGKILL). Returns the exit code, or -signal.
  int Stop();
  // SIGKILL: a crash, with no drain. Waits for the process to be gone.
  void Kill();
  // Sends `signal` (SIGHUP: reload the config) and returns at once.
  void Signal(int signal) const;
  // The config file weftd was started with; rewrite it and send SIGHUP to reload.
  const std::string& config_path() const { return config_path_; }
  const std::string& data_dir() const { return data_dir_; }
  // What weftd wrote to stderr so far.
  std::string stderr_text() const;

 private:
  WeftdProcess(pid_t pid, int port, int out_fd, std::string err_path, std::string data_dir)
      : pid_(pid),
        port_(port),
        out_fd_(out_fd),
        err_path_(std::move(err_path)),
        data_dir_(std::move(data_dir)) {}

  pid_t pid_;
  int port_;
  int out_fd_;  // weftd's stdout, kept open so that it never writes to a closed pipe.
  std::string err_path_;
  std::string data_dir_;
  std::string config_path_;
  bool stopped_ = false;
  absl::flat_hash_map<std::string, int> ports_;
};

// A new temporary directory under TEST_TMPDIR.
std::string MakeTempDir();

}  // namespace weft::testing

#endif  // WEFT_TESTS_INTEGRATION_WEFTD_PROCESS_H_
