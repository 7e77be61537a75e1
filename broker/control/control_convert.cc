#include "broker/control/control_convert.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "broker/config.h"
#include "broker/control/config_reload.h"
#include "broker/route_config.h"

namespace weft::broker::control {
namespace {

namespace v1 = ::weft::control::v1;
using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::FileDescriptor;

int64_t UnixMillis(absl::Time time) { return absl::ToUnixMillis(time); }

v1::FieldSchema FieldToProto(const FieldDescriptor& field) {
  v1::FieldSchema out;
  out.set_name(field.name());
  out.set_number(field.number());
  out.set_type(field.type_name());
  if (field.message_type() != nullptr) out.set_type_name(field.message_type()->full_name());
  if (field.enum_type() != nullptr) out.set_type_name(field.enum_type()->full_name());
  out.set_repeated(field.is_repeated());
  out.set_map(field.is_map());
  if (field.real_containing_oneof() != nullptr) {
    out.set_oneof(field.real_containing_oneof()->name());
  }
  return out;
}

// Appends `type` and the message types its fields use, each once, depth first.
void AddMessage(const Descriptor& type, absl::flat_hash_set<std::string>& seen,
                v1::DescribeServiceResponse& out) {
  if (!seen.insert(type.full_name()).second) return;
  v1::MessageSchema& schema = *out.add_messages();
  schema.set_name(type.full_name());
  for (int i = 0; i < type.field_count(); ++i) {
    *schema.add_fields() = FieldToProto(*type.field(i));
  }
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->message_type() != nullptr) {
      AddMessage(*type.field(i)->message_type(), seen, out);
    }
  }
}

// Appends `file` after everything it imports, each file once.
void AddFile(const FileDescriptor& file, absl::flat_hash_set<std::string>& seen,
             google::protobuf::FileDescriptorSet& set) {
  if (!seen.insert(file.name()).second) return;
  for (int i = 0; i < file.dependency_count(); ++i) AddFile(*file.dependency(i), seen, set);
  file.CopyTo(set.add_file());
}

}  // namespace

config::v1::Route RouteToConfig(const RouteSpec& spec) {
  config::v1::Route route;
  route.set_target(spec.pattern);
  switch (spec.kind) {
    case RouteTarget::Kind::kService:
      route.set_service(spec.destination);
      return route;
    case RouteTarget::Kind::kTopic:
      route.set_topic(spec.destination);
      return route;
    case RouteTarget::Kind::kQueue:
      break;
  }
  if (!spec.destination.empty()) route.set_service(spec.destination);
  config::v1::DurableDelivery& durable = *route.mutable_durable();
  const DurablePolicy& policy = spec.durable;
  durable.set_queue(spec.queue.empty() ? spec.pattern : spec.queue);
  durable.set_max_attempts(policy.max_attempts);
  durable.set_initial_backoff_ms(absl::ToInt64Milliseconds(policy.initial_backoff));
  durable.set_max_backoff_ms(absl::ToInt64Milliseconds(policy.max_backoff));
  durable.set_attempt_timeout_ms(absl::ToInt64Milliseconds(policy.attempt_timeout));
  durable.set_idempotency_metadata(policy.idempotency_metadata);
  durable.set_idempotency_field(policy.idempotency_field);
  durable.set_unordered(!policy.ordered);
  durable.set_max_in_flight(policy.max_in_flight);
  return route;
}

absl::StatusOr<std::pair<config::v1::Route, RouteSpec>> RouteFromRequest(
    const config::v1::Route& route) {
  config::v1::BrokerConfig config;
  *config.add_routes() = route;
  if (absl::Status valid = ValidateConfig(config); !valid.ok()) {
    absl::string_view message = valid.message();
    absl::ConsumePrefix(&message, "config: ");
    absl::ConsumePrefix(&message, "routes[0].");
    return absl::InvalidArgumentError(absl::StrCat("route: ", message));
  }
  if (!IsTableRoute(route)) {
    return absl::InvalidArgumentError(
        "route: only routes to a service, a topic or a durable queue can be put at run time; "
        "set this one in the config file");
  }
  config = ApplyDefaults(std::move(config));
  RouteSpec spec = RouteSpecFromConfig(config.routes(0));
  return std::make_pair(config.routes(0), std::move(spec));
}

v1::QueueInfo QueueToProto(const QueueStatus& queue, absl::Time now) {
  v1::QueueInfo out;
  out.set_name(queue.name);
  out.set_configured(queue.configured);
  out.set_live(queue.live);
  out.set_dead(queue.dead);
  if (queue.oldest_live.has_value() && *queue.oldest_live < now) {
    out.set_oldest_live_age_ms(absl::ToInt64Milliseconds(now - *queue.oldest_live));
  }
  out.set_in_flight(queue.in_flight);
  out.set_delivered(queue.delivered);
  out.set_retries(queue.retries);
  out.set_dead_lettered(queue.dead_lettered);
  return out;
}

v1::StoredMessage MessageToProto(const store::StoredMessage& message) {
  v1::StoredMessage out;
  out.set_id(message.id);
  out.set_queue(message.queue);
  out.set_service(message.service);
  out.set_method(message.method);
  out.set_payload(message.payload);
  for (const auto& [key, value] : message.metadata) (*out.mutable_metadata())[key] = value;
  out.set_idempotency_key(message.idempotency_key);
  out.set_enqueued_at_unix_ms(UnixMillis(message.enqueued_at));
  out.set_attempts(message.attempts);
  out.set_last_error(message.last_error);
  out.set_dead(message.dead);
  if (!message.dead) out.set_next_attempt_at_unix_ms(UnixMillis(message.next_attempt_at));
  return out;
}

v1::ServiceSummary SummarizeService(const google::protobuf::ServiceDescriptor& service) {
  v1::ServiceSummary out;
  out.set_name(service.full_name());
  out.set_file(service.file()->name());
  for (int i = 0; i < service.method_count(); ++i) out.add_methods(service.method(i)->name());
  return out;
}

v1::DescribeServiceResponse DescribeService(const google::protobuf::ServiceDescriptor& service) {
  v1::DescribeServiceResponse out;
  out.set_name(service.full_name());
  absl::flat_hash_set<std::string> seen_messages;
  for (int i = 0; i < service.method_count(); ++i) {
    const google::protobuf::MethodDescriptor& method = *service.method(i);
    v1::MethodSchema& schema = *out.add_methods();
    schema.set_name(method.name());
    schema.set_request_type(method.input_type()->full_name());
    schema.set_response_type(method.output_type()->full_name());
    schema.set_client_streaming(method.client_streaming());
    schema.set_server_streaming(method.server_streaming());
  }
  for (int i = 0; i < service.method_count(); ++i) {
    AddMessage(*service.method(i)->input_type(), seen_messages, out);
    AddMessage(*service.method(i)->output_type(), seen_messages, out);
  }
  absl::flat_hash_set<std::string> seen_files;
  AddFile(*service.file(), seen_files, *out.mutable_descriptor_set());
  return out;
}

v1::ListObjectsResponse ObjectsToProto(const std::vector<ObjectSummary>& objects) {
  v1::ListObjectsResponse out;
  for (const ObjectSummary& object : objects) {
    v1::ObjectInfo& info = *out.add_objects();
    info.set_object_id(object.id);
    info.set_interface(object.interface->full_name());
    info.set_host_connection_id(object.host.has_value() ? object.host->value : 0);
    for (const auto& [holder, count] : object.holders) {
      v1::ObjectHolder& h = *info.add_holders();
      h.set_connection_id(holder.value);
      h.set_references(static_cast<int64_t>(count));
    }
  }
  return out;
}

v1::ListConnectionsResponse ConnectionsToProto(std::vector<ConnectionSummary> connections,
                                               absl::string_view gateway, absl::Time now) {
  std::sort(connections.begin(), connections.end(),
            [](const ConnectionSummary& a, const ConnectionSummary& b) {
              return ConnectionId(a.ref) < ConnectionId(b.ref);
            });
  v1::ListConnectionsResponse out;
  for (ConnectionSummary& c : connections) {
    if (!gateway.empty() && c.gateway != gateway) continue;
    v1::ConnectionInfo& info = *out.add_connections();
    info.set_id(ConnectionId(c.ref));
    info.set_gateway(std::move(c.gateway));
    info.set_peer(std::move(c.peer_address));
    info.set_user(std::move(c.client_name));
    info.set_age_ms(std::max<int64_t>(0, absl::ToInt64Milliseconds(now - c.connected_at)));
    info.set_closable(c.closable);
    if (c.counted) {
      info.set_bytes_in(c.bytes.in);
      info.set_bytes_out(c.bytes.out);
    }
  }
  return out;
}

}  // namespace weft::broker::control
