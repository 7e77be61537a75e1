#include "broker/broker.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "broker/broker_core.h"
#include "google/protobuf/descriptor.h"

namespace weft::broker {

void Payload::SerializeTo(char* out) const {
  if (message_ != nullptr) {
    message_->SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out));
  } else if (!bytes_.empty()) {
    std::memcpy(out, bytes_.data(), bytes_.size());
  }
}

void Payload::AppendTo(std::string& out) const {
  const std::size_t at = out.size();
  out.resize(at + size_);
  SerializeTo(out.data() + at);
}

Broker::Broker(BrokerOptions options, std::vector<reactor::EventLoop*> loops)
    : options_(std::move(options)), loops_(std::move(loops)), events_(*loops_[0]) {}

Broker::~Broker() = default;

absl::StatusOr<std::unique_ptr<Broker>> Broker::Create(std::vector<reactor::EventLoop*> loops,
                                                       BrokerOptions options,
                                                       std::vector<InProcessService> services) {
  if (loops.empty()) return absl::InvalidArgumentError("broker: no event loops");
  if (options.node.empty()) return absl::InvalidArgumentError("broker: node name is empty");
  absl::flat_hash_set<std::string> names;
  for (const InProcessService& service : services) {
    if (!names.insert(service.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("broker: service '", service.name, "' listed twice"));
    }
  }
  std::unique_ptr<Broker> broker(new Broker(std::move(options), std::move(loops)));
  broker->core_ = std::make_unique<BrokerCore>(*broker, broker->catalog_);
  for (std::size_t loop = 0; loop < broker->loops_.size(); ++loop) {
    std::vector<std::unique_ptr<google::protobuf::Service>> servants;
    for (InProcessService& service : services) {
      std::unique_ptr<google::protobuf::Service> servant = service.factory();
      if (servant == nullptr || servant->GetDescriptor()->full_name() != service.name) {
        return absl::InvalidArgumentError(
            absl::StrCat("broker: the factory of '", service.name, "' made ",
                         servant == nullptr ? "nothing" : servant->GetDescriptor()->full_name()));
      }
      if (loop == 0) {
        const google::protobuf::ServiceDescriptor* descriptor = servant->GetDescriptor();
        ServantCatalog::Service entry{descriptor, {}};
        for (int m = 0; m < descriptor->method_count(); ++m) {
          const google::protobuf::MethodDescriptor* method = descriptor->method(m);
          entry.carries_refs.push_back(broker->core_->CarriesRefs(method->input_type()) ||
                                       broker->core_->CarriesRefs(method->output_type()));
        }
        broker->catalog_.services.push_back(std::move(entry));
      }
      servants.push_back(std::move(servant));
    }
    broker->shards_.push_back(
        std::make_unique<BrokerShard>(*broker, loop, *broker->loops_[loop], std::move(servants)));
  }
  absl::Status added = broker->core_->AddInProcessServices();
  if (!added.ok()) return added;
  if (broker->options_.store != nullptr) {
    broker->durable_ = std::make_unique<DurableQueues>(
        broker->shard(0), *broker->loops_[0], *broker->options_.store,
        broker->options_.idempotency_retention, &broker->events_);
    broker->durable_->Start();
  }
  return broker;
}

BrokerStats Broker::stats() const { return core_->stats(); }

std::vector<ObjectSummary> Broker::objects() const {
  std::vector<ObjectSummary> list = core_->ListObjects();
  auto as_connection = [](HolderId& holder) {
    if ((holder.value & kLocalHolderBit) != 0) holder.value = 0;
  };
  for (ObjectSummary& object : list) {
    if (object.host.has_value()) as_connection(*object.host);
    for (auto& [holder, count] : object.holders) as_connection(holder);
  }
  return list;
}

absl::Time Broker::DeadlineFor(const reactor::EventLoop& loop, int64_t timeout_micros) const {
  if (timeout_micros > 0) return loop.clock().Now() + absl::Microseconds(timeout_micros);
  if (options_.default_timeout == absl::InfiniteDuration()) return absl::InfiniteFuture();
  return loop.clock().Now() + options_.default_timeout;
}

}  // namespace weft::broker
