#include "broker/control/config_reload.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"

namespace weft::broker::control {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::util::MessageDifferencer;

bool IsTableRoute(const config::v1::Route& route) {
  return route.destination_case() == config::v1::Route::kService ||
         route.destination_case() == config::v1::Route::kTopic ||
         route.destination_case() == config::v1::Route::DESTINATION_NOT_SET;
}

ReloadPlan PlanReload(const config::v1::BrokerConfig& running,
                      const config::v1::BrokerConfig& next) {
  ReloadPlan plan;
  absl::flat_hash_map<std::string, const config::v1::Route*> old_routes;
  for (const config::v1::Route& route : running.routes()) old_routes[route.target()] = &route;
  absl::flat_hash_map<std::string, const config::v1::Route*> new_routes;
  for (const config::v1::Route& route : next.routes()) new_routes[route.target()] = &route;
  for (const config::v1::Route& route : running.routes()) {
    if (new_routes.contains(route.target())) continue;
    if (IsTableRoute(route)) {
      plan.deletes.push_back(route.target());
    } else {
      plan.restart_needed.push_back(absl::StrCat("routes: '", route.target(), "'"));
    }
  }
  for (const config::v1::Route& route : next.routes()) {
    auto it = old_routes.find(route.target());
    if (it != old_routes.end() && MessageDifferencer::Equals(*it->second, route)) continue;
    if (IsTableRoute(route) && (it == old_routes.end() || IsTableRoute(*it->second))) {
      plan.puts.push_back(route);
    } else {
      plan.restart_needed.push_back(absl::StrCat("routes: '", route.target(), "'"));
    }
  }

  const google::protobuf::Descriptor& type = *config::v1::BrokerConfig::descriptor();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    if (field->number() == config::v1::BrokerConfig::kRoutesFieldNumber ||
        field->number() == config::v1::BrokerConfig::kLoopsFieldNumber) {
      continue;
    }
    MessageDifferencer differencer;
    std::vector<const FieldDescriptor*> only = {field};
    if (!differencer.CompareWithFields(running, next, only, only)) {
      plan.restart_needed.push_back(field->name());
    }
  }
  return plan;
}

}  // namespace weft::broker::control
