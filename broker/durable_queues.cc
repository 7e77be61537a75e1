#include "broker/durable_queues.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "broker/broker_shard.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace weft::broker {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::internal::WireFormatLite;

// Metadata the target sees on every delivery, so that it can recognise a redelivery.
constexpr absl::string_view kMessageIdKey = "weft-message-id";
constexpr absl::string_view kIdempotencyKey = "weft-idempotency-key";
constexpr absl::string_view kAttemptKey = "weft-delivery-attempt";

// How often expired idempotency keys are forgotten.
constexpr absl::Duration kExpireEvery = absl::Hours(1);
// How long failed completion writes wait before they are tried again.
constexpr absl::Duration kRetryWritesAfter = absl::Seconds(1);

std::string ErrorText(const absl::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
}

// The last value of top-level field `field` in a serialized message, as text; nullopt when the
// message lacks it, an error when the payload is malformed or the field's type cannot be a key.
absl::StatusOr<std::optional<std::string>> ReadKeyField(absl::string_view payload,
                                                        const FieldDescriptor& field) {
  const FieldDescriptor::Type type = field.type();
  const bool varint = type == FieldDescriptor::TYPE_INT32 || type == FieldDescriptor::TYPE_INT64 ||
                      type == FieldDescriptor::TYPE_UINT32 || type == FieldDescriptor::TYPE_UINT64;
  if (field.is_repeated() ||
      (!varint && type != FieldDescriptor::TYPE_STRING && type != FieldDescriptor::TYPE_BYTES)) {
    return absl::FailedPreconditionError(
        absl::StrCat("idempotency field '", field.full_name(),
                     "' must be a singular string, bytes or integer field"));
  }
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(payload.data()),
                                            static_cast<int>(payload.size()));
  std::optional<std::string> value;
  while (uint32_t tag = in.ReadTag()) {
    const bool match = WireFormatLite::GetTagFieldNumber(tag) == field.number();
    if (match && varint && WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_VARINT) {
      uint64_t number = 0;
      if (!in.ReadVarint64(&number)) break;
      value = (type == FieldDescriptor::TYPE_INT32 || type == FieldDescriptor::TYPE_INT64)
                  ? absl::StrCat(static_cast<int64_t>(number))
                  : absl::StrCat(number);
    } else if (match && !varint &&
               WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length = 0;
      std::string bytes;
      if (!in.ReadVarint32(&length) || !in.ReadString(&bytes, static_cast<int>(length))) break;
      value = std::move(bytes);
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      break;
    }
  }
  if (!in.ConsumedEntireMessage() && in.CurrentPosition() != static_cast<int>(payload.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("payload is not a valid ", field.containing_type()->full_name()));
  }
  return value;
}

}  // namespace

struct DurableQueues::Queue {
  QueueSpec spec;
  bool configured = false;
  // Loaded live messages not in flight, by id (a retried message of an ordered queue goes back to
  // the front); unordered queues park messages waiting for a retry in `delayed`.
  std::deque<store::StoredMessage> ready;
  std::vector<store::StoredMessage> delayed;
  // Every message in memory: ready, delayed, in flight, or delivered or dead-lettered with the
  // write not committed yet. A reload skips them.
  absl::flat_hash_set<int64_t> held;
  int64_t loaded_up_to = 0;
  // True when every live message with an id above loaded_up_to arrives through Enqueued(), so the
  // window needs no reload.
  bool complete = false;
  bool loading = false;
  // Bumped by Reset(): a reload started before it is dropped.
  uint64_t generation = 0;
  int64_t in_flight = 0;
  std::unique_ptr<reactor::Timer> timer;
  uint64_t delivered = 0;
  uint64_t retries = 0;
  uint64_t dead_lettered = 0;

  int64_t limit() const { return spec.policy.ordered ? 1 : spec.policy.max_in_flight; }
};

DurableQueues::DurableQueues(BrokerShard& home, reactor::EventLoop& loop,
                             store::StoreExecutor& store, absl::Duration idempotency_retention,
                             EventHub* events)
    : home_(home),
      loop_(loop),
      store_(store),
      idempotency_retention_(idempotency_retention),
      events_(events),
      liveness_(std::make_shared<DurableQueues*>(this)) {}

DurableQueues::~DurableQueues() { Stop(); }

void DurableQueues::Start() {
  self_ = home_.Connect(*this, "durable-queues");
  for (auto& [name, queue] : queues_) Refill(*queue);
  expire_timer_ = loop_.CreateTimer([this] {
    const absl::Time cutoff = loop_.clock().Now() - idempotency_retention_;
    store_
        .Run<int64_t>(loop_,
                      [cutoff](store::Store& store) { return store.ExpireIdempotencyKeys(cutoff); })
        .Handle([](absl::StatusOr<int64_t>) {});
    expire_timer_->Schedule(kExpireEvery);
  });
  expire_timer_->Schedule(kExpireEvery);
}

void DurableQueues::Stop() {
  if (!self_.has_value()) return;
  const ConnectionRef self = *self_;
  self_.reset();
  in_flight_.clear();
  home_.Disconnect(self);
  expire_timer_.reset();
  retry_writes_timer_.reset();
  for (auto& [name, queue] : queues_) queue->timer.reset();
}

absl::Status DurableQueues::Configure(QueueSpec spec) {
  if (spec.name.empty() || spec.name.size() > kMaxQueueNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("durable queue: name must be 1 to ", kMaxQueueNameBytes, " bytes"));
  }
  if (!spec.policy.idempotency_metadata.empty() && !spec.policy.idempotency_field.empty()) {
    return absl::InvalidArgumentError(
        "durable queue: set idempotency_metadata or idempotency_field, not both");
  }
  Queue& queue = QueueFor(spec.name);
  const bool was_configured = queue.configured;
  queue.spec = std::move(spec);
  queue.configured = true;
  if (self_.has_value() && !was_configured) Refill(queue);
  SchedulePump();
  return absl::OkStatus();
}

bool DurableQueues::Remove(absl::string_view name) {
  auto it = queues_.find(name);
  if (it == queues_.end() || !it->second->configured) return false;
  it->second->configured = false;
  it->second->timer.reset();
  return true;
}

const QueueSpec* DurableQueues::Find(absl::string_view name) const {
  auto it = queues_.find(name);
  return it == queues_.end() || !it->second->configured ? nullptr : &it->second->spec;
}

DurableQueues::Queue& DurableQueues::QueueFor(absl::string_view name) {
  std::unique_ptr<Queue>& queue = queues_[name];
  if (queue == nullptr) {
    queue = std::make_unique<Queue>();
    queue->spec.name = std::string(name);
  }
  return *queue;
}

void DurableQueues::Accept(absl::string_view queue_name, absl::string_view service,
                           absl::string_view method_name,
                           const google::protobuf::MethodDescriptor* method,
                           absl::string_view payload, MetadataView metadata,
                           absl::AnyInvocable<void(absl::Status)> answer) {
  auto it = queues_.find(queue_name);
  if (it == queues_.end() || !it->second->configured) {
    ++stats_.refused;
    answer(absl::NotFoundError(absl::StrCat("no durable queue '", queue_name, "'")));
    return;
  }
  const QueueSpec& spec = it->second->spec;
  store::NewMessage message;
  if (!spec.policy.idempotency_metadata.empty()) {
    for (const auto& [key, value] : metadata) {
      if (key == spec.policy.idempotency_metadata) message.idempotency_key = std::string(value);
    }
  } else if (!spec.policy.idempotency_field.empty()) {
    const FieldDescriptor* field =
        method == nullptr ? nullptr
                          : method->input_type()->FindFieldByName(spec.policy.idempotency_field);
    if (field == nullptr) {
      ++stats_.refused;
      answer(absl::FailedPreconditionError(absl::StrCat(
          "durable queue '", queue_name, "': the request type of '", service, ".", method_name,
          "' is unknown or has no field '", spec.policy.idempotency_field, "'")));
      return;
    }
    absl::StatusOr<std::optional<std::string>> key = ReadKeyField(payload, *field);
    if (!key.ok()) {
      ++stats_.refused;
      answer(key.status());
      return;
    }
    message.idempotency_key = key->value_or("");
  }
  if (message.idempotency_key.size() > kMaxIdempotencyKeyBytes) {
    ++stats_.refused;
    answer(absl::InvalidArgumentError(absl::StrCat("durable queue '", queue_name,
                                                   "': idempotency key longer than ",
                                                   kMaxIdempotencyKeyBytes, " bytes")));
    return;
  }
  if (message.idempotency_key.empty() &&
      !(spec.policy.idempotency_metadata.empty() && spec.policy.idempotency_field.empty())) {
    ++stats_.refused;
    answer(absl::InvalidArgumentError(
        absl::StrCat("durable queue '", queue_name, "' needs an idempotency key in ",
                     spec.policy.idempotency_metadata.empty() ? "field '" : "metadata '",
                     spec.policy.idempotency_metadata.empty() ? spec.policy.idempotency_field
                                                              : spec.policy.idempotency_metadata,
                     "'")));
    return;
  }
  message.queue = std::string(queue_name);
  message.service = spec.service.empty() ? std::string(service) : spec.service;
  message.method = std::string(method_name);
  message.payload = std::string(payload);
  for (const auto& [key, value] : metadata) message.metadata.emplace_back(key, value);
  message.enqueued_at = loop_.clock().Now();
  store::StoredMessage stored;
  stored.queue = message.queue;
  stored.service = message.service;
  stored.method = message.method;
  stored.payload = message.payload;
  stored.metadata = message.metadata;
  stored.idempotency_key = message.idempotency_key;
  stored.enqueued_at = message.enqueued_at;
  stored.next_attempt_at = message.enqueued_at;
  store::WriteBatch batch;
  batch.enqueue.push_back(std::move(message));
  store_.Commit(loop_, std::move(batch))
      .Handle([weak = std::weak_ptr<DurableQueues*>(liveness_), stored = std::move(stored),
               answer = std::move(answer)](
                  absl::StatusOr<std::vector<store::EnqueueResult>> result) mutable {
        std::shared_ptr<DurableQueues*> self = weak.lock();
        if (self == nullptr) return;
        DurableQueues& queues = **self;
        if (!result.ok() || result->size() != 1) {
          ++queues.stats_.refused;
          answer(result.ok() ? absl::InternalError("store: bad commit result") : result.status());
          return;
        }
        if ((*result)[0].duplicate) {
          ++queues.stats_.duplicates;
        } else {
          ++queues.stats_.accepted;
          stored.id = (*result)[0].id;
          Queue& queue = queues.QueueFor(stored.queue);  // Before `stored` is moved from.
          queues.Enqueued(queue, std::move(stored));
        }
        answer(absl::OkStatus());
      });
}

void DurableQueues::ServiceAvailable(absl::string_view service) {
  const absl::Time now = loop_.clock().Now();
  bool woke = false;
  for (auto& [name, queue] : queues_) {
    auto wake = [&](store::StoredMessage& message) {
      if (message.service == service && message.next_attempt_at > now) {
        message.next_attempt_at = now;
        woke = true;
      }
    };
    if (!queue->ready.empty()) wake(queue->ready.front());  // Only the head can be waiting.
    for (store::StoredMessage& message : queue->delayed) wake(message);
  }
  if (woke) SchedulePump();
}

void DurableQueues::Enqueued(Queue& queue, store::StoredMessage message) {
  if (!queue.complete || queue.ready.size() >= kWindow) {
    queue.complete = false;  // The next Refill() reads it from the store.
    return;
  }
  queue.loaded_up_to = std::max(queue.loaded_up_to, message.id);
  queue.held.insert(message.id);
  queue.ready.push_back(std::move(message));
  if (queue.configured) SchedulePump();
}

void DurableQueues::Refill(Queue& queue) {
  if (queue.loading || queue.complete || !self_.has_value()) return;
  queue.loading = true;
  const uint64_t generation = queue.generation;
  store_
      .Run<std::vector<store::StoredMessage>>(
          loop_, [name = queue.spec.name, after = queue.loaded_up_to](
                     store::Store& store) { return store.LoadLive(name, after, kWindow); })
      .Handle([weak = std::weak_ptr<DurableQueues*>(liveness_), &queue,
               generation](absl::StatusOr<std::vector<store::StoredMessage>> loaded) {
        std::shared_ptr<DurableQueues*> self = weak.lock();
        if (self == nullptr) return;
        queue.loading = false;
        if (generation != queue.generation) return (*self)->Refill(queue);
        if (!loaded.ok()) {
          ++(*self)->stats_.store_errors;
          if (queue.timer == nullptr) {
            queue.timer =
                (*self)->loop_.CreateTimer([self = *self, &queue] { self->Refill(queue); });
          }
          queue.timer->Schedule(kRetryWritesAfter);
          return;
        }
        queue.complete = loaded->size() < kWindow;
        for (store::StoredMessage& message : *loaded) {
          queue.loaded_up_to = std::max(queue.loaded_up_to, message.id);
          if (queue.held.insert(message.id).second) queue.ready.push_back(std::move(message));
        }
        (*self)->SchedulePump();
      });
}

void DurableQueues::Reset(Queue& queue) {
  ++queue.generation;
  for (const store::StoredMessage& message : queue.ready) queue.held.erase(message.id);
  for (const store::StoredMessage& message : queue.delayed) queue.held.erase(message.id);
  queue.ready.clear();
  queue.delayed.clear();
  queue.loaded_up_to = 0;
  queue.complete = false;
  if (queue.configured) Refill(queue);
}

void DurableQueues::SchedulePump() {
  if (pump_scheduled_) return;
  pump_scheduled_ = true;
  loop_.Post([weak = std::weak_ptr<DurableQueues*>(liveness_)] {
    if (std::shared_ptr<DurableQueues*> self = weak.lock()) (*self)->Pump();
  });
}

void DurableQueues::Pump() {
  pump_scheduled_ = false;
  if (!self_.has_value()) return;
  for (auto& [name, queue] : queues_) {
    if (queue->configured) PumpQueue(*queue);
  }
}

void DurableQueues::PumpQueue(Queue& queue) {
  const absl::Time now = loop_.clock().Now();
  absl::Time next_due = absl::InfiniteFuture();
  for (auto it = queue.delayed.begin(); it != queue.delayed.end();) {
    if (it->next_attempt_at <= now) {
      queue.ready.push_front(std::move(*it));
      it = queue.delayed.erase(it);
    } else {
      next_due = std::min(next_due, it->next_attempt_at);
      ++it;
    }
  }
  while (queue.in_flight < queue.limit() && !queue.ready.empty()) {
    if (queue.ready.front().next_attempt_at > now) {
      if (queue.spec.policy.ordered) {
        next_due = std::min(next_due, queue.ready.front().next_attempt_at);
        break;
      }
      queue.delayed.push_back(std::move(queue.ready.front()));
      queue.ready.pop_front();
      next_due = std::min(next_due, queue.delayed.back().next_attempt_at);
      continue;
    }
    store::StoredMessage message = std::move(queue.ready.front());
    queue.ready.pop_front();
    Deliver(queue, std::move(message));
  }
  if (queue.ready.size() < kWindow / 2) Refill(queue);
  if (next_due == absl::InfiniteFuture()) return;
  if (queue.timer == nullptr) {
    queue.timer = loop_.CreateTimer([this, &queue] { PumpQueue(queue); });
  }
  queue.timer->Schedule(next_due - now);
}

void DurableQueues::Deliver(Queue& queue, store::StoredMessage message) {
  const uint64_t call_id = next_call_++;
  ++queue.in_flight;
  Delivery& delivery = in_flight_[call_id];
  delivery.queue = &queue;
  delivery.message = std::move(message);
  // Views into the delivery's own copy, which stays put until the reply.
  const store::StoredMessage& stored = delivery.message;
  const std::string id = absl::StrCat(stored.id);
  const std::string attempt = absl::StrCat(stored.attempts + 1);
  std::vector<std::pair<absl::string_view, absl::string_view>> metadata;
  metadata.reserve(stored.metadata.size() + 3);
  for (const auto& [key, value] : stored.metadata) metadata.emplace_back(key, value);
  metadata.emplace_back(kMessageIdKey, id);
  metadata.emplace_back(kAttemptKey, attempt);
  if (!stored.idempotency_key.empty())
    metadata.emplace_back(kIdempotencyKey, stored.idempotency_key);
  IncomingCall call;
  call.call_id = call_id;
  call.service = stored.service;
  call.method = stored.method;
  call.payload = stored.payload;
  call.timeout_micros = absl::ToInt64Microseconds(queue.spec.policy.attempt_timeout);
  call.metadata = metadata;
  home_.Deliver(*self_, call);
}

void DurableQueues::OnReply(uint64_t call_id, const absl::Status& status, const Payload&) {
  auto it = in_flight_.find(call_id);
  if (it == in_flight_.end()) return;
  Queue& queue = *it->second.queue;
  store::StoredMessage message = std::move(it->second.message);
  in_flight_.erase(it);
  --queue.in_flight;
  if (status.ok()) {
    ++queue.delivered;
    ++stats_.delivered;
    writes_.complete.push_back(message.id);
    settling_.emplace_back(&queue, message.id);
  } else {
    Failed(queue, std::move(message), status);
  }
  FlushWrites();
  SchedulePump();
}

void DurableQueues::Failed(Queue& queue, store::StoredMessage message, const absl::Status& status) {
  message.attempts += 1;
  message.last_error = ErrorText(status);
  if (message.attempts >= queue.spec.policy.max_attempts) {
    ++queue.dead_lettered;
    ++stats_.dead_lettered;
    writes_.dead.push_back({message.id, message.attempts, message.last_error});
    settling_.emplace_back(&queue, message.id);
    if (events_ != nullptr && events_->watched()) {
      events_->Emit(
          EventKind::kDeadLetter, queue.spec.name,
          absl::StrCat("message ", message.id, " to ", message.service, ".", message.method,
                       " after ", message.attempts, " attempts: ", message.last_error));
    }
    return;  // Stays held until the write commits.
  }
  ++queue.retries;
  ++stats_.retries;
  message.next_attempt_at = loop_.clock().Now() + Backoff(queue.spec.policy, message.attempts);
  writes_.failed.push_back(
      {message.id, message.attempts, message.next_attempt_at, message.last_error});
  queue.ready.push_front(std::move(message));
}

absl::Duration DurableQueues::Backoff(const DurablePolicy& policy, int32_t attempts) {
  absl::Duration delay = policy.initial_backoff;
  for (int32_t i = 1; i < attempts && delay < policy.max_backoff; ++i) delay *= 2;
  delay = std::min(delay, policy.max_backoff);
  // Equal jitter: a uniform draw from the upper half keeps retries apart without shortening the
  // wait below half the schedule.
  return delay / 2 + absl::Microseconds(absl::Uniform<int64_t>(
                         random_, 0, absl::ToInt64Microseconds(delay / 2) + 1));
}

void DurableQueues::FlushWrites() {
  if (flush_scheduled_ || writes_.empty()) return;
  flush_scheduled_ = true;
  // One write per loop turn: every outcome of the turn shares it.
  loop_.Post([weak = std::weak_ptr<DurableQueues*>(liveness_)] {
    std::shared_ptr<DurableQueues*> self = weak.lock();
    if (self == nullptr) return;
    DurableQueues& queues = **self;
    queues.flush_scheduled_ = false;
    store::WriteBatch batch = std::exchange(queues.writes_, {});
    store::WriteBatch retry = batch;
    queues.store_.Commit(queues.loop_, std::move(batch))
        .Handle([weak, settled = std::exchange(queues.settling_, {}), retry = std::move(retry)](
                    absl::StatusOr<std::vector<store::EnqueueResult>> result) mutable {
          std::shared_ptr<DurableQueues*> self = weak.lock();
          if (self == nullptr) return;
          (*self)->WritesCommitted(result.status(), std::move(settled), std::move(retry));
        });
  });
}

void DurableQueues::WritesCommitted(const absl::Status& status,
                                    std::vector<std::pair<Queue*, int64_t>> settled,
                                    store::WriteBatch batch) {
  if (status.ok()) {
    for (const auto& [queue, id] : settled) queue->held.erase(id);
    return;
  }
  // The outcomes are not recorded yet: keep them (and their messages held) and try again later.
  // Nothing is lost meanwhile; a crash before they commit only means another delivery.
  ++stats_.store_errors;
  auto append = [](auto& from, auto& to) { to.insert(to.end(), from.begin(), from.end()); };
  append(batch.complete, writes_.complete);
  append(batch.failed, writes_.failed);
  append(batch.dead, writes_.dead);
  append(settled, settling_);
  if (retry_writes_timer_ == nullptr) {
    retry_writes_timer_ = loop_.CreateTimer([this] { FlushWrites(); });
  }
  retry_writes_timer_->Schedule(kRetryWritesAfter);
}

// --- Inspection and repair ---------------------------------------------------------------------

reactor::Deferred<std::vector<QueueStatus>> DurableQueues::List() {
  return store_
      .Run<std::vector<store::QueueInfo>>(loop_,
                                          [](store::Store& store) { return store.ListQueues(); })
      .Then([weak = std::weak_ptr<DurableQueues*>(liveness_)](
                std::vector<store::QueueInfo> infos) -> absl::StatusOr<std::vector<QueueStatus>> {
        std::shared_ptr<DurableQueues*> self = weak.lock();
        if (self == nullptr) return absl::CancelledError("durable queues stopped");
        absl::flat_hash_map<std::string, QueueStatus> by_name;
        for (const auto& [name, queue] : (*self)->queues_) {
          QueueStatus& status = by_name[name];
          status.name = name;
          status.configured = queue->configured;
          status.in_flight = queue->in_flight;
          status.delivered = queue->delivered;
          status.retries = queue->retries;
          status.dead_lettered = queue->dead_lettered;
        }
        for (store::QueueInfo& info : infos) {
          QueueStatus& status = by_name[info.name];
          status.name = info.name;
          status.live = info.live;
          status.dead = info.dead;
          status.oldest_live = info.oldest_live;
        }
        std::vector<QueueStatus> list;
        list.reserve(by_name.size());
        for (auto& [name, status] : by_name) list.push_back(std::move(status));
        std::sort(list.begin(), list.end(),
                  [](const QueueStatus& a, const QueueStatus& b) { return a.name < b.name; });
        return list;
      });
}

reactor::Deferred<std::vector<store::StoredMessage>> DurableQueues::DeadLetters(std::string queue,
                                                                                int64_t after_id,
                                                                                std::size_t limit) {
  return store_.Run<std::vector<store::StoredMessage>>(
      loop_, [queue = std::move(queue), after_id, limit](store::Store& store) {
        return store.LoadDead(queue, after_id, limit);
      });
}

reactor::Deferred<store::StoredMessage> DurableQueues::Get(int64_t id) {
  return store_.Run<store::StoredMessage>(loop_,
                                          [id](store::Store& store) { return store.Get(id); });
}

reactor::Deferred<int64_t> DurableQueues::Replay(std::string queue, std::optional<int64_t> id) {
  const absl::Time now = loop_.clock().Now();
  return store_
      .Run<int64_t>(loop_,
                    [queue, id, now](store::Store& store) { return store.Replay(queue, id, now); })
      .Then([weak = std::weak_ptr<DurableQueues*>(liveness_), queue](int64_t replayed) {
        // Replayed messages have old ids: reload the window so that they go first.
        if (std::shared_ptr<DurableQueues*> self = weak.lock(); self != nullptr && replayed > 0) {
          (*self)->Reset((*self)->QueueFor(queue));
        }
        return replayed;
      });
}

reactor::Deferred<int64_t> DurableQueues::Purge(std::string queue, bool include_live) {
  return store_
      .Run<int64_t>(loop_, [queue, include_live](
                               store::Store& store) { return store.Purge(queue, include_live); })
      .Then([weak = std::weak_ptr<DurableQueues*>(liveness_), queue, include_live](int64_t purged) {
        std::shared_ptr<DurableQueues*> self = weak.lock();
        if (self != nullptr && include_live) (*self)->Reset((*self)->QueueFor(queue));
        return purged;
      });
}

// --- PeerCallbacks the internal connection never gets (it hosts nothing, subscribes to nothing)

void DurableQueues::OnCall(const OutgoingCall&) {}
void DurableQueues::OnCancel(uint64_t) {}
void DurableQueues::OnRelease(absl::Span<const uint64_t>) {}
void DurableQueues::OnPublish(absl::string_view, absl::string_view, absl::string_view) {}

}  // namespace weft::broker
