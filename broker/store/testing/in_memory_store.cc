#include "broker/store/testing/in_memory_store.h"

#include <algorithm>
#include <iterator>
#include <limits>

namespace weft::broker::store {
namespace {

// The real stores keep times as microseconds since the epoch; so does the fake.
absl::Time ToStoredTime(absl::Time time) { return absl::FromUnixMicros(absl::ToUnixMicros(time)); }

}  // namespace

absl::StatusOr<std::vector<EnqueueResult>> InMemoryStore::Commit(const WriteBatch& batch) {
  absl::MutexLock lock(&mutex_);
  if (!commit_failure_.ok()) return commit_failure_;
  std::vector<EnqueueResult> results;
  results.reserve(batch.enqueue.size());
  for (const NewMessage& message : batch.enqueue) {
    EnqueueResult& result = results.emplace_back();
    result.id = EnqueueLocked(message, result.duplicate);
  }
  for (int64_t id : batch.complete) {
    if (FindLiveLocked(id) != nullptr) messages_.erase(id);
  }
  for (const AttemptFailed& failed : batch.failed) {
    StoredMessage* message = FindLiveLocked(failed.id);
    if (message == nullptr) continue;
    message->attempts = failed.attempts;
    message->next_attempt_at = ToStoredTime(failed.next_attempt_at);
    message->last_error = failed.error;
  }
  for (const DeadLettered& dead : batch.dead) {
    StoredMessage* message = FindLiveLocked(dead.id);
    if (message == nullptr) continue;
    message->attempts = dead.attempts;
    message->last_error = dead.error;
    message->dead = true;
  }
  ++commit_count_;
  return results;
}

int64_t InMemoryStore::EnqueueLocked(const NewMessage& message, bool& duplicate) {
  if (!message.idempotency_key.empty()) {
    auto it = keys_.find({message.queue, message.idempotency_key});
    if (it != keys_.end()) {
      duplicate = true;
      return it->second.message_id;
    }
  }
  const int64_t id = ++last_id_;
  StoredMessage& stored = messages_[id];
  stored.id = id;
  stored.queue = message.queue;
  stored.service = message.service;
  stored.method = message.method;
  stored.payload = message.payload;
  stored.metadata = message.metadata;
  stored.idempotency_key = message.idempotency_key;
  stored.enqueued_at = ToStoredTime(message.enqueued_at);
  stored.next_attempt_at = stored.enqueued_at;
  if (!message.idempotency_key.empty()) {
    keys_[{message.queue, message.idempotency_key}] = KeyRecord{id, stored.enqueued_at};
  }
  duplicate = false;
  return id;
}

StoredMessage* InMemoryStore::FindLiveLocked(int64_t id) {
  auto it = messages_.find(id);
  return it == messages_.end() || it->second.dead ? nullptr : &it->second;
}

std::vector<StoredMessage> InMemoryStore::LoadLocked(absl::string_view queue, bool dead,
                                                     int64_t after_id, std::size_t limit) const {
  std::vector<StoredMessage> out;
  if (after_id == std::numeric_limits<int64_t>::max()) return out;
  for (auto it = messages_.upper_bound(after_id); it != messages_.end() && out.size() < limit;
       ++it) {
    if (it->second.queue == queue && it->second.dead == dead) out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<std::vector<StoredMessage>> InMemoryStore::LoadLive(absl::string_view queue,
                                                                   int64_t after_id,
                                                                   std::size_t limit) {
  absl::ReaderMutexLock lock(&mutex_);
  if (!read_failure_.ok()) return read_failure_;
  return LoadLocked(queue, /*dead=*/false, after_id, limit);
}

absl::StatusOr<std::vector<StoredMessage>> InMemoryStore::LoadDead(absl::string_view queue,
                                                                   int64_t after_id,
                                                                   std::size_t limit) {
  absl::ReaderMutexLock lock(&mutex_);
  if (!read_failure_.ok()) return read_failure_;
  return LoadLocked(queue, /*dead=*/true, after_id, limit);
}

absl::StatusOr<StoredMessage> InMemoryStore::Get(int64_t id) {
  absl::ReaderMutexLock lock(&mutex_);
  if (!read_failure_.ok()) return read_failure_;
  auto it = messages_.find(id);
  if (it == messages_.end()) return absl::NotFoundError("store: no such message");
  return it->second;
}

absl::StatusOr<std::vector<QueueInfo>> InMemoryStore::ListQueues() {
  absl::ReaderMutexLock lock(&mutex_);
  if (!read_failure_.ok()) return read_failure_;
  std::map<std::string, QueueInfo> queues;
  for (const auto& [id, message] : messages_) {
    QueueInfo& info = queues[message.queue];
    info.name = message.queue;
    if (message.dead) {
      ++info.dead;
      continue;
    }
    ++info.live;
    if (!info.oldest_live.has_value() || message.enqueued_at < *info.oldest_live) {
      info.oldest_live = message.enqueued_at;
    }
  }
  std::vector<QueueInfo> out;
  out.reserve(queues.size());
  for (auto& [name, info] : queues) out.push_back(std::move(info));
  return out;
}

absl::StatusOr<int64_t> InMemoryStore::Replay(absl::string_view queue, std::optional<int64_t> id,
                                              absl::Time now) {
  absl::MutexLock lock(&mutex_);
  if (!maintenance_failure_.ok()) return maintenance_failure_;
  int64_t count = 0;
  for (auto& [message_id, message] : messages_) {
    if (!message.dead || message.queue != queue || (id.has_value() && message_id != *id)) continue;
    message.dead = false;
    message.attempts = 0;
    message.next_attempt_at = ToStoredTime(now);
    message.last_error.clear();
    ++count;
  }
  if (id.has_value() && count == 0) return absl::NotFoundError("store: no such dead letter");
  return count;
}

absl::StatusOr<int64_t> InMemoryStore::Purge(absl::string_view queue, bool include_live) {
  absl::MutexLock lock(&mutex_);
  if (!maintenance_failure_.ok()) return maintenance_failure_;
  const std::size_t before = messages_.size();
  std::erase_if(messages_, [&](const auto& entry) {
    return entry.second.queue == queue && (entry.second.dead || include_live);
  });
  return static_cast<int64_t>(before - messages_.size());
}

absl::StatusOr<int64_t> InMemoryStore::ExpireIdempotencyKeys(absl::Time cutoff) {
  absl::MutexLock lock(&mutex_);
  if (!maintenance_failure_.ok()) return maintenance_failure_;
  const absl::Time stored_cutoff = ToStoredTime(cutoff);
  const std::size_t before = keys_.size();
  std::erase_if(keys_, [&](const auto& entry) {
    return entry.second.recorded_at < stored_cutoff && !messages_.contains(entry.second.message_id);
  });
  return static_cast<int64_t>(before - keys_.size());
}

void InMemoryStore::FailCommits(absl::Status status) {
  absl::MutexLock lock(&mutex_);
  commit_failure_ = std::move(status);
}

void InMemoryStore::FailReads(absl::Status status) {
  absl::MutexLock lock(&mutex_);
  read_failure_ = std::move(status);
}

void InMemoryStore::FailMaintenance(absl::Status status) {
  absl::MutexLock lock(&mutex_);
  maintenance_failure_ = std::move(status);
}

int64_t InMemoryStore::commit_count() const {
  absl::MutexLock lock(&mutex_);
  return commit_count_;
}

}  // namespace weft::broker::store
