// The gRPC driver of rpc_loadgen: demo.GrpcCalculator/Add (idl/demo/calculator_grpc.proto) over
// gRPC C++'s async API.
//
// Part of //tests/bench. One completion queue polled by the calling thread; one grpc::Channel per
// connection, each with its own subchannel (a local subchannel pool plus a distinct channel
// argument, so gRPC cannot fold the channels onto one TCP connection). Insecure (plaintext
// HTTP/2), as the benchmark server listens on loopback.
#ifndef WEFT_TESTS_BENCH_GRPC_DRIVER_H_
#define WEFT_TESTS_BENCH_GRPC_DRIVER_H_

#include <memory>

#include "tests/bench/rpc_driver.h"

namespace weft::bench {

std::unique_ptr<RpcDriver> MakeGrpcDriver();

}  // namespace weft::bench

#endif  // WEFT_TESTS_BENCH_GRPC_DRIVER_H_
