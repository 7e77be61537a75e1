// Broker: the facade gateways talk to. It routes calls among in-process servants, services and
// objects that connected peers host, and topics; it tracks object references and lifetimes.
//
// Part of //broker. A Broker spans a set of event loops and has one BrokerShard per loop; a
// connection belongs to the shard of the loop that accepted it, and its session calls only that
// shard. Shared state (descriptor pool, object registry, routing-table builder, calls waiting on
// a peer) belongs to the home shard (loop 0); the others reach it through EventLoop::Post(). The
// hot path stays on the caller's loop with no lock and no allocation: a call to an in-process
// servant whose request and response cannot carry object references is parsed into a pooled
// request, run on that loop's own servant instance, and its response serialized straight into
// the caller's output. Everything else (objects, registration, calls to peers) goes through the
// home shard. Each loop reads an immutable RoutingTable snapshot; the home shard publishes a new
// one on every change.
//
// Lifetimes: create the Broker before its loops run and destroy it after they stopped and every
// session was closed (BrokerShard::Disconnect).
#ifndef WEFT_BROKER_BROKER_H_
#define WEFT_BROKER_BROKER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "broker/broker_shard.h"
#include "broker/durable_queues.h"
#include "broker/events.h"
#include "broker/object_registry.h"
#include "broker/routing_table.h"
#include "broker/store/store_executor.h"
#include "google/protobuf/service.h"
#include "reactor/event_loop.h"

namespace weft::broker {

class BrokerCore;

// An in-process service: its full name ("demo.Calculator") and a factory. Each loop gets its own
// instance, so a servant that keeps state across calls must share it deliberately.
struct InProcessService {
  std::string name;
  absl::AnyInvocable<std::unique_ptr<google::protobuf::Service>()> factory;
};

struct BrokerOptions {
  // This broker's name in object references (ObjectRef.node). Must not be empty.
  std::string node = "weft";
  // Calls waiting on one peer (a registered service's or an object host's connection) before
  // further calls to it fail with kResourceExhausted.
  uint32_t max_queue_depth = 1024;
  // Deadline for calls whose caller set none; InfiniteDuration() for none.
  absl::Duration default_timeout = absl::InfiniteDuration();
  // Where durable routes keep their messages; it outlives the broker. Null: no durable routes.
  store::StoreExecutor* store = nullptr;
  // How long a durable queue remembers an idempotency key.
  absl::Duration idempotency_retention = absl::Hours(24 * 7);
};

// An explicit route (router.h): calls matching `pattern` ("pkg.Service", "pkg.Service.Method",
// "pkg.Service/Method") go to another service, a topic, or a durable queue.
struct RouteSpec {
  std::string pattern;
  RouteTarget::Kind kind = RouteTarget::Kind::kService;
  // The service or topic; for kQueue, the service the queue delivers to ("" means the called
  // service).
  std::string destination;
  // kQueue only. Its name defaults to `pattern`.
  std::string queue;
  DurablePolicy durable;
};

// Counters for tests and the control plane. Home loop only.
struct BrokerStats {
  std::size_t objects = 0;
  std::size_t services = 0;
  std::size_t pending_calls = 0;
  std::size_t connections = 0;
};

class Broker {
 public:
  // `loops` (not empty, loops[0] is home) outlive the broker. Instantiates every service once
  // per loop. kInvalidArgument for an empty node, a service name twice, or a factory whose
  // servant's descriptor has another name; kNotFound when a service is not compiled in.
  static absl::StatusOr<std::unique_ptr<Broker>> Create(std::vector<reactor::EventLoop*> loops,
                                                        BrokerOptions options,
                                                        std::vector<InProcessService> services);
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;
  ~Broker();

  std::size_t shard_count() const { return shards_.size(); }
  // The shard of loops[index]. Its methods run on that loop only.
  BrokerShard& shard(std::size_t index) { return *shards_[index]; }

  // Home loop only.
  BrokerStats stats() const;
  // Every object the broker tracks, by id, with its host and holders. Their HolderIds are
  // connection ids (as ConnectionId() gives them, and ListConnections shows them), 0 for an
  // in-process holder. Home loop only.
  std::vector<ObjectSummary> objects() const;
  const BrokerOptions& options() const { return options_; }

  // Routes. Home loop only. A change applies to calls routed after `applied` runs (once every
  // loop has the new table); calls already routed finish where they went. PutRoute replaces the
  // route of the same pattern. Errors: kInvalidArgument (bad pattern or durable policy),
  // kFailedPrecondition (a durable route without a store, or a queue another pattern uses).
  absl::Status PutRoute(RouteSpec spec, absl::AnyInvocable<void()> applied = nullptr);
  // False when no route has this pattern.
  bool DeleteRoute(absl::string_view pattern, absl::AnyInvocable<void()> applied = nullptr);
  // Every route, by pattern.
  std::vector<RouteSpec> routes() const;

  // The durable queues; null when the broker has no store. Home loop only.
  DurableQueues* durable_queues() { return durable_.get(); }

  // The event feed (events.h): subscribe on the home loop; watched() from any thread.
  EventHub& events() { return events_; }

 private:
  friend class BrokerShard;
  friend class BrokerCore;

  Broker(BrokerOptions options, std::vector<reactor::EventLoop*> loops);

  BrokerCore& core() { return *core_; }
  // When a call received now on `loop` times out: after `timeout_micros` when positive, else
  // after options().default_timeout; InfiniteFuture() when neither bounds it.
  absl::Time DeadlineFor(const reactor::EventLoop& loop, int64_t timeout_micros) const;
  reactor::EventLoop& home_loop() { return *loops_[0]; }

  BrokerOptions options_;
  std::vector<reactor::EventLoop*> loops_;
  // Declared before the shards, the core and the durable queues, which emit into it until they
  // are destroyed.
  EventHub events_;
  ServantCatalog catalog_;
  std::vector<std::unique_ptr<BrokerShard>> shards_;
  std::unique_ptr<BrokerCore> core_;
  // Destroyed before the core: it is a connection of the home shard.
  std::unique_ptr<DurableQueues> durable_;
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_BROKER_H_
