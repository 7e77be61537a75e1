// Conversions between the broker's types and the control API's messages
// (idl/weft/control/v1/control.proto): routes, queues, stored messages, service schemas and
// connections.
//
// Part of //broker/control. Pure functions over values and descriptors; no loop, no I/O. The
// control service calls them on the home loop.
#ifndef WEFT_BROKER_CONTROL_CONTROL_CONVERT_H_
#define WEFT_BROKER_CONTROL_CONTROL_CONVERT_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/broker_shard.h"
#include "broker/durable_queues.h"
#include "broker/store/store.h"
#include "google/protobuf/descriptor.h"
#include "weft/config/v1/config.pb.h"
#include "weft/control/v1/control.pb.h"

namespace weft::broker::control {

// A route as the config writes it (so a listing pastes into a config file).
config::v1::Route RouteToConfig(const RouteSpec& spec);

// Validates `route` exactly as the config validates a `routes` entry, fills in the defaults of
// its durable policy, and returns it with its RouteSpec. kInvalidArgument "route: <field>:
// <problem>" otherwise, and for a route the routing table cannot hold (a webhook route is served
// by its gateway and set in the config file only).
absl::StatusOr<std::pair<config::v1::Route, RouteSpec>> RouteFromRequest(
    const config::v1::Route& route);

weft::control::v1::QueueInfo QueueToProto(const QueueStatus& queue, absl::Time now);
// The connections of `gateway` ("": all) by id, their ages as of `now`.
weft::control::v1::ListConnectionsResponse ConnectionsToProto(
    std::vector<ConnectionSummary> connections, absl::string_view gateway, absl::Time now);
weft::control::v1::StoredMessage MessageToProto(const store::StoredMessage& message);
// Broker::objects() for ListObjects.
weft::control::v1::ListObjectsResponse ObjectsToProto(const std::vector<ObjectSummary>& objects);

weft::control::v1::ServiceSummary SummarizeService(
    const google::protobuf::ServiceDescriptor& service);
// Methods, the message types they use (transitively), and the file descriptor set.
weft::control::v1::DescribeServiceResponse DescribeService(
    const google::protobuf::ServiceDescriptor& service);

}  // namespace weft::broker::control

#endif  // WEFT_BROKER_CONTROL_CONTROL_CONVERT_H_
