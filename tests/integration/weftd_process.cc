#include "tests/integration/weftd_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace weft::testing {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(20);

// Every gateway weftd has a listener for; the base config turns all but wire off.
constexpr absl::string_view kGateways[] = {"control", "http", "smtp", "imap", "pop3", "ssh", "irc"};

// The listeners section: wire and each of `enabled` on tcp:0 loopback, the rest off.
std::string BaseConfig(const std::vector<std::string>& enabled) {
  std::string text = "listeners {\n  wire { endpoint: \"tcp:0:interface=127.0.0.1\" }\n";
  for (absl::string_view gateway : kGateways) {
    const bool on = std::find(enabled.begin(), enabled.end(), gateway) != enabled.end();
    absl::StrAppend(
        &text, "  ", gateway,
        on ? " { endpoint: \"tcp:0:interface=127.0.0.1\" }\n" : " { enabled: false }\n");
  }
  return absl::StrCat(text, "}\n");
}

// Owner-only, as weftd requires of a config that holds a secret (a test database's password).
std::string WriteConfig(const std::string& dir, absl::string_view text) {
  const std::string path = dir + "/weft.conf";
  std::ofstream(path) << text;
  chmod(path.c_str(), 0600);
  return path;
}

// Forks weftd with stdout on a pipe and stderr into `err_path`.
pid_t Spawn(const std::string& config_path, const std::vector<std::string>& args, int& out_fd,
            const std::string& err_path) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return -1;
  const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (err < 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err, 2);
    std::vector<std::string> argv_strings = {"broker/weftd", "--config", config_path};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err);
  out_fd = out[0];
  return pid;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::string MakeTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/weftd.XXXXXX");
  return mkdtemp(pattern.data()) != nullptr ? pattern : std::string("/tmp");
}

absl::StatusOr<std::unique_ptr<WeftdProcess>> WeftdProcess::Start(
    absl::string_view extra_config, std::vector<std::string> args, std::string data_dir,
    std::vector<std::string> gateways) {
  const std::string dir = MakeTempDir();
  if (data_dir.empty()) data_dir = dir + "/data";
  const std::string config = WriteConfig(
      dir, absl::StrCat("data_dir: \"", data_dir, "\"\n", BaseConfig(gateways), extra_config));
  int out_fd = -1;
  const std::string err_path = dir + "/weftd.stderr";
  const pid_t pid = Spawn(config, args, out_fd, err_path);
  if (pid < 0) return absl::InternalError("cannot start weftd");
  std::string out;
  int port = 0;
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (absl::Now() < deadline && out.find("weftd: ready\n") == std::string::npos) {
    pollfd p{out_fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buffer[1024];
    const ssize_t n = read(out_fd, buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, n);
  }
  absl::flat_hash_map<std::string, int> ports;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    // "weftd: <gateway> listening on tcp:PORT:..."
    if (!absl::ConsumePrefix(&line, "weftd: ")) continue;
    const std::size_t space = line.find(' ');
    if (space == absl::string_view::npos) continue;
    absl::string_view rest = line.substr(space);
    if (!absl::ConsumePrefix(&rest, " listening on tcp:")) continue;
    int listener_port = 0;
    if (absl::SimpleAtoi(rest.substr(0, rest.find(':')), &listener_port)) {
      ports[std::string(line.substr(0, space))] = listener_port;
    }
  }
  port = ports.contains("wire") ? ports["wire"] : 0;
  if (out.find("weftd: ready\n") == std::string::npos || port == 0) {
    close(out_fd);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return absl::UnavailableError(absl::StrCat("weftd did not start: ", out, ReadFile(err_path)));
  }
  auto process = std::unique_ptr<WeftdProcess>(
      new WeftdProcess(pid, port, out_fd, err_path, std::move(data_dir)));
  process->ports_ = std::move(ports);
  process->config_path_ = config;
  return process;
}

absl::StatusOr<std::pair<int, std::string>> WeftdProcess::RunToExit(absl::string_view config,
                                                                    std::vector<std::string> args) {
  const std::string dir = MakeTempDir();
  const std::string path = WriteConfig(dir, config);
  int out_fd = -1;
  const pid_t pid = Spawn(path, args, out_fd, dir + "/weftd.stderr");
  if (pid < 0) return absl::InternalError("cannot start weftd");
  int status = 0;
  waitpid(pid, &status, 0);
  close(out_fd);
  return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status),
                        ReadFile(dir + "/weftd.stderr"));
}

WeftdProcess::~WeftdProcess() {
  if (!stopped_) Stop();
  close(out_fd_);
}

std::string WeftdProcess::stderr_text() const { return ReadFile(err_path_); }

int WeftdProcess::listener_port(absl::string_view gateway) const {
  auto it = ports_.find(gateway);
  return it == ports_.end() ? 0 : it->second;
}

std::string WeftdProcess::endpoint() const { return absl::StrCat("tcp:127.0.0.1:", port_); }

void WeftdProcess::Signal(int signal) const { kill(pid_, signal); }

void WeftdProcess::Kill() {
  stopped_ = true;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

int WeftdProcess::Stop() {
  stopped_ = true;
  kill(pid_, SIGTERM);
  int status = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      return -SIGKILL;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace weft::testing
