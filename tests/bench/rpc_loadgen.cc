// rpc_loadgen: unary-call load generator for the RPC benchmark (issue 3); prints one line of
// key=value results.
//
//   rpc_loadgen --protocol=grpc --target=tcp:PORT:interface=127.0.0.1 --conns=1 --in_flight=64
//       [--warmup=1s] [--duration=5s] [--server_pid=PID] [--server_core=CPU]
//   rpc_loadgen --protocol=weft --target=PORT --conns=64 [--weft_service=demo.Calculator]
//       [--weft_accepted_only]
//
// Opens `conns` connections (each its own TCP connection), proves each with one call, then keeps
// `in_flight` Add calls outstanding on every connection: a closed loop, each completion followed
// at once by the next call. After the warm-up, a window of `duration` counts completed calls and
// their latency (issue to completion), and samples CPU time at its edges: the server's
// utime+stime (/proc/PID/stat, with --server_pid) and the busy time of its core (/proc/stat, with
// --server_core). Every sum is checked. Output:
//
//   protocol=grpc conns=1 in_flight=64 seconds=... calls=... calls_per_s=... p50_us=... p90_us=...
//   p99_us=... p999_us=... max_us=... client_cpu_pct=... server_cpu_ticks=... server_cpu_pct=...
//   core_busy_pct=... other_busy_pct=... server_cpu_us_per_call=... core_us_per_call=...
//
// Protocols (one RpcDriver each, rpc_driver.h): grpc (gRPC C++ async stub,
// demo.GrpcCalculator/Add) and weft (Weft's native wire protocol, Call frames to weftd's
// demo.Calculator/Add). Part of //tests/bench.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tests/bench/bench_util.h"
#include "tests/bench/grpc_driver.h"
#include "tests/bench/rpc_driver.h"
#include "tests/bench/rpc_meter.h"
#include "tests/bench/weft_wire_driver.h"

ABSL_FLAG(std::string, protocol, "grpc", "grpc or weft");
ABSL_FLAG(std::string, target, "", "server: PORT, HOST:PORT or tcp:PORT:interface=HOST");
ABSL_FLAG(int, conns, 1, "connections, each its own TCP connection");
ABSL_FLAG(int, in_flight, 1, "calls outstanding on each connection");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "traffic before the measured window");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "length of the measured window");
ABSL_FLAG(int, server_pid, 0, "server process whose CPU time is sampled; 0 for none");
ABSL_FLAG(int, server_core, -1, "CPU the server is pinned to, whose busy time is sampled");
ABSL_FLAG(std::string, weft_service, "demo.Calculator", "weft: service of Call frames");
ABSL_FLAG(std::string, weft_method, "Add", "weft: method of Call frames");
ABSL_FLAG(std::string, weft_token, "", "weft: bearer token sent in Hello");
ABSL_FLAG(bool, weft_accepted_only, false,
          "weft: replies are empty 'accepted' responses (a durable route), not sums");

namespace weft::bench {
namespace {

absl::StatusOr<std::unique_ptr<RpcDriver>> MakeDriver(const std::string& protocol) {
  if (protocol == "grpc") return MakeGrpcDriver();
  if (protocol == "weft") {
    WeftWireOptions options;
    options.service = absl::GetFlag(FLAGS_weft_service);
    options.method = absl::GetFlag(FLAGS_weft_method);
    options.token = absl::GetFlag(FLAGS_weft_token);
    options.accepted_only = absl::GetFlag(FLAGS_weft_accepted_only);
    return MakeWeftWireDriver(std::move(options));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("rpc_loadgen: unknown --protocol '", protocol, "' (grpc or weft)"));
}

absl::Status Main() {
  absl::StatusOr<Target> target = ParseTarget(absl::GetFlag(FLAGS_target));
  if (!target.ok()) return target.status();
  const int conns = absl::GetFlag(FLAGS_conns);
  const int in_flight = absl::GetFlag(FLAGS_in_flight);
  if (conns < 1 || in_flight < 1) {
    return absl::InvalidArgumentError("rpc_loadgen: --conns and --in_flight must be >= 1");
  }
  RaiseFdLimit(static_cast<std::size_t>(conns) * 2 + 64);
  const std::string protocol = absl::GetFlag(FLAGS_protocol);
  absl::StatusOr<std::unique_ptr<RpcDriver>> driver = MakeDriver(protocol);
  if (!driver.ok()) return driver.status();
  if (absl::Status s = (*driver)->Connect(*target, conns); !s.ok()) return s;

  CallMeter::Options options;
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.duration = absl::GetFlag(FLAGS_duration);
  options.server_pid = absl::GetFlag(FLAGS_server_pid);
  options.server_core = absl::GetFlag(FLAGS_server_core);
  CallMeter meter(options);
  meter.Start(MonotonicNanos());
  if (absl::Status s = (*driver)->Run(in_flight, meter); !s.ok()) return s;
  if (meter.calls() == 0) return absl::UnavailableError("rpc_loadgen: no call completed");
  std::printf("protocol=%s conns=%d in_flight=%d %s\n", protocol.c_str(), conns, in_flight,
              meter.Fields().c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace weft::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::Status s = weft::bench::Main(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
