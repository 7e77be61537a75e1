// ObjectRegistry: the broker's remote objects and who holds references to them.
//
// Part of //broker (pure logic: no loop, no I/O). Perspective Broker-style lifetimes: every
// object gets a never-reused id; each holder (a connection or an in-process holder) has a
// reference count on it; an object goes away when no holder holds it and it is no longer
// pending (its exporter has not yet handed it to a first holder). A holder's disconnect drops
// all it held, and every object it hosted dies: calls on it fail and its holders are told.
//
// The registry never destroys a servant or sends anything itself: operations that drop objects
// return a Reclaimed batch, and the caller destroys the servants after the current callback
// (a call into one may be running) and sends the Release and death notices.
//
// Threading: not thread-safe; owned by one loop.
#ifndef WEFT_BROKER_OBJECT_REGISTRY_H_
#define WEFT_BROKER_OBJECT_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/ids.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/service.h"

namespace weft::broker {

// Where a remote object lives: the holder hosting it and the id the host gave it.
struct RemoteHost {
  HolderId host;
  ObjectId remote_id = 0;

  friend bool operator==(const RemoteHost&, const RemoteHost&) = default;
};

// The broker dropped its last reference to a remote object: send `host` a Release for
// `remote_id`, covering the `times_received` references the host sent (so that a reference the
// host sent again while this Release was in flight stays counted on the host's side).
struct RemoteRelease {
  RemoteHost remote;
  uint64_t times_received = 0;

  friend bool operator==(const RemoteRelease&, const RemoteRelease&) = default;
};

// `holder` holds object `id`, whose host disconnected.
struct ObjectDeath {
  HolderId holder;
  ObjectId id = 0;

  friend bool operator==(const ObjectDeath&, const ObjectDeath&) = default;
};

// Follow-up work after objects were dropped or died. Each list is in ascending object id order
// (deaths: then by holder), so logs and tests are stable.
struct Reclaimed {
  // In-process servants nobody holds: destroy them after the current callback returns.
  std::vector<std::unique_ptr<google::protobuf::Service>> servants;
  // Remote objects nobody holds and whose host is still connected.
  std::vector<RemoteRelease> releases;
  // Holders to tell that an object they hold died.
  std::vector<ObjectDeath> deaths;
  // Ids removed from the registry (for metrics and the control plane's watch).
  std::vector<ObjectId> dropped;

  bool empty() const {
    return servants.empty() && releases.empty() && deaths.empty() && dropped.empty();
  }
};

// What the control plane lists of one object (ObjectRegistry::List()).
struct ObjectSummary {
  ObjectId id = 0;
  const google::protobuf::ServiceDescriptor* interface = nullptr;
  std::optional<HolderId> host;  // Set for a remote object.
  bool dead = false;
  bool pending = false;
  // Every holder and its reference count, by ascending holder id.
  std::vector<std::pair<HolderId, uint64_t>> holders;
};

// One registered object. Pointers to it are valid until the registry's next non-const call.
class RegisteredObject {
 public:
  const google::protobuf::ServiceDescriptor& interface() const { return *interface_; }
  // The in-process servant; nullptr for a remote object.
  google::protobuf::Service* servant() const { return servant_.get(); }
  // Set for a remote object.
  const std::optional<RemoteHost>& remote() const { return remote_; }
  // True once a remote object's host disconnected.
  bool dead() const { return dead_; }
  // True from export until a first holder takes it or SweepUnheld() runs.
  bool pending() const { return pending_; }
  // References `holder` has; 0 when none.
  uint64_t references(HolderId holder) const;
  std::size_t holder_count() const { return references_.size(); }

 private:
  friend class ObjectRegistry;

  const google::protobuf::ServiceDescriptor* interface_ = nullptr;
  std::unique_ptr<google::protobuf::Service> servant_;
  std::optional<RemoteHost> remote_;
  uint64_t times_received_ = 0;
  bool dead_ = false;
  bool pending_ = true;
  absl::flat_hash_map<HolderId, uint64_t> references_;
};

class ObjectRegistry {
 public:
  ObjectRegistry() = default;
  ObjectRegistry(const ObjectRegistry&) = delete;
  ObjectRegistry& operator=(const ObjectRegistry&) = delete;
  // Destroys the servants still registered: destroy the registry outside any call into them.
  ~ObjectRegistry() = default;

  // Registers an in-process object (its interface is servant->GetDescriptor()) and returns its
  // new id. The object is pending with no holder. `servant` must not be null.
  ObjectId ExportLocal(std::unique_ptr<google::protobuf::Service> servant);

  // Registers the object `remote` hosts, or returns the id already given to it while it lives
  // (each call counts one more reference received from the host). A new object is pending.
  // kInvalidArgument when the host earlier exported that id with another interface.
  absl::StatusOr<ObjectId> ExportRemote(const google::protobuf::ServiceDescriptor& interface,
                                        RemoteHost remote);

  // Gives `holder` `count` more references to `id` and ends its pending state. Dead objects
  // count references too (calls on them fail; the holder releases them as usual).
  // kNotFound for an unknown id; kInvalidArgument when count is 0.
  absl::Status AddRef(ObjectId id, HolderId holder, uint64_t count = 1);

  // Drops `count` of `holder`'s references to `id`; the object goes when none are left and it
  // is not pending. kNotFound when `holder` holds no reference to `id`; kInvalidArgument when
  // count is 0 or more than it holds (then nothing changes).
  absl::StatusOr<Reclaimed> Release(ObjectId id, HolderId holder, uint64_t count = 1);

  // `holder` is gone: drops every reference it held and kills every object it hosted (their
  // other holders appear in `deaths`; a dead object goes once nobody holds it).
  Reclaimed ReleaseAll(HolderId holder);

  // Ends the pending state of every pending object and drops those nobody holds. Call after a
  // dispatched call's reply has been scanned and its references added to the recipient.
  Reclaimed SweepUnheld();

  // The object with this id; nullptr when unknown (never registered, or dropped).
  const RegisteredObject* Find(ObjectId id) const;

  // The object to dispatch a call to: kNotFound "no object <id>" when unknown, kUnavailable
  // when its host disconnected.
  absl::StatusOr<const RegisteredObject*> FindForCall(ObjectId id) const;

  // Objects registered, dead and pending ones included.
  std::size_t size() const { return objects_.size(); }
  std::size_t pending_count() const;
  // Every object, by ascending id, with its holders. For the control plane: it copies.
  std::vector<ObjectSummary> List() const;

 private:
  ObjectId Insert(RegisteredObject object);
  void DropIfUnheld(ObjectId id, Reclaimed& out);
  void MarkDead(ObjectId id);
  void ForgetHeld(HolderId holder, ObjectId id);
  void ForgetHosted(const RemoteHost& remote);

  ObjectId next_id_ = 1;
  absl::flat_hash_map<ObjectId, RegisteredObject> objects_;
  // Which objects each holder holds, and which live remote objects each host hosts.
  absl::flat_hash_map<HolderId, absl::flat_hash_set<ObjectId>> held_;
  absl::flat_hash_map<HolderId, absl::flat_hash_set<ObjectId>> hosted_;
  // Live remote objects by (host, host's id).
  absl::flat_hash_map<std::pair<uint64_t, ObjectId>, ObjectId> by_remote_;
  // Objects exported since the last sweep (some may have been taken since).
  std::vector<ObjectId> pending_;
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_OBJECT_REGISTRY_H_
