#include "broker/object_registry.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "reactor/base/check.h"

namespace weft::broker {
namespace {

std::vector<ObjectId> Sorted(const absl::flat_hash_set<ObjectId>& ids) {
  std::vector<ObjectId> out(ids.begin(), ids.end());
  std::sort(out.begin(), out.end());
  return out;
}

std::pair<uint64_t, ObjectId> RemoteKey(const RemoteHost& remote) {
  return {remote.host.value, remote.remote_id};
}

}  // namespace

uint64_t RegisteredObject::references(HolderId holder) const {
  auto it = references_.find(holder);
  return it == references_.end() ? 0 : it->second;
}

ObjectId ObjectRegistry::Insert(RegisteredObject object) {
  const ObjectId id = next_id_++;
  objects_.emplace(id, std::move(object));
  pending_.push_back(id);
  return id;
}

ObjectId ObjectRegistry::ExportLocal(std::unique_ptr<google::protobuf::Service> servant) {
  WEFT_CHECK(servant != nullptr);
  RegisteredObject object;
  object.interface_ = servant->GetDescriptor();
  object.servant_ = std::move(servant);
  return Insert(std::move(object));
}

absl::StatusOr<ObjectId> ObjectRegistry::ExportRemote(
    const google::protobuf::ServiceDescriptor& interface, RemoteHost remote) {
  if (auto it = by_remote_.find(RemoteKey(remote)); it != by_remote_.end()) {
    RegisteredObject& known = objects_.at(it->second);
    if (known.interface_ != &interface) {
      return absl::InvalidArgumentError(
          absl::StrCat("object ", remote.remote_id, " was exported as ",
                       known.interface_->full_name(), ", not ", interface.full_name()));
    }
    ++known.times_received_;
    return it->second;
  }
  RegisteredObject object;
  object.interface_ = &interface;
  object.remote_ = remote;
  object.times_received_ = 1;
  const ObjectId id = Insert(std::move(object));
  by_remote_.emplace(RemoteKey(remote), id);
  hosted_[remote.host].insert(id);
  return id;
}

absl::Status ObjectRegistry::AddRef(ObjectId id, HolderId holder, uint64_t count) {
  if (count == 0) return absl::InvalidArgumentError("object reference count must be positive");
  auto it = objects_.find(id);
  if (it == objects_.end()) return absl::NotFoundError(absl::StrCat("no object ", id));
  it->second.references_[holder] += count;
  it->second.pending_ = false;
  held_[holder].insert(id);
  return absl::OkStatus();
}

absl::StatusOr<Reclaimed> ObjectRegistry::Release(ObjectId id, HolderId holder, uint64_t count) {
  auto it = objects_.find(id);
  uint64_t* held = nullptr;
  if (it != objects_.end()) {
    auto ref = it->second.references_.find(holder);
    if (ref != it->second.references_.end()) held = &ref->second;
  }
  if (held == nullptr) {
    return absl::NotFoundError(absl::StrCat("holder holds no reference to object ", id));
  }
  if (count == 0 || count > *held) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot release ", count, " references to object ", id, ": holder has ", *held));
  }
  Reclaimed out;
  *held -= count;
  if (*held == 0) {
    it->second.references_.erase(holder);
    ForgetHeld(holder, id);
    DropIfUnheld(id, out);
  }
  return out;
}

// Kills the objects `holder` hosted before dropping its references, so that an object it both
// hosted and held is not "released" back to it.
Reclaimed ObjectRegistry::ReleaseAll(HolderId holder) {
  Reclaimed out;
  std::vector<ObjectId> hosted;
  if (auto node = hosted_.extract(holder); !node.empty()) hosted = Sorted(node.mapped());
  for (ObjectId id : hosted) MarkDead(id);
  if (auto node = held_.extract(holder); !node.empty()) {
    for (ObjectId id : Sorted(node.mapped())) {
      objects_.at(id).references_.erase(holder);
      DropIfUnheld(id, out);
    }
  }
  for (ObjectId id : hosted) {
    if (!objects_.contains(id)) continue;
    for (const auto& [other, count] : objects_.at(id).references_) {
      out.deaths.push_back({other, id});
    }
    DropIfUnheld(id, out);
  }
  std::sort(out.dropped.begin(), out.dropped.end());
  std::sort(out.deaths.begin(), out.deaths.end(), [](const ObjectDeath& a, const ObjectDeath& b) {
    return std::pair(a.id, a.holder.value) < std::pair(b.id, b.holder.value);
  });
  return out;
}

Reclaimed ObjectRegistry::SweepUnheld() {
  Reclaimed out;
  std::vector<ObjectId> pending = std::exchange(pending_, {});
  for (ObjectId id : pending) {
    auto it = objects_.find(id);
    if (it == objects_.end() || !it->second.pending_) continue;
    it->second.pending_ = false;
    DropIfUnheld(id, out);
  }
  return out;
}

std::vector<ObjectSummary> ObjectRegistry::List() const {
  std::vector<ObjectSummary> list;
  list.reserve(objects_.size());
  for (const auto& [id, object] : objects_) {
    ObjectSummary summary;
    summary.id = id;
    summary.interface = object.interface_;
    if (object.remote_.has_value()) summary.host = object.remote_->host;
    summary.dead = object.dead_;
    summary.pending = object.pending_;
    summary.holders.assign(object.references_.begin(), object.references_.end());
    std::sort(summary.holders.begin(), summary.holders.end(),
              [](const auto& a, const auto& b) { return a.first.value < b.first.value; });
    list.push_back(std::move(summary));
  }
  std::sort(list.begin(), list.end(),
            [](const ObjectSummary& a, const ObjectSummary& b) { return a.id < b.id; });
  return list;
}

const RegisteredObject* ObjectRegistry::Find(ObjectId id) const {
  auto it = objects_.find(id);
  return it == objects_.end() ? nullptr : &it->second;
}

absl::StatusOr<const RegisteredObject*> ObjectRegistry::FindForCall(ObjectId id) const {
  const RegisteredObject* object = Find(id);
  if (object == nullptr) return absl::NotFoundError(absl::StrCat("no object ", id));
  if (object->dead()) {
    return absl::UnavailableError(absl::StrCat("object ", id, ": its host disconnected"));
  }
  return object;
}

std::size_t ObjectRegistry::pending_count() const {
  return std::count_if(objects_.begin(), objects_.end(),
                       [](const auto& entry) { return entry.second.pending_; });
}

// Removes `id` when no holder holds it and it is not pending, queueing what the caller must do.
void ObjectRegistry::DropIfUnheld(ObjectId id, Reclaimed& out) {
  auto it = objects_.find(id);
  RegisteredObject& object = it->second;
  if (object.pending_ || !object.references_.empty()) return;
  if (object.servant_ != nullptr) out.servants.push_back(std::move(object.servant_));
  if (object.remote_.has_value() && !object.dead_) {
    out.releases.push_back(RemoteRelease{*object.remote_, object.times_received_});
    ForgetHosted(*object.remote_);
  }
  out.dropped.push_back(id);
  objects_.erase(it);
}

// Marks a remote object dead; its host is gone and already forgotten in `hosted_`.
void ObjectRegistry::MarkDead(ObjectId id) {
  RegisteredObject& object = objects_.at(id);
  object.dead_ = true;
  by_remote_.erase(RemoteKey(*object.remote_));
}

void ObjectRegistry::ForgetHeld(HolderId holder, ObjectId id) {
  auto it = held_.find(holder);
  it->second.erase(id);
  if (it->second.empty()) held_.erase(it);
}

void ObjectRegistry::ForgetHosted(const RemoteHost& remote) {
  auto key = by_remote_.find(RemoteKey(remote));
  const ObjectId id = key->second;
  by_remote_.erase(key);
  auto it = hosted_.find(remote.host);
  it->second.erase(id);
  if (it->second.empty()) hosted_.erase(it);
}

}  // namespace weft::broker
