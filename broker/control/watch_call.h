// WatchCall: one Watch stream (weft.control.v1.Control/Watch), feeding the broker's events
// (broker/events.h) to a gRPC client in order.
//
// Part of //broker/control. The stream subscribes on the home loop, then sends its initial
// metadata, so a client that waited for it misses no later event. Events are written one at a
// time: the home loop takes the next from the subscription and starts its write; each completed
// write (a gRPC thread) posts the next round to the home loop. The subscription's bounded queue
// absorbs a slow client: it loses its oldest events (EVENT_KIND_EVENTS_DROPPED tells how many),
// and the broker never waits for it. The stream ends when the client cancels, or with
// UNAVAILABLE when weftd shuts down (WatchRegistry::EndAll()).
//
// Threads: the reactor's gRPC callbacks, the home loop and a shutting-down thread meet in
// WatchFeed, whose reactor calls happen under its mutex, so no write starts after Finish() and
// nothing touches the reactor after OnDone().
#ifndef WEFT_BROKER_CONTROL_WATCH_CALL_H_
#define WEFT_BROKER_CONTROL_WATCH_CALL_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "broker/events.h"
#include "grpcpp/grpcpp.h"
#include "reactor/event_loop.h"
#include "weft/control/v1/control.grpc.pb.h"

namespace weft::broker::control {

// Unread events a watcher may have before its oldest are dropped.
inline constexpr std::size_t kWatchQueueEvents = 1024;

// The shared state of one stream. Thread-safe as documented per method.
class WatchFeed : public std::enable_shared_from_this<WatchFeed> {
 public:
  // `hub` and `home` (its loop) outlive the feed; `reactor` lives until Done().
  WatchFeed(EventHub& hub, reactor::EventLoop& home,
            grpc::ServerWriteReactor<weft::control::v1::Event>* reactor)
      : hub_(hub), home_(home), reactor_(reactor) {}

  // Subscribes to `kinds` (empty: all), then sends the initial metadata. Home loop.
  void Subscribe(const std::vector<EventKind>& kinds);
  // Finishes the stream with `status` unless finished already (after the write in progress, if
  // any). Any thread.
  void Finish(grpc::Status status);
  // The reactor's OnWriteDone(ok). gRPC thread.
  void WriteDone(bool ok);
  // The reactor's OnDone(): it is going away. gRPC thread.
  void Done();

 private:
  // Starts writing the next event unless a write is in progress. Home loop.
  void Pump();

  EventHub& hub_;
  reactor::EventLoop& home_;
  absl::Mutex mutex_;
  grpc::ServerWriteReactor<weft::control::v1::Event>* reactor_ ABSL_GUARDED_BY(mutex_);
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  std::optional<grpc::Status> finish_after_write_ ABSL_GUARDED_BY(mutex_);
  weft::control::v1::Event current_ ABSL_GUARDED_BY(mutex_);  // The write in progress.
  // Home loop only (or the last owner once the loops stopped).
  std::unique_ptr<EventHub::Subscription> subscription_;
};

// The open streams, so that shutdown can end them. Thread-safe.
class WatchRegistry {
 public:
  // False once EndAll() ran (the caller then finishes the stream itself).
  bool Add(std::shared_ptr<WatchFeed> feed);
  void Remove(const std::shared_ptr<WatchFeed>& feed);
  // Finishes every open stream with UNAVAILABLE and refuses new ones. Idempotent.
  void EndAll();

 private:
  absl::Mutex mutex_;
  bool ended_ ABSL_GUARDED_BY(mutex_) = false;
  absl::flat_hash_set<std::shared_ptr<WatchFeed>> feeds_ ABSL_GUARDED_BY(mutex_);
};

// The reactor of one stream; deletes itself in OnDone().
class WatchCall final : public grpc::ServerWriteReactor<weft::control::v1::Event> {
 public:
  // Starts the stream: subscribes on `home` and feeds `kinds` (empty: all). `hub`, `home` and
  // `registry` outlive the call.
  static WatchCall* Start(EventHub& hub, reactor::EventLoop& home, WatchRegistry& registry,
                          std::vector<EventKind> kinds);

  // grpc::ServerWriteReactor
  void OnWriteDone(bool ok) override { feed_->WriteDone(ok); }
  void OnCancel() override;
  void OnDone() override;

 private:
  WatchCall(EventHub& hub, reactor::EventLoop& home, WatchRegistry& registry)
      : registry_(registry), feed_(std::make_shared<WatchFeed>(hub, home, this)) {}

  WatchRegistry& registry_;
  std::shared_ptr<WatchFeed> feed_;
};

}  // namespace weft::broker::control

#endif  // WEFT_BROKER_CONTROL_WATCH_CALL_H_
