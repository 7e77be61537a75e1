// ServantDispatcher: the servants a client hosts (registered services and exported callback
// objects) and the Calls the broker sends them.
//
// Part of //clients/cpp (internal). For each incoming Call it finds the servant and method,
// parses the request, runs the servant with a ServerContext and sends the Reply through
// DispatcherHost when `done` runs. Errors are Replies: NOT_FOUND for an unknown service, object
// or method, INVALID_ARGUMENT for a request that does not parse (docs/wire.md "Errors"). Cancel
// frames and deadlines cancel the context and answer CANCELLED / DEADLINE_EXCEEDED at once.
// Exported objects are counted: each time the reference is sent counts one, each Release from
// the broker drops one, and at zero the servant is destroyed after the current callback.
//
// Threading: loop thread only. Servants must not run `done` after they are destroyed.
#ifndef WEFT_CLIENTS_CPP_SERVANT_DISPATCHER_H_
#define WEFT_CLIENTS_CPP_SERVANT_DISPATCHER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "clients/cpp/server_context.h"
#include "google/protobuf/message.h"
#include "google/protobuf/service.h"
#include "protocols/wire/wire_types.h"
#include "reactor/event_loop.h"

namespace weft::clients::internal {

class DispatcherHost {
 public:
  DispatcherHost() = default;
  DispatcherHost(const DispatcherHost&) = delete;
  DispatcherHost& operator=(const DispatcherHost&) = delete;
  virtual ~DispatcherHost() = default;

  // Sends a Reply on connection `generation` if it is still the current one.
  virtual void SendReply(uint64_t generation, uint64_t call_id, const absl::Status& status,
                         const google::protobuf::Message* response) = 0;
  // An incoming request was parsed (the host counts the references it carries).
  virtual void OnRequestParsed(const google::protobuf::Message& request) = 0;
};

class ServantDispatcher {
 public:
  // `loop` and `host` must outlive this.
  ServantDispatcher(reactor::EventLoop& loop, DispatcherHost& host);
  // Destroys servants first, then the calls still waiting for their `done`.
  ~ServantDispatcher();

  ServantDispatcher(const ServantDispatcher&) = delete;
  ServantDispatcher& operator=(const ServantDispatcher&) = delete;

  // Registered services, by full name.
  bool HasService(const std::string& full_name) const { return services_.contains(full_name); }
  void AddServices(std::vector<std::unique_ptr<google::protobuf::Service>> services);
  std::vector<const google::protobuf::ServiceDescriptor*> service_descriptors() const;

  // Exported objects, by local id.
  uint64_t Export(std::unique_ptr<google::protobuf::Service> servant);
  bool IsExported(uint64_t id) const { return objects_.contains(id); }
  bool has_exports() const { return !objects_.empty(); }
  std::size_t exported_count() const { return objects_.size(); }
  void CountSent(uint64_t id);
  // One Release of `id` from the broker. Unknown or unsent ids are ignored.
  void Release(uint64_t id);

  void Dispatch(const protocols::wire::Call& call, uint64_t generation);
  // A Cancel frame for incoming call `call_id` on the current connection.
  void Cancel(uint64_t call_id);
  // The connection dropped: cancels every incoming call (UNAVAILABLE, no Reply) and destroys
  // the exported objects the broker had seen (it killed them).
  void ConnectionLost();

 private:
  struct IncomingCall;
  struct ExportedObject {
    std::unique_ptr<google::protobuf::Service> servant;
    uint64_t sent = 0;
  };

  google::protobuf::Service* FindServant(const protocols::wire::Call& call, absl::Status& status);
  void Start(google::protobuf::Service& servant, const google::protobuf::MethodDescriptor& method,
             std::unique_ptr<google::protobuf::Message> request, const protocols::wire::Call& call,
             uint64_t generation);
  void CancelIncoming(IncomingCall& call, absl::Status reason, bool reply);
  void Finish(IncomingCall* call);
  void DestroyLater(std::unique_ptr<google::protobuf::Service> servant);

  reactor::EventLoop& loop_;
  DispatcherHost& host_;
  std::vector<std::unique_ptr<google::protobuf::Service>> owned_services_;
  absl::flat_hash_map<std::string, google::protobuf::Service*> services_;
  uint64_t next_object_id_ = 1;
  absl::flat_hash_map<uint64_t, ExportedObject> objects_;
  // Calls of the current connection, by the broker's call id.
  absl::flat_hash_map<uint64_t, IncomingCall*> by_id_;
  // Every call whose `done` has not run yet (owned).
  absl::flat_hash_set<IncomingCall*> live_;
};

}  // namespace weft::clients::internal

#endif  // WEFT_CLIENTS_CPP_SERVANT_DISPATCHER_H_
