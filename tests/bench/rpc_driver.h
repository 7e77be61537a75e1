// RpcDriver: one RPC protocol as rpc_loadgen drives it.
//
// Part of //tests/bench (the unary-call benchmark of issue 3). rpc_loadgen owns the command line,
// the timing and the report (CallMeter); a driver owns connections and calls, and nothing else.
// Every driver calls the same method, demo.Calculator's Add (idl/demo/calculator.proto; gRPC
// serves it as demo.GrpcCalculator, Perspective Broker as remote_add), checks every sum, and
// runs a closed loop: a fixed number of calls in flight per connection, each completion
// immediately followed by the next call on the same connection. Drivers are used from one
// thread. To add a protocol, implement this interface and register it in
// rpc_loadgen.cc's MakeDriver().
#ifndef WEFT_TESTS_BENCH_RPC_DRIVER_H_
#define WEFT_TESTS_BENCH_RPC_DRIVER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "tests/bench/bench_util.h"
#include "tests/bench/rpc_meter.h"

namespace weft::bench {

class RpcDriver {
 public:
  RpcDriver(const RpcDriver&) = delete;
  RpcDriver& operator=(const RpcDriver&) = delete;
  virtual ~RpcDriver() = default;

  // Opens `conns` separate connections (separate TCP connections, never shared underneath) to
  // `target` and proves each with one Add call, so that connection set-up stays out of the run.
  // kUnavailable when a connection fails, kDeadlineExceeded when one is not ready in time,
  // kDataLoss for a wrong sum, or the status of the failed call.
  virtual absl::Status Connect(const Target& target, int conns) = 0;

  // Keeps `in_flight` Add calls outstanding on every connection until meter.Finished(), reporting
  // each completion to meter.Record(); then stops issuing, waits for the calls still out, and
  // returns. The first failed call (or wrong sum) ends the run with its status. The meter is
  // already started.
  virtual absl::Status Run(int in_flight, CallMeter& meter) = 0;

 protected:
  RpcDriver() = default;
};

// The operands of call number `seq` and what the server must answer; varied per call so that a
// reply to the wrong call cannot pass.
struct AddOperands {
  explicit AddOperands(uint64_t seq)
      : a(static_cast<int64_t>(seq * 7919)), b(static_cast<int64_t>(seq % 1000003)) {}
  int64_t sum() const { return a + b; }
  int64_t a;
  int64_t b;
};

}  // namespace weft::bench

#endif  // WEFT_TESTS_BENCH_RPC_DRIVER_H_
