// BrokerCore's explicit routes and the entry of calls into durable queues.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/broker.h"
#include "broker/broker_core.h"
#include "broker/router.h"

namespace weft::broker {
namespace {

std::string PatternKey(const RoutePattern& pattern) {
  return pattern.method.empty() ? pattern.service
                                : absl::StrCat(pattern.service, "/", pattern.method);
}

}  // namespace

absl::Status Broker::PutRoute(RouteSpec spec, absl::AnyInvocable<void()> applied) {
  return core_->PutRoute(std::move(spec), std::move(applied));
}

bool Broker::DeleteRoute(absl::string_view pattern, absl::AnyInvocable<void()> applied) {
  return core_->DeleteRoute(pattern, std::move(applied));
}

std::vector<RouteSpec> Broker::routes() const { return core_->routes(); }

absl::Status BrokerCore::PutRoute(RouteSpec spec, absl::AnyInvocable<void()> applied) {
  absl::StatusOr<RoutePattern> pattern = ParseRoutePattern(spec.pattern, descriptors_);
  if (!pattern.ok()) return pattern.status();
  const std::string key = PatternKey(*pattern);
  auto old = routes_.find(key);
  const bool durable = spec.kind == RouteTarget::Kind::kQueue;
  DurableQueues* queues = broker_.durable_queues();
  if (durable) {
    if (queues == nullptr) {
      return absl::FailedPreconditionError("route: durable routes need a store");
    }
    if (spec.queue.empty()) spec.queue = spec.pattern;
    for (const auto& [other_key, other] : routes_) {
      if (other_key != key && other.kind == RouteTarget::Kind::kQueue &&
          other.queue == spec.queue) {
        return absl::FailedPreconditionError(absl::StrCat(
            "route: queue '", spec.queue, "' already belongs to route '", other.pattern, "'"));
      }
    }
    absl::Status configured =
        queues->Configure(QueueSpec{spec.queue, spec.destination, spec.durable});
    if (!configured.ok()) return configured;
  } else if (spec.destination.empty()) {
    return absl::InvalidArgumentError("route: empty destination");
  }
  absl::Status put =
      builder_.PutRoute(*pattern, RouteTarget{spec.kind, durable ? spec.queue : spec.destination});
  if (!put.ok()) return put;
  if (old != routes_.end() && old->second.kind == RouteTarget::Kind::kQueue &&
      (!durable || old->second.queue != spec.queue)) {
    queues->Remove(old->second.queue);
  }
  if (broker_.events().watched()) {
    const char* kind = spec.kind == RouteTarget::Kind::kQueue   ? "queue "
                       : spec.kind == RouteTarget::Kind::kTopic ? "topic "
                                                                : "service ";
    broker_.events().Emit(EventKind::kRouteChanged, spec.pattern,
                          absl::StrCat("put: ", kind, durable ? spec.queue : spec.destination,
                                       durable && !spec.destination.empty()
                                           ? absl::StrCat(" -> service ", spec.destination)
                                           : ""));
  }
  routes_[key] = std::move(spec);
  PublishTable(std::move(applied));
  return absl::OkStatus();
}

bool BrokerCore::DeleteRoute(absl::string_view pattern, absl::AnyInvocable<void()> applied) {
  absl::StatusOr<RoutePattern> parsed = ParseRoutePattern(pattern, descriptors_);
  if (!parsed.ok()) return false;
  auto it = routes_.find(PatternKey(*parsed));
  if (it == routes_.end() || !builder_.DeleteRoute(*parsed)) return false;
  if (it->second.kind == RouteTarget::Kind::kQueue)
    broker_.durable_queues()->Remove(it->second.queue);
  if (broker_.events().watched()) {
    broker_.events().Emit(EventKind::kRouteChanged, it->second.pattern, "deleted");
  }
  routes_.erase(it);
  PublishTable(std::move(applied));
  return true;
}

std::vector<RouteSpec> BrokerCore::routes() const {
  std::vector<RouteSpec> list;
  list.reserve(routes_.size());
  for (const auto& [key, spec] : routes_) list.push_back(spec);
  std::sort(list.begin(), list.end(),
            [](const RouteSpec& a, const RouteSpec& b) { return a.pattern < b.pattern; });
  return list;
}

void BrokerCore::AcceptDurable(ConnectionRef from, const IncomingCall& call, const Target& target) {
  auto answer = [this, from, call_id = call.call_id, one_way = call.one_way](absl::Status status) {
    if (!one_way) ReplyTo(from, call_id, status, Payload());
  };
  // The called method's types, when known: while the target is offline its descriptors may
  // still be in the pool from an earlier registration.
  const google::protobuf::MethodDescriptor* method =
      target.method != nullptr ? target.method : descriptors_.FindMethod(call.service, call.method);
  if (method != nullptr) {
    if (CarriesRefs(method->input_type())) {
      answer(
          absl::FailedPreconditionError(absl::StrCat("durable route: '", method->full_name(),
                                                     "' can carry object references, which do not "
                                                     "survive a restart")));
      return;
    }
    std::unique_ptr<google::protobuf::Message> request(
        descriptors_.Prototype(method->input_type())->New());
    if (!request->ParseFromArray(call.payload.data(), static_cast<int>(call.payload.size()))) {
      answer(absl::InvalidArgumentError(
          absl::StrCat("payload is not a valid ", method->input_type()->full_name())));
      return;
    }
  }
  broker_.durable_queues()->Accept(target.queue_name, call.service, call.method, method,
                                   call.payload, call.metadata, std::move(answer));
}

}  // namespace weft::broker
