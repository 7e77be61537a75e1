#include "broker/store/testing/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <postgresql/libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace weft::broker::store {
namespace {

constexpr absl::Duration kReadyTimeout = absl::Minutes(1);
constexpr absl::Duration kStopTimeout = absl::Minutes(1);
constexpr absl::Duration kPollInterval = absl::Milliseconds(10);
constexpr int kStartAttempts = 3;
// The superuser initdb creates.
constexpr char kUser[] = "weft";
// sun_path holds 108 bytes including the terminating NUL.
constexpr std::size_t kMaxSocketPath = 107;

absl::Status ErrnoStatus(absl::string_view what) {
  return absl::InternalError(absl::StrCat("postgres_server: ", what, ": ", std::strerror(errno)));
}

// The newest /usr/lib/postgresql/<version>/bin holding both initdb and postgres.
absl::StatusOr<std::string> FindBinDir() {
  glob_t matches;
  std::string best;
  int best_version = -1;
  if (glob("/usr/lib/postgresql/*/bin/postgres", 0, nullptr, &matches) == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
      std::string bin(matches.gl_pathv[i]);
      bin.resize(bin.size() - std::strlen("/postgres"));
      absl::string_view version = absl::StripSuffix(bin, "/bin");
      version.remove_prefix(std::strlen("/usr/lib/postgresql/"));
      int number = 0;
      if (!absl::SimpleAtoi(version, &number) || number <= best_version) continue;
      if (access((bin + "/initdb").c_str(), X_OK) != 0) continue;
      best = bin;
      best_version = number;
    }
  }
  globfree(&matches);
  if (best.empty()) {
    return absl::FailedPreconditionError(
        "postgres_server: no PostgreSQL server under /usr/lib/postgresql/*/bin (initdb and "
        "postgres); install the `postgresql` package (./weft test does)");
  }
  return best;
}

// Who runs the server: ourselves, or an unprivileged user when we are root.
absl::Status ChooseUser(uid_t& uid, gid_t& gid) {
  uid = geteuid();
  gid = getegid();
  if (uid != 0) return absl::OkStatus();
  for (const char* name : {"postgres", "nobody"}) {
    passwd entry;
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (getpwnam_r(name, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
        found->pw_uid != 0) {
      uid = found->pw_uid;
      gid = found->pw_gid;
      return absl::OkStatus();
    }
  }
  return absl::FailedPreconditionError(
      "postgres_server: running as root and neither the `postgres` nor the `nobody` user exists "
      "to run PostgreSQL as");
}

absl::StatusOr<std::string> MakeRoot(uid_t uid, gid_t gid) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string root = absl::StrCat(base != nullptr ? base : "/tmp", "/postgres.XXXXXX");
  if (mkdtemp(root.data()) == nullptr) return ErrnoStatus("mkdtemp");
  if (chown(root.c_str(), uid, gid) != 0) return ErrnoStatus("chown");
  return root;
}

absl::StatusOr<int> PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  const absl::Status status = bound ? absl::OkStatus() : ErrnoStatus("bind");
  close(fd);
  if (!status.ok()) return status;
  return ntohs(address.sin_port);
}

std::string RandomPassword() {
  std::random_device random;
  std::string password;
  for (int i = 0; i < 24; ++i) password.push_back("0123456789abcdef"[random() % 16]);
  return password;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// What a child reports through its error pipe when it fails before exec.
struct ChildError {
  const char* step;
  int error;
};

// Everything the child needs, prepared before fork() so the child makes only system calls.
struct ChildPlan {
  std::vector<std::string> args;
  int log_fd = -1;
  int null_fd = -1;
  int error_fd = -1;
  bool drop_privileges = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string cwd;
};

[[noreturn]] void ChildFail(const ChildPlan& plan, const char* step) {
  const ChildError report{step, errno};
  (void)!write(plan.error_fd, &report, sizeof report);
  _exit(127);
}

// Becomes plan.uid, keeping one capability to walk directories such as a mode-0700 /root:
// CAP_DAC_READ_SEARCH, or CAP_DAC_OVERRIDE where a container's bounding set lacks it (Docker's
// default). It is ambient, so it survives exec and reaches the server's own processes. When the
// kernel refuses both the child goes on without, which works wherever the path is searchable.
void DropPrivileges(const ChildPlan& plan) {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) ChildFail(plan, "prctl(PR_SET_KEEPCAPS)");
  if (setgroups(0, nullptr) != 0) ChildFail(plan, "setgroups");
  if (setresgid(plan.gid, plan.gid, plan.gid) != 0) ChildFail(plan, "setresgid");
  if (setresuid(plan.uid, plan.uid, plan.uid) != 0) ChildFail(plan, "setresuid");
  for (const int capability : {CAP_DAC_READ_SEARCH, CAP_DAC_OVERRIDE}) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    data[0].effective = data[0].permitted = data[0].inheritable = 1u << capability;
    if (syscall(SYS_capset, &header, data) == 0 &&
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, capability, 0, 0) == 0) {
      return;
    }
  }
}

[[noreturn]] void RunChild(const ChildPlan& plan, char* const argv[], char* const envp[]) {
  if (dup2(plan.null_fd, STDIN_FILENO) < 0 || dup2(plan.log_fd, STDOUT_FILENO) < 0 ||
      dup2(plan.log_fd, STDERR_FILENO) < 0) {
    ChildFail(plan, "dup2");
  }
  if (plan.drop_privileges) DropPrivileges(plan);
  if (chdir(plan.cwd.c_str()) != 0) ChildFail(plan, "chdir");
  execve(argv[0], argv, envp);
  ChildFail(plan, "execve");
}

// Starts plan.args with stdout and stderr appended to `log_path`. Returns the child's pid once
// it has exec'ed.
absl::StatusOr<pid_t> Spawn(ChildPlan plan, const std::string& log_path) {
  plan.log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  plan.null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int error_pipe[2] = {-1, -1};
  if (plan.log_fd < 0 || plan.null_fd < 0 || pipe2(error_pipe, O_CLOEXEC) != 0) {
    const absl::Status status = ErrnoStatus("open log or pipe");
    for (int fd : {plan.log_fd, plan.null_fd}) close(fd);
    return status;
  }
  plan.error_fd = error_pipe[1];
  std::vector<char*> argv;
  for (std::string& arg : plan.args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  char env_locale[] = "LC_ALL=C";
  char env_tz[] = "TZ=UTC";
  char env_path[] = "PATH=/usr/bin:/bin";
  char* const envp[] = {env_locale, env_tz, env_path, nullptr};
  const pid_t pid = fork();
  if (pid == 0) RunChild(plan, argv.data(), envp);
  const int fork_errno = errno;
  for (int fd : {plan.log_fd, plan.null_fd, error_pipe[1]}) close(fd);
  if (pid < 0) {
    close(error_pipe[0]);
    errno = fork_errno;
    return ErrnoStatus("fork");
  }
  ChildError report{};
  const ssize_t n = read(error_pipe[0], &report, sizeof report);
  close(error_pipe[0]);
  if (n != static_cast<ssize_t>(sizeof report)) return pid;  // Closed by exec: it runs.
  waitpid(pid, nullptr, 0);
  return absl::InternalError(absl::StrCat("postgres_server: starting ", plan.args[0], ": ",
                                          report.step, ": ", std::strerror(report.error)));
}

// Waits for `pid` to exit, up to `timeout`. Returns its wait status, or nullopt on timeout.
std::optional<int> WaitForExit(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int wait_status = 0;
    const pid_t done = waitpid(pid, &wait_status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) return wait_status;
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(kPollInterval);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  absl::StatusOr<std::string> bin_dir = FindBinDir();
  if (!bin_dir.ok()) return bin_dir.status();
  uid_t uid = 0;
  gid_t gid = 0;
  absl::Status status = ChooseUser(uid, gid);
  if (!status.ok()) return status;
  absl::StatusOr<std::string> root = MakeRoot(uid, gid);
  if (!root.ok()) return root.status();
  std::unique_ptr<PostgresServer> server(
      new PostgresServer(*std::move(bin_dir), *std::move(root), uid, gid));
  status = server->InitDb();
  if (!status.ok()) return status;
  // Another process may take the port between PickFreePort() and the server's bind.
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    absl::StatusOr<int> port = PickFreePort();
    if (!port.ok()) return port.status();
    server->port_ = *port;
    status = server->StartServer();
    if (status.ok() || server->Log().find("could not bind") == std::string::npos) break;
  }
  if (!status.ok()) return status;
  return server;
}

PostgresServer::PostgresServer(std::string bin_dir, std::string root, uid_t uid, gid_t gid)
    : bin_dir_(std::move(bin_dir)),
      root_(std::move(root)),
      uid_(uid),
      gid_(gid),
      password_(RandomPassword()) {}

PostgresServer::~PostgresServer() { (void)Stop(); }

absl::Status PostgresServer::InitDb() {
  const std::string password_file = root_ + "/password";
  {
    std::ofstream out(password_file);
    out << password_ << "\n";
    if (!out.good()) return absl::InternalError("postgres_server: cannot write password file");
  }
  if (chmod(password_file.c_str(), 0600) != 0 || chown(password_file.c_str(), uid_, gid_) != 0) {
    return ErrnoStatus("chown password file");
  }
  ChildPlan plan;
  plan.args = {bin_dir_ + "/initdb",
               "--pgdata=" + root_ + "/data",
               absl::StrCat("--username=", kUser),
               "--pwfile=" + password_file,
               "--auth-local=trust",
               "--auth-host=scram-sha-256",
               "--encoding=UTF8",
               "--locale=C"};
  plan.drop_privileges = geteuid() == 0;
  plan.uid = uid_;
  plan.gid = gid_;
  plan.cwd = root_;
  absl::StatusOr<pid_t> pid = Spawn(std::move(plan), root_ + "/initdb.log");
  if (!pid.ok()) return pid.status();
  const std::optional<int> wait_status = WaitForExit(*pid, kReadyTimeout);
  if (!wait_status.has_value()) {
    kill(*pid, SIGKILL);
    waitpid(*pid, nullptr, 0);
    return absl::DeadlineExceededError("postgres_server: initdb did not finish in a minute");
  }
  if (!WIFEXITED(*wait_status) || WEXITSTATUS(*wait_status) != 0) {
    return absl::InternalError(absl::StrCat("postgres_server: initdb failed:\n", Log()));
  }
  return absl::OkStatus();
}

absl::Status PostgresServer::StartServer() {
  // Unix sockets only where the path fits in sun_path; the tests connect over TCP anyway.
  const std::string socket_path = absl::StrCat(root_, "/.s.PGSQL.", port_);
  const std::string socket_dir = socket_path.size() <= kMaxSocketPath ? root_ : "";
  ChildPlan plan;
  plan.args = {bin_dir_ + "/postgres", "-D", root_ + "/data", "-p", absl::StrCat(port_)};
  const std::string settings[] = {"listen_addresses=127.0.0.1",
                                  "unix_socket_directories=" + socket_dir,
                                  "fsync=on",
                                  "synchronous_commit=on",
                                  "max_connections=50",
                                  "shared_buffers=16MB",
                                  "logging_collector=off"};
  for (const std::string& setting : settings) {
    plan.args.push_back("-c");
    plan.args.push_back(setting);
  }
  plan.drop_privileges = geteuid() == 0;
  plan.uid = uid_;
  plan.gid = gid_;
  plan.cwd = root_;
  absl::StatusOr<pid_t> pid = Spawn(std::move(plan), root_ + "/server.log");
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  absl::Status status = AwaitReady();
  if (!status.ok()) (void)Stop();
  return status;
}

absl::Status PostgresServer::AwaitReady() {
  const std::string ping = conninfo();
  const absl::Time deadline = absl::Now() + kReadyTimeout;
  while (true) {
    if (PQping(ping.c_str()) == PQPING_OK) return absl::OkStatus();
    int wait_status = 0;
    if (waitpid(pid_, &wait_status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(
          absl::StrCat("postgres_server: the server exited while starting:\n", Log()));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("postgres_server: no connection within ",
                                                      absl::FormatDuration(kReadyTimeout), ":\n",
                                                      Log()));
    }
    absl::SleepFor(kPollInterval);  // The poll interval, not a wait for readiness.
  }
}

absl::Status PostgresServer::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  const pid_t pid = std::exchange(pid_, -1);
  kill(pid, SIGINT);  // Fast shutdown: ends sessions, checkpoints, exits.
  if (WaitForExit(pid, kStopTimeout).has_value()) return absl::OkStatus();
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return absl::DeadlineExceededError("postgres_server: the server ignored a fast shutdown");
}

absl::Status PostgresServer::Restart() {
  absl::Status status = Stop();
  if (!status.ok()) return status;
  return StartServer();
}

std::string PostgresServer::conninfo(absl::string_view database) const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=", kUser, " password=", password_,
                      " dbname=", database, " connect_timeout=10");
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase() {
  const std::string name = absl::StrCat("test_", ++databases_created_);
  absl::Status status = Execute("postgres", absl::StrCat("CREATE DATABASE ", name));
  if (!status.ok()) return status;
  return name;
}

absl::Status PostgresServer::Execute(absl::string_view database, absl::string_view sql) {
  PGconn* conn = PQconnectdb(conninfo(database).c_str());
  absl::Status status;
  if (PQstatus(conn) != CONNECTION_OK) {
    status = absl::UnavailableError(absl::StrCat("postgres_server: cannot connect to ", database));
  } else {
    PGresult* result = PQexec(conn, std::string(sql).c_str());
    const ExecStatusType outcome = PQresultStatus(result);
    if (outcome != PGRES_COMMAND_OK && outcome != PGRES_TUPLES_OK) {
      status = absl::InternalError(
          absl::StrCat("postgres_server: ", sql, ": ", PQresultErrorMessage(result)));
    }
    PQclear(result);
  }
  PQfinish(conn);
  return status;
}

std::string PostgresServer::Log() const {
  return absl::StrCat("--- initdb.log\n", ReadFile(root_ + "/initdb.log"), "--- server.log\n",
                      ReadFile(root_ + "/server.log"));
}

}  // namespace weft::broker::store
