// ClientCore: remote references, exported objects, hosted services and subscriptions.
#include <utility>

#include "absl/strings/str_cat.h"
#include "clients/cpp/client_core.h"
#include "clients/cpp/descriptor_set.h"
#include "reactor/base/check.h"

namespace weft::clients::internal {

// --- References held from the broker ---

std::unique_ptr<HeldRef> ClientCore::AdoptHeld(Client& facade, const weft::v1::ObjectRef& ref,
                                               absl::Status& status) {
  auto it = unadopted_.find(ref.object_id());
  if (it == unadopted_.end() || !ready()) {
    status =
        absl::FailedPreconditionError(absl::StrCat("client: object ", ref.object_id(),
                                                   " is not held by this connection (adopt each "
                                                   "received reference once)"));
    return nullptr;
  }
  if (--it->second == 0) unadopted_.erase(it);
  auto held = std::make_unique<HeldRef>(facade, ref, generation_);
  refs_.insert(held.get());
  status = absl::OkStatus();
  return held;
}

absl::Status ClientCore::ReleaseUnadopted(const weft::v1::ObjectRef& ref) {
  auto it = unadopted_.find(ref.object_id());
  if (it == unadopted_.end() || !ready()) {
    return absl::FailedPreconditionError(
        absl::StrCat("client: object ", ref.object_id(), " is not held by this connection"));
  }
  if (--it->second == 0) unadopted_.erase(it);
  pending_releases_.push_back(ref.object_id());
  if (!release_timer_->armed()) release_timer_->Schedule(absl::ZeroDuration());
  return absl::OkStatus();
}

uint64_t ClientCore::unadopted_count(uint64_t object_id) const {
  auto it = unadopted_.find(object_id);
  return it == unadopted_.end() ? 0 : it->second;
}

void ClientCore::DropRef(HeldRef& held) {
  refs_.erase(&held);
  // A reference from an older connection was released by the broker when it closed.
  if (held.generation() != generation_ || !ready()) return;
  pending_releases_.push_back(held.ref().object_id());
  if (!release_timer_->armed()) release_timer_->Schedule(absl::ZeroDuration());
}

void ClientCore::FlushReleases() {
  std::vector<uint64_t> ids = std::move(pending_releases_);
  pending_releases_.clear();
  if (ready()) connection_->SendRelease(ids);
}

void ClientCore::OnRelease(const protocols::wire::Release& release) {
  for (uint64_t id : release.object_ids) dispatcher_.Release(id);
}

// --- Exported objects and hosted services ---

weft::v1::ObjectRef ClientCore::Export(std::unique_ptr<google::protobuf::Service> servant) {
  WEFT_CHECK(servant != nullptr);
  weft::v1::ObjectRef ref;
  ref.set_interface(servant->GetDescriptor()->full_name());
  ref.set_object_id(dispatcher_.Export(std::move(servant)));
  return ref;
}

reactor::Deferred<void> ClientCore::Register(
    std::vector<std::unique_ptr<google::protobuf::Service>> services) {
  std::vector<std::string> names;
  std::vector<const google::protobuf::ServiceDescriptor*> descriptors;
  for (const std::unique_ptr<google::protobuf::Service>& service : services) {
    if (service == nullptr) {
      return reactor::Fail<void>(absl::InvalidArgumentError("client: null service"));
    }
    const std::string& name = service->GetDescriptor()->full_name();
    for (const std::string& seen : names) {
      if (seen == name) {
        return reactor::Fail<void>(
            absl::InvalidArgumentError(absl::StrCat("client: service '", name, "' given twice")));
      }
    }
    if (dispatcher_.HasService(name)) {
      return reactor::Fail<void>(absl::AlreadyExistsError(
          absl::StrCat("client: service '", name, "' is already registered")));
    }
    names.push_back(name);
    descriptors.push_back(service->GetDescriptor());
  }
  if (!ready()) return reactor::Fail<void>(absl::UnavailableError("client: not connected"));
  const std::string set = BuildDescriptorSet(descriptors).SerializeAsString();
  reactor::Promise<void> promise;
  reactor::Deferred<void> result = promise.GetDeferred();
  connection_->SendRegister(next_call_id_++, names, set,
                            [this, promise = std::move(promise),
                             services = std::move(services)](absl::Status status) mutable {
                              if (status.ok() && !closed_)
                                dispatcher_.AddServices(std::move(services));
                              promise.Complete(std::move(status));
                            });
  return result;
}

// Re-registers hosted services and re-subscribes topics on a new connection.
void ClientCore::Reestablish() {
  std::vector<const google::protobuf::ServiceDescriptor*> descriptors =
      dispatcher_.service_descriptors();
  if (!descriptors.empty()) {
    std::vector<std::string> names;
    for (const auto* descriptor : descriptors) names.push_back(descriptor->full_name());
    connection_->SendRegister(
        next_call_id_++, names, BuildDescriptorSet(descriptors).SerializeAsString(),
        [this](absl::Status status) {
          // Reported through the state callback; calls to the services
          // then fail at the broker.
          if (!status.ok() && !closed_) {
            SetState(state_, absl::Status(status.code(),
                                          absl::StrCat("client: re-register: ", status.message())));
          }
        });
  }
  for (const auto& [topic, subscribers] : subscriptions_) {
    connection_->SendSubscribe(topic, /*unsubscribe=*/false);
  }
}

// --- Incoming calls ---

void ClientCore::OnIncomingCall(const protocols::wire::Call& call) {
  dispatcher_.Dispatch(call, generation_);
}

void ClientCore::OnIncomingCancel(uint64_t call_id) { dispatcher_.Cancel(call_id); }

void ClientCore::SendReply(uint64_t generation, uint64_t call_id, const absl::Status& status,
                           const google::protobuf::Message* response) {
  if (generation != generation_ || !ready()) return;  // Its connection is gone.
  if (response != nullptr && dispatcher_.has_exports()) CountSent(*response);
  connection_->SendReply(call_id, status, response);
}

// --- Subscriptions ---

std::unique_ptr<Subscription> ClientCore::Subscribe(Client& facade, absl::string_view topic,
                                                    PublicationCallback callback) {
  std::unique_ptr<Subscription> subscription(
      new Subscription(facade, std::string(topic), std::move(callback)));
  if (closed_) {
    subscription->client_ = nullptr;
    return subscription;
  }
  std::vector<Subscription*>& subscribers = subscriptions_[subscription->topic()];
  if (subscribers.empty() && ready()) connection_->SendSubscribe(topic, /*unsubscribe=*/false);
  subscribers.push_back(subscription.get());
  live_subscriptions_.insert(subscription.get());
  return subscription;
}

void ClientCore::Unsubscribe(Subscription& subscription) {
  live_subscriptions_.erase(&subscription);
  auto it = subscriptions_.find(subscription.topic());
  if (it == subscriptions_.end()) return;
  std::vector<Subscription*>& subscribers = it->second;
  std::erase(subscribers, &subscription);
  if (!subscribers.empty()) return;
  subscriptions_.erase(it);
  if (ready()) connection_->SendSubscribe(subscription.topic(), /*unsubscribe=*/true);
}

void ClientCore::OnPublication(const protocols::wire::Publish& publish) {
  auto it = subscriptions_.find(publish.topic);
  if (it == subscriptions_.end()) return;
  // Callbacks may add or destroy subscriptions (their own included), or the client.
  const std::vector<Subscription*> snapshot = it->second;
  for (Subscription* subscription : snapshot) {
    if (closed_) return;
    if (!live_subscriptions_.contains(subscription)) continue;
    subscription->callback_(publish.payload, publish.type_url);
  }
}

}  // namespace weft::clients::internal
