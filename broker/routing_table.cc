#include "broker/routing_table.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace weft::broker {

const RouteTarget* RoutingTable::Entry::RouteFor(absl::string_view method) const {
  if (!method_routes.empty()) {
    auto it = method_routes.find(method);
    if (it != method_routes.end()) return &it->second;
  }
  return service_route.has_value() ? &*service_route : nullptr;
}

bool RoutingTable::Entry::empty() const {
  return !registration.has_value() && !service_route.has_value() && method_routes.empty();
}

const RoutingTable::Entry* RoutingTable::Find(absl::string_view service) const {
  auto it = entries_.find(service);
  return it == entries_.end() ? nullptr : &it->second;
}

absl::Span<const ConnectionRef> RoutingTable::Subscribers(absl::string_view topic) const {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return {};
  return it->second;
}

std::vector<const google::protobuf::ServiceDescriptor*> RoutingTable::RegisteredServices() const {
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const auto& [name, entry] : entries_) {
    if (entry.registration.has_value()) services.push_back(entry.registration->descriptor);
  }
  std::sort(services.begin(), services.end(),
            [](const auto* a, const auto* b) { return a->full_name() < b->full_name(); });
  return services;
}

std::size_t RoutingTable::service_count() const {
  return std::count_if(entries_.begin(), entries_.end(),
                       [](const auto& entry) { return entry.second.registration.has_value(); });
}

std::size_t RoutingTable::route_count() const {
  std::size_t count = 0;
  for (const auto& [name, entry] : entries_) {
    count += entry.method_routes.size() + (entry.service_route.has_value() ? 1 : 0);
  }
  return count;
}

absl::Status RoutingTable::Builder::AddService(const google::protobuf::ServiceDescriptor& service,
                                               ServiceDestination destination) {
  Entry& entry = table_.entries_[service.full_name()];
  if (entry.registration.has_value()) {
    return absl::AlreadyExistsError(
        absl::StrCat("service '", service.full_name(), "' is already registered"));
  }
  entry.registration = ServiceRoute{&service, destination};
  return absl::OkStatus();
}

bool RoutingTable::Builder::RemoveService(absl::string_view full_name) {
  auto it = table_.entries_.find(full_name);
  if (it == table_.entries_.end() || !it->second.registration.has_value()) return false;
  it->second.registration.reset();
  EraseIfEmpty(full_name);
  return true;
}

void RoutingTable::Builder::RemoveConnection(ConnectionRef connection) {
  const ServiceDestination hosted = RemoteService{connection};
  absl::erase_if(table_.entries_, [&](auto& named) {
    Entry& entry = named.second;
    if (entry.registration.has_value() && entry.registration->destination == hosted) {
      entry.registration.reset();
    }
    return entry.empty();
  });
  absl::erase_if(table_.topics_, [&](auto& topic) {
    std::erase(topic.second, connection);
    return topic.second.empty();
  });
}

absl::Status RoutingTable::Builder::PutRoute(const RoutePattern& pattern, RouteTarget target) {
  if (pattern.service.empty() || target.name.empty()) {
    return absl::InvalidArgumentError("route: empty service or target name");
  }
  Entry& entry = table_.entries_[pattern.service];
  if (pattern.method.empty()) {
    entry.service_route = std::move(target);
  } else {
    entry.method_routes.insert_or_assign(pattern.method, std::move(target));
  }
  return absl::OkStatus();
}

bool RoutingTable::Builder::DeleteRoute(const RoutePattern& pattern) {
  auto it = table_.entries_.find(pattern.service);
  if (it == table_.entries_.end()) return false;
  Entry& entry = it->second;
  bool deleted = false;
  if (pattern.method.empty()) {
    deleted = entry.service_route.has_value();
    entry.service_route.reset();
  } else {
    deleted = entry.method_routes.erase(pattern.method) > 0;
  }
  EraseIfEmpty(pattern.service);
  return deleted;
}

void RoutingTable::Builder::Subscribe(absl::string_view topic, ConnectionRef subscriber) {
  std::vector<ConnectionRef>& subscribers = table_.topics_[std::string(topic)];
  if (std::find(subscribers.begin(), subscribers.end(), subscriber) == subscribers.end()) {
    subscribers.push_back(subscriber);
  }
}

bool RoutingTable::Builder::Unsubscribe(absl::string_view topic, ConnectionRef subscriber) {
  auto it = table_.topics_.find(topic);
  if (it == table_.topics_.end() || std::erase(it->second, subscriber) == 0) return false;
  if (it->second.empty()) table_.topics_.erase(it);
  return true;
}

std::shared_ptr<const RoutingTable> RoutingTable::Builder::Build() const {
  return std::shared_ptr<const RoutingTable>(new RoutingTable(table_));
}

void RoutingTable::Builder::EraseIfEmpty(absl::string_view service) {
  auto it = table_.entries_.find(service);
  if (it == table_.entries_.end()) return;
  if (it->second.empty()) table_.entries_.erase(it);
}

}  // namespace weft::broker
