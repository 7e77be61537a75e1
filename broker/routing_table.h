// RoutingTable: an immutable snapshot of where services and topics are, and of explicit routes.
//
// Part of //broker. Built by RoutingTable::Builder on the loop that owns registrations and
// shared with every loop as std::shared_ptr<const RoutingTable>; a change builds a new snapshot
// (Builder(const RoutingTable&) copies the old one). A snapshot is never mutated, so any thread
// may read it without locks. Lookups take absl::string_view and allocate nothing.
//
// Per service name the table holds its registration (descriptor + destination), an optional
// service-level route and method-level routes (`route put demo.Calculator.Add demo.CalcV2`).
// router.h turns these into a destination for one call.
#ifndef WEFT_BROKER_ROUTING_TABLE_H_
#define WEFT_BROKER_ROUTING_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "broker/ids.h"
#include "google/protobuf/descriptor.h"

namespace weft::broker {

// A servant in the shard's in-process servant set (the same set on every loop).
struct InProcessServant {
  uint32_t index = 0;

  friend bool operator==(const InProcessServant&, const InProcessServant&) = default;
};

// A service hosted by a connected client.
struct RemoteService {
  ConnectionRef connection;

  friend bool operator==(const RemoteService&, const RemoteService&) = default;
};

using ServiceDestination = std::variant<InProcessServant, RemoteService>;

// A registered service. `descriptor` is never null and outlives the table (it belongs to the
// DescriptorRegistry or the generated pool).
struct ServiceRoute {
  const google::protobuf::ServiceDescriptor* descriptor = nullptr;
  ServiceDestination destination;
};

// Where an explicit route sends calls: another service's registration, a topic's subscribers, or
// a durable queue (broker/durable_queues.h), which stores each call before answering it and
// delivers it later.
struct RouteTarget {
  enum class Kind { kService, kTopic, kQueue };
  Kind kind = Kind::kService;
  std::string name;

  friend bool operator==(const RouteTarget&, const RouteTarget&) = default;
};

// What an explicit route applies to: every method of `service`, or only `method` when set.
struct RoutePattern {
  std::string service;
  std::string method;
};

class RoutingTable {
 public:
  class Builder;

  // Everything the table knows under one service name.
  struct Entry {
    std::optional<ServiceRoute> registration;
    std::optional<RouteTarget> service_route;
    absl::flat_hash_map<std::string, RouteTarget> method_routes;

    // The method-level route for `method`, else the service-level route, else nullptr.
    const RouteTarget* RouteFor(absl::string_view method) const;
    // True when nothing is set (such entries are never stored).
    bool empty() const;
  };

  // The entry for `service`; nullptr when the name is neither registered nor routed.
  const Entry* Find(absl::string_view service) const;

  // The subscribers of `topic`, in subscription order; empty when none. Valid while the table
  // lives.
  absl::Span<const ConnectionRef> Subscribers(absl::string_view topic) const;

  // The registered services, by full name.
  std::vector<const google::protobuf::ServiceDescriptor*> RegisteredServices() const;

  std::size_t service_count() const;
  std::size_t route_count() const;
  std::size_t topic_count() const { return topics_.size(); }

 private:
  RoutingTable() = default;

  absl::flat_hash_map<std::string, Entry> entries_;
  absl::flat_hash_map<std::string, std::vector<ConnectionRef>> topics_;
};

// Accumulates changes for the next snapshot. Not thread-safe; any thread, one at a time.
class RoutingTable::Builder {
 public:
  Builder() = default;
  // Starts from a copy of `base`.
  explicit Builder(const RoutingTable& base) : table_(base) {}

  // Registers `service` at `destination`. kAlreadyExists when its name is registered already.
  absl::Status AddService(const google::protobuf::ServiceDescriptor& service,
                          ServiceDestination destination);
  // Unregisters a service; false when it was not registered. Its routes stay.
  bool RemoveService(absl::string_view full_name);

  // A connection went away: drops the services it hosted and its subscriptions.
  void RemoveConnection(ConnectionRef connection);

  // Adds or replaces the route for `pattern`. kInvalidArgument when the pattern's service or
  // the target's name is empty.
  absl::Status PutRoute(const RoutePattern& pattern, RouteTarget target);
  // False when there was no such route.
  bool DeleteRoute(const RoutePattern& pattern);

  // Adds `subscriber` to `topic` (once: subscribing twice is a no-op).
  void Subscribe(absl::string_view topic, ConnectionRef subscriber);
  // False when it was not subscribed.
  bool Unsubscribe(absl::string_view topic, ConnectionRef subscriber);

  // A snapshot of the current state; the builder stays usable.
  std::shared_ptr<const RoutingTable> Build() const;

 private:
  void EraseIfEmpty(absl::string_view service);

  RoutingTable table_;
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_ROUTING_TABLE_H_
