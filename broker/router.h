// Route(): where one call goes, as a pure function of a RoutingTable snapshot.
//
// Part of //broker. Runs on whichever loop owns the calling connection, against the snapshot
// that loop holds; no locks and, on success, no allocation. Precedence, for a call to
// `service`.`method`:
//   1. a method-level route for (`service`, `method`);
//   2. a service-level route for `service`;
//   3. the registration of `service`.
// A route to a service goes to that service's registration (one hop: the target's own routes
// are not followed); a route to a topic goes to the topic's subscribers; a route to a queue goes
// to the queue, whether or not the called service is registered at the moment.
#ifndef WEFT_BROKER_ROUTER_H_
#define WEFT_BROKER_ROUTER_H_

#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "broker/descriptor_registry.h"
#include "broker/ids.h"
#include "broker/routing_table.h"
#include "google/protobuf/descriptor.h"

namespace weft::broker {

// A call routed to a topic: deliver it to every subscriber (an empty list is not an error).
struct TopicFanout {
  absl::string_view topic;
  absl::Span<const ConnectionRef> subscribers;
};

// A call routed to a durable queue: store it, answer the caller, deliver it later.
struct QueueTarget {
  absl::string_view queue;
};

// The resolved destination of one call. Views and descriptors stay valid while the RoutingTable
// it came from lives.
struct Destination {
  std::variant<InProcessServant, RemoteService, TopicFanout, QueueTarget> target;
  // The service and method that will handle the call, after any route. For a topic or queue route
  // they are those of the called service, and null when that service is not registered.
  const google::protobuf::ServiceDescriptor* service = nullptr;
  const google::protobuf::MethodDescriptor* method = nullptr;
};

// Resolves a call to `service`.`method` (full service name, bare method name). Errors:
// kNotFound "no service 'x'" (neither registered nor routed, or a route to a service that is
// not registered), kNotFound "service 'x' has no method 'y'"; kFailedPrecondition when a route
// sends a method to a same-named method with other request or response types.
absl::StatusOr<Destination> Route(const RoutingTable& table, absl::string_view service,
                                  absl::string_view method);

// Resolves a call to the registration of `service` alone, ignoring routes: how a durable queue
// delivers what it stored. Errors as Route()'s.
absl::StatusOr<Destination> RouteToRegistration(const RoutingTable& table,
                                                absl::string_view service,
                                                absl::string_view method);

// Parses a route pattern from config or the control plane: "pkg.Service" (every method) or
// "pkg.Service.Method"; "pkg.Service/Method" always means a method. A dotted pattern is a
// method when it does not name a known service but its prefix names a known service that has
// that method; otherwise it names a service (possibly one that registers later).
// kInvalidArgument for an empty pattern or a malformed "/" form.
absl::StatusOr<RoutePattern> ParseRoutePattern(absl::string_view pattern,
                                               const DescriptorRegistry& registry);

}  // namespace weft::broker

#endif  // WEFT_BROKER_ROUTER_H_
