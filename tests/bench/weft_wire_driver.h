// The Weft driver of rpc_loadgen: demo.Calculator Add calls over Weft's native wire protocol
// (docs/wire.md), against the real broker, weftd.
//
// Part of //tests/bench. Written from the protocol document with protoc's generated
// weft.v1.Frame rather than Weft's own codec (//protocols/wire), so the broker is measured by an
// independent peer, as any third-party client would be, and the load generator does not share a
// bug with the server it measures. Lean on purpose, so that it is not the bottleneck: one thread,
// raw non-blocking sockets over one level-triggered epoll, one recv() per readiness event, every
// frame in it handled, then one send() of everything they produced. Each connection sends Hello
// and waits for Welcome, proves itself with one call, then pipelines Call frames
// {call_id, service, method, payload = AddRequest} and pairs Reply frames by call_id. The Call
// message is kept between calls (only call_id and payload change), so steady-state encoding
// does not allocate. Pings are answered; a GoAway or an error Reply fails the run with its status.
#ifndef WEFT_TESTS_BENCH_WEFT_WIRE_DRIVER_H_
#define WEFT_TESTS_BENCH_WEFT_WIRE_DRIVER_H_

#include <memory>
#include <string>

#include "tests/bench/rpc_driver.h"

namespace weft::bench {

struct WeftWireOptions {
  std::string service = "demo.Calculator";
  // The service answers with an empty response ("accepted", as a durable route does) rather than
  // the sum; only an empty payload is then correct.
  bool accepted_only = false;
  std::string method = "Add";
  std::string client_name = "rpc_loadgen";
  std::string token;  // Sent in Hello when the broker wants a bearer token.
};

std::unique_ptr<RpcDriver> MakeWeftWireDriver(WeftWireOptions options);

}  // namespace weft::bench

#endif  // WEFT_TESTS_BENCH_WEFT_WIRE_DRIVER_H_
