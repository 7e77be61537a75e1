#include "broker/router.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace weft::broker {
namespace {

using ::google::protobuf::MethodDescriptor;
using ::google::protobuf::ServiceDescriptor;

// ServiceDescriptor::FindMethodByName wants a std::string; a scan of a service's few methods
// needs no allocation.
const MethodDescriptor* FindMethod(const ServiceDescriptor& service, absl::string_view name) {
  for (int i = 0; i < service.method_count(); ++i) {
    if (service.method(i)->name() == name) return service.method(i);
  }
  return nullptr;
}

absl::Status NoService(absl::string_view service) {
  return absl::NotFoundError(absl::StrCat("no service '", service, "'"));
}

absl::Status NoMethod(absl::string_view service, absl::string_view method) {
  return absl::NotFoundError(absl::StrCat("service '", service, "' has no method '", method, "'"));
}

absl::StatusOr<Destination> ToRegistration(const ServiceRoute& registration,
                                           absl::string_view method) {
  Destination destination;
  destination.service = registration.descriptor;
  destination.method = FindMethod(*registration.descriptor, method);
  if (destination.method == nullptr) {
    return NoMethod(registration.descriptor->full_name(), method);
  }
  std::visit([&](const auto& where) { destination.target = where; }, registration.destination);
  return destination;
}

// Follows a route to another service. `original` is the called method when its service is
// registered and has it (then both ends must agree on types), else null.
absl::StatusOr<Destination> ToRoutedService(const RoutingTable& table, const RouteTarget& route,
                                            const MethodDescriptor* original,
                                            absl::string_view method) {
  const RoutingTable::Entry* target = table.Find(route.name);
  if (target == nullptr || !target->registration.has_value()) return NoService(route.name);
  absl::StatusOr<Destination> destination = ToRegistration(*target->registration, method);
  if (!destination.ok() || original == nullptr) return destination;
  if (destination->method->input_type() != original->input_type() ||
      destination->method->output_type() != original->output_type()) {
    return absl::FailedPreconditionError(absl::StrCat("route from '", original->full_name(),
                                                      "' to '", route.name,
                                                      "': request or response types differ"));
  }
  return destination;
}

}  // namespace

absl::StatusOr<Destination> Route(const RoutingTable& table, absl::string_view service,
                                  absl::string_view method) {
  const RoutingTable::Entry* entry = table.Find(service);
  if (entry == nullptr) return NoService(service);
  const RouteTarget* route = entry->RouteFor(method);
  if (route == nullptr) {
    if (!entry->registration.has_value()) return NoService(service);
    return ToRegistration(*entry->registration, method);
  }
  const ServiceDescriptor* called =
      entry->registration.has_value() ? entry->registration->descriptor : nullptr;
  const MethodDescriptor* original = called == nullptr ? nullptr : FindMethod(*called, method);
  if (route->kind == RouteTarget::Kind::kService) {
    return ToRoutedService(table, *route, original, method);
  }
  if (called != nullptr && original == nullptr) return NoMethod(service, method);
  Destination destination;
  if (route->kind == RouteTarget::Kind::kQueue) {
    destination.target = QueueTarget{route->name};
  } else {
    destination.target = TopicFanout{route->name, table.Subscribers(route->name)};
  }
  destination.service = called;
  destination.method = original;
  return destination;
}

absl::StatusOr<Destination> RouteToRegistration(const RoutingTable& table,
                                                absl::string_view service,
                                                absl::string_view method) {
  const RoutingTable::Entry* entry = table.Find(service);
  if (entry == nullptr || !entry->registration.has_value()) return NoService(service);
  return ToRegistration(*entry->registration, method);
}

absl::StatusOr<RoutePattern> ParseRoutePattern(absl::string_view pattern,
                                               const DescriptorRegistry& registry) {
  if (pattern.empty()) return absl::InvalidArgumentError("route: empty pattern");
  if (const std::size_t slash = pattern.find('/'); slash != absl::string_view::npos) {
    const absl::string_view service = pattern.substr(0, slash);
    const absl::string_view method = pattern.substr(slash + 1);
    if (service.empty() || method.empty() || method.find('/') != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "route: bad pattern '", pattern, "'; expected 'pkg.Service' or 'pkg.Service/Method'"));
    }
    return RoutePattern{std::string(service), std::string(method)};
  }
  if (registry.FindService(pattern) != nullptr) return RoutePattern{std::string(pattern), ""};
  const std::size_t dot = pattern.rfind('.');
  if (dot != absl::string_view::npos &&
      registry.FindMethod(pattern.substr(0, dot), pattern.substr(dot + 1)) != nullptr) {
    return RoutePattern{std::string(pattern.substr(0, dot)), std::string(pattern.substr(dot + 1))};
  }
  return RoutePattern{std::string(pattern), ""};
}

}  // namespace weft::broker
