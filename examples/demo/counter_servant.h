// CounterServant and CounterObjectServant: demo.Counter and demo.CounterObject
// (idl/demo/counter.proto), the example of object references and callbacks that weftd hosts
// in-process.
//
// Part of //examples/demo. demo.Counter is the factory: weftd creates one CounterServant per
// event loop (demo_services.h), and each Create() exports a new CounterObjectServant through the
// call's broker::CallContext. The broker owns the exported object and destroys it once nobody
// holds a reference, so a CounterObjectServant lives on the loop that created it and all its
// state is that one counter's.
//
// Watchers: Watch() holds the caller's demo.CounterWatcher reference (CallContext::Hold) and,
// after every change, the counter calls Changed(new value) on each watcher without waiting for
// it ("fire and track"). A watcher whose call fails with UNAVAILABLE or NOT_FOUND (its host went
// away, or it released the object), or whose handle reports !alive(), is dropped; other failures
// (DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ...) keep it. At most kMaxChangedInFlight calls to one
// watcher are in flight; changes beyond that are coalesced into one call carrying the latest
// value, sent when a call completes, so a slow watcher costs bounded memory and still sees the
// final value.
#ifndef WEFT_EXAMPLES_DEMO_COUNTER_SERVANT_H_
#define WEFT_EXAMPLES_DEMO_COUNTER_SERVANT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "broker/call_context.h"
#include "demo/counter.pb.h"
#include "google/protobuf/service.h"

namespace weft::examples {

// Watchers one counter keeps; Watch() past this fails with RESOURCE_EXHAUSTED.
inline constexpr size_t kMaxWatchers = 1024;
// Changed() calls in flight to one watcher before further changes are coalesced.
inline constexpr int kMaxChangedInFlight = 64;
// The deadline of each Changed() call.
inline constexpr absl::Duration kChangedTimeout = absl::Seconds(10);

// demo.Counter. Stateless: every Create() makes an independent counter. The methods need a
// CallContext that can export objects (one the broker made).
class CounterServant final : public demo::Counter {
 public:
  CounterServant() = default;
  CounterServant(const CounterServant&) = delete;
  CounterServant& operator=(const CounterServant&) = delete;

  // demo::Counter
  // Exports a new CounterObjectServant starting at `initial` and returns its reference.
  void Create(google::protobuf::RpcController* controller, const demo::CreateRequest* request,
              demo::CreateResponse* response, google::protobuf::Closure* done) override;
};

// demo.CounterObject: one counter. Loop thread only. It may be destroyed while Changed() calls
// are in flight; their completions then only free themselves.
class CounterObjectServant final : public demo::CounterObject {
 public:
  explicit CounterObjectServant(int64_t initial);
  CounterObjectServant(const CounterObjectServant&) = delete;
  CounterObjectServant& operator=(const CounterObjectServant&) = delete;
  ~CounterObjectServant() override;

  // demo::CounterObject. Each method runs `done` before returning.
  // Adds `by`; OUT_OF_RANGE "integer overflow" (value unchanged, nobody told) when the sum does
  // not fit in int64. Then calls Changed on every watcher.
  void Increment(google::protobuf::RpcController* controller, const demo::IncrementRequest* request,
                 demo::CounterValue* response, google::protobuf::Closure* done) override;
  void Get(google::protobuf::RpcController* controller, const demo::GetRequest* request,
           demo::CounterValue* response, google::protobuf::Closure* done) override;
  // Holds request.watcher and adds it (see AddWatcher). INVALID_ARGUMENT when it is unset;
  // otherwise CallContext::Hold's or AddWatcher's error.
  void Watch(google::protobuf::RpcController* controller, const demo::WatchRequest* request,
             demo::WatchResponse* response, google::protobuf::Closure* done) override;

  // Adds a watcher (what Watch() does once it holds the reference). Watching again with a
  // reference to the same object (equal node and object_id) keeps one watcher and releases the
  // new handle. RESOURCE_EXHAUSTED when kMaxWatchers are already registered.
  absl::Status AddWatcher(std::unique_ptr<broker::ObjectHandle> watcher);

  int64_t value() const { return value_; }
  // Watchers not (yet) dropped.
  size_t watcher_count() const;

 private:
  struct Watcher {
    uint64_t id = 0;
    std::unique_ptr<broker::ObjectHandle> handle;
    int in_flight = 0;
    // The latest change not yet sent because in_flight reached kMaxChangedInFlight.
    std::optional<int64_t> queued;
    // Set when the watcher is gone; erased at the next point where no call is being made.
    bool dropped = false;
  };
  class ChangedCall;

  void NotifyWatchers();
  // Makes one Changed(value) call to `watcher`; its completion may run before this returns.
  void SendChanged(Watcher& watcher, int64_t value);
  // Called by a ChangedCall when its call completed (it then deletes itself).
  void OnChangedDone(ChangedCall& call);
  Watcher* FindWatcher(uint64_t id);
  // Destroys dropped watchers' handles, unless a call through a channel is on the stack.
  void EraseDroppedWatchers();

  int64_t value_;
  uint64_t next_watcher_id_ = 1;
  std::vector<std::unique_ptr<Watcher>> watchers_;
  // Calls in flight; each owns itself (it is the call's done closure).
  absl::flat_hash_set<ChangedCall*> calls_;
  // > 0 while a channel's CallMethod may be on the stack.
  int sending_depth_ = 0;
};

}  // namespace weft::examples

#endif  // WEFT_EXAMPLES_DEMO_COUNTER_SERVANT_H_
