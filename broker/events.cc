#include "broker/events.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "reactor/base/check.h"

namespace weft::broker {

EventHub::Subscription::~Subscription() {
  if (!subscriber_->cancelled.exchange(true)) watchers_->fetch_sub(1, std::memory_order_relaxed);
}

std::optional<BrokerEvent> EventHub::Subscription::Next() {
  Subscriber& s = *subscriber_;
  if (s.dropped > 0) {
    BrokerEvent marker;
    marker.at = s.dropped_at;
    marker.kind = EventKind::kEventsDropped;
    marker.subject = "watch";
    marker.detail = absl::StrCat("dropped ", s.dropped,
                                 " events: this watcher read more slowly than they came");
    s.dropped = 0;
    return marker;
  }
  if (s.queue.empty()) {
    s.signalled = false;
    return std::nullopt;
  }
  BrokerEvent event = std::move(s.queue.front());
  s.queue.pop_front();
  return event;
}

std::unique_ptr<EventHub::Subscription> EventHub::Subscribe(const std::vector<EventKind>& kinds,
                                                            std::size_t capacity,
                                                            absl::AnyInvocable<void()> ready) {
  WEFT_DCHECK(home_.IsInLoopThread());
  WEFT_CHECK(capacity > 0);
  auto subscriber = std::make_shared<Subscriber>();
  for (EventKind kind : kinds) subscriber->kinds |= uint32_t{1} << static_cast<int>(kind);
  subscriber->capacity = capacity;
  subscriber->ready = std::move(ready);
  subscribers_.push_back(subscriber);
  watchers_->fetch_add(1, std::memory_order_relaxed);
  return std::make_unique<Subscription>(std::move(subscriber), watchers_);
}

void EventHub::Emit(EventKind kind, std::string subject, std::string detail) {
  if (home_.IsInLoopThread()) {
    Deliver(kind, std::move(subject), std::move(detail));
    return;
  }
  home_.Post([this, kind, subject = std::move(subject), detail = std::move(detail)]() mutable {
    Deliver(kind, std::move(subject), std::move(detail));
  });
}

void EventHub::Deliver(EventKind kind, std::string subject, std::string detail) {
  // Ended subscriptions leave here, on the home loop.
  std::erase_if(subscribers_,
                [](const std::shared_ptr<Subscriber>& s) { return s->cancelled.load(); });
  if (subscribers_.empty()) return;
  BrokerEvent event{++sequence_, home_.clock().Now(), kind, std::move(subject), std::move(detail)};
  const uint32_t bit = uint32_t{1} << static_cast<int>(kind);
  // `ready` may subscribe or end a subscription: walk a copy.
  std::vector<std::shared_ptr<Subscriber>> subscribers = subscribers_;
  for (const std::shared_ptr<Subscriber>& s : subscribers) {
    if (s->cancelled || (s->kinds != 0 && (s->kinds & bit) == 0)) continue;
    if (s->queue.size() >= s->capacity) {
      s->dropped_at = s->queue.front().at;
      s->queue.pop_front();
      ++s->dropped;
    }
    s->queue.push_back(event);
    if (!s->signalled) {
      s->signalled = true;
      s->ready();
    }
  }
}

}  // namespace weft::broker
