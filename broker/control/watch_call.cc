#include "broker/control/watch_call.h"

#include <string>
#include <utility>

namespace weft::broker::control {
namespace {

namespace v1 = ::weft::control::v1;

v1::Event ToProto(BrokerEvent event) {
  v1::Event out;
  out.set_sequence(event.sequence);
  out.set_at_unix_ms(absl::ToUnixMillis(event.at));
  out.set_kind(static_cast<v1::EventKind>(event.kind));
  out.set_subject(std::move(event.subject));
  out.set_detail(std::move(event.detail));
  return out;
}

}  // namespace

void WatchFeed::Subscribe(const std::vector<EventKind>& kinds) {
  subscription_ = hub_.Subscribe(kinds, kWatchQueueEvents, [weak = weak_from_this()] {
    if (std::shared_ptr<WatchFeed> self = weak.lock()) self->Pump();
  });
  absl::MutexLock lock(&mutex_);
  if (reactor_ != nullptr && !finished_) reactor_->StartSendInitialMetadata();
}

void WatchFeed::Pump() {
  absl::MutexLock lock(&mutex_);
  if (reactor_ == nullptr || finished_ || writing_ || subscription_ == nullptr) return;
  std::optional<BrokerEvent> event = subscription_->Next();
  if (!event.has_value()) return;
  current_ = ToProto(*std::move(event));
  writing_ = true;
  reactor_->StartWrite(&current_);
}

void WatchFeed::Finish(grpc::Status status) {
  absl::MutexLock lock(&mutex_);
  if (reactor_ == nullptr || finished_) return;
  finished_ = true;
  if (writing_) {
    finish_after_write_ = std::move(status);
    return;
  }
  reactor_->Finish(std::move(status));
}

void WatchFeed::WriteDone(bool ok) {
  {
    absl::MutexLock lock(&mutex_);
    writing_ = false;
    if (reactor_ == nullptr) return;
    if (finish_after_write_.has_value()) {
      reactor_->Finish(*std::move(finish_after_write_));
      finish_after_write_.reset();
      return;
    }
    if (finished_) return;
    if (!ok) {  // The client is gone.
      finished_ = true;
      reactor_->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "watch: the client went away"));
      return;
    }
  }
  home_.Post([self = shared_from_this()] { self->Pump(); });
}

void WatchFeed::Done() {
  {
    absl::MutexLock lock(&mutex_);
    reactor_ = nullptr;
  }
  // The subscription ends on the home loop; should the loops have stopped, it ends with the
  // last reference to this feed instead (destroying it from any thread is safe).
  home_.Post([self = shared_from_this()] { self->subscription_.reset(); });
}

bool WatchRegistry::Add(std::shared_ptr<WatchFeed> feed) {
  absl::MutexLock lock(&mutex_);
  if (ended_) return false;
  feeds_.insert(std::move(feed));
  return true;
}

void WatchRegistry::Remove(const std::shared_ptr<WatchFeed>& feed) {
  absl::MutexLock lock(&mutex_);
  feeds_.erase(feed);
}

void WatchRegistry::EndAll() {
  absl::flat_hash_set<std::shared_ptr<WatchFeed>> feeds;
  {
    absl::MutexLock lock(&mutex_);
    ended_ = true;
    feeds.swap(feeds_);
  }
  for (const std::shared_ptr<WatchFeed>& feed : feeds) {
    feed->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "weftd: shutting down"));
  }
}

WatchCall* WatchCall::Start(EventHub& hub, reactor::EventLoop& home, WatchRegistry& registry,
                            std::vector<EventKind> kinds) {
  auto* call = new WatchCall(hub, home, registry);
  if (!registry.Add(call->feed_)) {
    call->feed_->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "weftd: shutting down"));
    return call;
  }
  home.Post([feed = call->feed_, kinds = std::move(kinds)] { feed->Subscribe(kinds); });
  return call;
}

void WatchCall::OnCancel() {
  feed_->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "watch: cancelled"));
}

void WatchCall::OnDone() {
  registry_.Remove(feed_);
  feed_->Done();
  delete this;
}

}  // namespace weft::broker::control
