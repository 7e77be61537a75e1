#include "examples/demo/counter_servant.h"

#include <algorithm>
#include <utility>

#include "absl/status/statusor.h"

namespace weft::examples {
namespace {

using broker::CallContext;
using broker::ObjectHandle;

bool SameObject(const weft::v1::ObjectRef& a, const weft::v1::ObjectRef& b) {
  return a.node() == b.node() && a.object_id() == b.object_id();
}

// The failures after which a watcher is gone for good.
bool WatcherIsGone(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsNotFound(status);
}

}  // namespace

// One Changed() call in flight: its request, response and controller, and the done closure that
// owns them. Deletes itself when the call completes.
class CounterObjectServant::ChangedCall final : public google::protobuf::Closure {
 public:
  ChangedCall(CounterObjectServant& owner, uint64_t watcher_id, int64_t value)
      : owner_(&owner), watcher_id_(watcher_id) {
    request_.set_value(value);
    controller_.set_timeout(kChangedTimeout);
  }

  // google::protobuf::Closure
  void Run() override {
    if (owner_ != nullptr) owner_->OnChangedDone(*this);
    delete this;
  }

  // The servant is being destroyed: completion only frees the call.
  void Orphan() { owner_ = nullptr; }

  uint64_t watcher_id() const { return watcher_id_; }
  const absl::Status& status() const { return controller_.status(); }
  broker::OutboundController& controller() { return controller_; }
  const demo::CounterValue& request() const { return request_; }
  demo::ChangedAck& response() { return response_; }

 private:
  CounterObjectServant* owner_;  // nullptr once orphaned
  const uint64_t watcher_id_;
  broker::OutboundController controller_;
  demo::CounterValue request_;
  demo::ChangedAck response_;
};

void CounterServant::Create(google::protobuf::RpcController* controller,
                            const demo::CreateRequest* request, demo::CreateResponse* response,
                            google::protobuf::Closure* done) {
  *response->mutable_counter() =
      CallContext::From(controller)
          .Export(std::make_unique<CounterObjectServant>(request->initial()));
  done->Run();
}

CounterObjectServant::CounterObjectServant(int64_t initial) : value_(initial) {}

CounterObjectServant::~CounterObjectServant() {
  for (ChangedCall* call : calls_) call->Orphan();
}

void CounterObjectServant::Increment(google::protobuf::RpcController* controller,
                                     const demo::IncrementRequest* request,
                                     demo::CounterValue* response,
                                     google::protobuf::Closure* done) {
  int64_t sum = 0;
  if (__builtin_add_overflow(value_, request->by(), &sum)) {
    CallContext::From(controller).SetStatus(absl::OutOfRangeError("integer overflow"));
    done->Run();
    return;
  }
  value_ = sum;
  response->set_value(value_);
  NotifyWatchers();
  done->Run();
}

void CounterObjectServant::Get(google::protobuf::RpcController*, const demo::GetRequest*,
                               demo::CounterValue* response, google::protobuf::Closure* done) {
  response->set_value(value_);
  done->Run();
}

void CounterObjectServant::Watch(google::protobuf::RpcController* controller,
                                 const demo::WatchRequest* request, demo::WatchResponse*,
                                 google::protobuf::Closure* done) {
  CallContext& context = CallContext::From(controller);
  if (!request->has_watcher()) {
    context.SetStatus(absl::InvalidArgumentError("watch: watcher is not set"));
  } else if (absl::StatusOr<std::unique_ptr<ObjectHandle>> handle =
                 context.Hold(request->watcher());
             !handle.ok()) {
    context.SetStatus(handle.status());
  } else if (absl::Status added = AddWatcher(*std::move(handle)); !added.ok()) {
    context.SetStatus(std::move(added));
  }
  done->Run();
}

absl::Status CounterObjectServant::AddWatcher(std::unique_ptr<ObjectHandle> watcher) {
  for (const std::unique_ptr<Watcher>& existing : watchers_) {
    if (!existing->dropped && SameObject(existing->handle->ref(), watcher->ref())) {
      return absl::OkStatus();  // `watcher` releases its count as it goes out of scope.
    }
  }
  if (watcher_count() >= kMaxWatchers) {
    return absl::ResourceExhaustedError("watch: counter has too many watchers");
  }
  auto added = std::make_unique<Watcher>();
  added->id = next_watcher_id_++;
  added->handle = std::move(watcher);
  watchers_.push_back(std::move(added));
  return absl::OkStatus();
}

size_t CounterObjectServant::watcher_count() const {
  return std::count_if(watchers_.begin(), watchers_.end(),
                       [](const std::unique_ptr<Watcher>& w) { return !w->dropped; });
}

void CounterObjectServant::NotifyWatchers() {
  ++sending_depth_;
  // By index: completions that run inside SendChanged only mark watchers dropped, never erase.
  for (size_t i = 0; i < watchers_.size(); ++i) {
    Watcher& watcher = *watchers_[i];
    if (watcher.dropped) continue;
    if (!watcher.handle->alive()) {
      watcher.dropped = true;
    } else if (watcher.in_flight >= kMaxChangedInFlight) {
      watcher.queued = value_;
    } else {
      SendChanged(watcher, value_);
    }
  }
  --sending_depth_;
  EraseDroppedWatchers();
}

void CounterObjectServant::SendChanged(Watcher& watcher, int64_t value) {
  auto* call = new ChangedCall(*this, watcher.id, value);
  calls_.insert(call);
  ++watcher.in_flight;
  ++sending_depth_;
  demo::CounterWatcher_Stub stub(&watcher.handle->channel());
  stub.Changed(&call->controller(), &call->request(), &call->response(), call);
  --sending_depth_;
}

void CounterObjectServant::OnChangedDone(ChangedCall& call) {
  calls_.erase(&call);
  Watcher* watcher = FindWatcher(call.watcher_id());
  if (watcher == nullptr) return;  // erased while the call was in flight
  --watcher->in_flight;
  if (watcher->dropped) return;
  if (WatcherIsGone(call.status())) {
    watcher->dropped = true;
  } else if (watcher->queued.has_value() && watcher->in_flight < kMaxChangedInFlight) {
    const int64_t value = *watcher->queued;
    watcher->queued.reset();
    SendChanged(*watcher, value);
  }
  EraseDroppedWatchers();
}

CounterObjectServant::Watcher* CounterObjectServant::FindWatcher(uint64_t id) {
  for (const std::unique_ptr<Watcher>& watcher : watchers_) {
    if (watcher->id == id) return watcher.get();
  }
  return nullptr;
}

void CounterObjectServant::EraseDroppedWatchers() {
  if (sending_depth_ > 0) return;
  std::erase_if(watchers_, [](const std::unique_ptr<Watcher>& w) { return w->dropped; });
}

}  // namespace weft::examples
