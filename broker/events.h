// EventHub: the broker's feed of events (connections opened and closed, services registered and
// unregistered, routing failures, dead letters, route changes) for the control plane's Watch.
//
// Part of //broker. The hub lives on the home loop (loop 0), which stamps every event with a
// sequence number, so subscribers see one order. Events raised on another loop are posted to the
// home loop, after the work that loop posted there before (a connection's Connect, Register and
// Disconnect reach the home loop in the order they happened). Nothing is built or posted while
// nobody watches: emitters test watched() first, a relaxed atomic load.
//
// Each subscriber has a bounded queue. A subscriber that reads too slowly loses its oldest
// events, never stalls the broker: its next read is a kEventsDropped marker saying how many it
// missed, followed by the events kept, in order.
#ifndef WEFT_BROKER_EVENTS_H_
#define WEFT_BROKER_EVENTS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "reactor/event_loop.h"

namespace weft::broker {

// The numbers are weft.control.v1.EventKind's.
enum class EventKind {
  kConnectionOpened = 1,
  kConnectionClosed = 2,
  kServiceRegistered = 3,
  kServiceUnregistered = 4,
  kRoutingFailed = 5,
  kDeadLetter = 6,
  kRouteChanged = 7,
  kEventsDropped = 8,
};

struct BrokerEvent {
  // Grows by one per event the hub took (events are taken only while someone watches); 0 for a
  // kEventsDropped marker, which is per subscriber.
  uint64_t sequence = 0;
  absl::Time at;
  EventKind kind = EventKind::kConnectionOpened;
  // What it is about: a connection id, a service, a "service.method" target, a queue, a route.
  std::string subject;
  // Readable detail ("NOT_FOUND: no service 'demo.Nope'").
  std::string detail;
};

class EventHub {
 private:
  struct Subscriber;

 public:
  // A subscription; destroying it (any thread, even after the hub is gone) ends it.
  class Subscription {
   public:
    Subscription(std::shared_ptr<Subscriber> subscriber, std::shared_ptr<std::atomic<int>> watchers)
        : subscriber_(std::move(subscriber)), watchers_(std::move(watchers)) {}
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription();

    // The next event in order (a kEventsDropped marker first when some were lost), or nullopt
    // when none is waiting; `ready` fires again once one arrives. Home loop only.
    std::optional<BrokerEvent> Next();

   private:
    std::shared_ptr<Subscriber> subscriber_;
    // Shared, so that a subscription may outlive the hub (ended after the broker is gone).
    std::shared_ptr<std::atomic<int>> watchers_;
  };

  // `home` is the broker's loop 0 and outlives the hub; so do the subscriptions' users.
  explicit EventHub(reactor::EventLoop& home) : home_(home) {}
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Subscribes to `kinds` (empty: every kind), keeping at most `capacity` (> 0) unread events.
  // `ready` runs on the home loop when an event arrives while none was waiting (then read with
  // Next() until it returns nullopt). Home loop only.
  std::unique_ptr<Subscription> Subscribe(const std::vector<EventKind>& kinds, std::size_t capacity,
                                          absl::AnyInvocable<void()> ready);

  // True while anyone watches. Any thread; a relaxed load, for emitters to skip all work.
  bool watched() const { return watchers_->load(std::memory_order_relaxed) > 0; }

  // Hands an event to every subscriber that wants its kind. Any loop: from another loop it is
  // posted to the home loop. Call only when watched() (it is a no-op otherwise, but the caller
  // has built the strings by then).
  void Emit(EventKind kind, std::string subject, std::string detail);

 private:
  struct Subscriber {
    uint32_t kinds = 0;  // Bit (1 << kind); 0: every kind.
    std::size_t capacity = 0;
    absl::AnyInvocable<void()> ready;
    std::atomic<bool> cancelled{false};
    // Home loop only:
    std::deque<BrokerEvent> queue;
    uint64_t dropped = 0;
    absl::Time dropped_at;   // When the newest dropped event happened.
    bool signalled = false;  // `ready` ran and Next() has not come up empty since.
  };

  void Deliver(EventKind kind, std::string subject, std::string detail);

  reactor::EventLoop& home_;
  // Subscriptions not ended.
  const std::shared_ptr<std::atomic<int>> watchers_ = std::make_shared<std::atomic<int>>(0);
  // Home loop only.
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  uint64_t sequence_ = 0;
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_EVENTS_H_
