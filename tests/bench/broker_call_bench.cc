// Heap allocations and CPU time per call on the broker's hot path (issue 3: "the per-call heap
// allocations on the server's hot path are counted in a microbenchmark and kept near zero").
//
//   bazel run --config=opt //tests/bench:broker_call_bench
//
// Every operator new in the process is counted; each benchmark reports `allocs_per_call` over
// its timed iterations (warm: pools and buffers already grown). Two levels:
//   - BM_ShardCall: BrokerShard::Call for demo.Calculator.Add, the reply serialized by a peer that
//     appends it to a reused buffer (the broker alone);
//   - BM_SessionCall: a whole Call frame through WireSession::OnData (decode, route, servant,
//     encode the Reply into the session's output and write it to an in-memory transport).
// Both run on a FakeEventLoop, so no syscalls are measured: this is CPU per call above the kernel.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "broker/broker.h"
#include "broker/peer.h"
#include "demo/calculator.pb.h"
#include "examples/demo/demo_services.h"
#include "gateways/wire/wire_session.h"
#include "protocols/wire/wire_encoder.h"
#include "reactor/testing/fake_event_loop.h"
#include "reactor/testing/in_memory_transport.h"

namespace {

std::atomic<uint64_t> allocations{0};

}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace weft {
namespace {

std::vector<broker::InProcessService> CalculatorOnly() {
  std::vector<broker::InProcessService> services;
  for (auto& [name, factory] : examples::DemoServiceFactories()) {
    if (name == "demo.Calculator") services.push_back({name, std::move(factory)});
  }
  return services;
}

class BufferPeer final : public broker::PeerCallbacks {
 public:
  void OnReply(uint64_t, const absl::Status& status, const broker::Payload& payload) override {
    if (!status.ok()) std::abort();
    out.clear();
    payload.AppendTo(out);
  }
  void OnCall(const broker::OutgoingCall&) override {}
  void OnCancel(uint64_t) override {}
  void OnRelease(absl::Span<const uint64_t>) override {}
  void OnPublish(absl::string_view, absl::string_view, absl::string_view) override {}

  std::string out;
};

void ReportAllocations(benchmark::State& state, uint64_t before) {
  state.counters["allocs_per_call"] = benchmark::Counter(
      static_cast<double>(allocations.load() - before), benchmark::Counter::kAvgIterations);
}

void BM_ShardCall(benchmark::State& state) {
  reactor::FakeEventLoop loop;
  auto broker = broker::Broker::Create({&loop}, broker::BrokerOptions{}, CalculatorOnly());
  if (!broker.ok()) std::abort();
  broker::BrokerShard& shard = (*broker)->shard(0);
  BufferPeer peer;
  peer.out.reserve(64);
  const broker::ConnectionRef connection = shard.Connect(peer, "bench");
  demo::AddRequest request;
  request.set_a(40);
  request.set_b(2);
  const std::string payload = request.SerializeAsString();
  const broker::IncomingCall call{1, "demo.Calculator", 0, "Add", payload, 0, {}, false};
  shard.Call(connection, call);  // Warm the servant-call pool.
  const uint64_t before = allocations.load();
  for (auto _ : state) {
    shard.Call(connection, call);
    benchmark::DoNotOptimize(peer.out.data());
  }
  ReportAllocations(state, before);
  shard.Disconnect(connection);
  loop.RunUntilIdle();
}
BENCHMARK(BM_ShardCall);

void BM_SessionCall(benchmark::State& state) {
  reactor::FakeEventLoop loop;
  auto broker = broker::Broker::Create({&loop}, broker::BrokerOptions{}, CalculatorOnly());
  if (!broker.ok()) std::abort();
  gateways::wire::WireSessionOptions options;
  auto session =
      std::make_unique<gateways::wire::WireSession>(loop, (*broker)->shard(0), options, nullptr);
  reactor::InMemoryTransport transport(loop);
  transport.SetCallbacks(*session);
  session->ConnectionMade(transport);
  std::string hello;
  protocols::wire::EncodeHello(protocols::wire::Hello{1, "bench", ""}, hello);
  transport.Deliver(hello);
  demo::AddRequest request;
  request.set_a(40);
  request.set_b(2);
  const std::string payload = request.SerializeAsString();
  std::string frame;
  protocols::wire::Call call;
  call.call_id = 1;
  call.service = "demo.Calculator";
  call.method = "Add";
  call.payload = payload;
  protocols::wire::EncodeCall(call, frame);
  transport.Deliver(frame);
  loop.RunUntilIdle();
  transport.TakeWritten();
  transport.Deliver(frame);  // Warm the output buffers.
  transport.ConsumeWritten(transport.written().size());
  const uint64_t before = allocations.load();
  for (auto _ : state) {
    // Straight into the session, as a TcpTransport would hand it its read buffer (the in-memory
    // transport's Deliver() copies each chunk, which a real transport does not).
    session->OnData(frame);
    benchmark::DoNotOptimize(transport.ConsumeWritten(transport.written().size()));
  }
  ReportAllocations(state, before);
  session.reset();
  loop.RunUntilIdle();
}
BENCHMARK(BM_SessionCall);

}  // namespace
}  // namespace weft

BENCHMARK_MAIN();
