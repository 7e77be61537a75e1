#include "broker/weftd_gateways.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

namespace weft::broker {
namespace {

// Gathers one result per loop and answers once the last is in. Any thread.
template <typename Result>
class Gather {
 public:
  Gather(int loops, Result initial, absl::AnyInvocable<void(Result)> done)
      : remaining_(loops), result_(std::move(initial)), done_(std::move(done)) {}

  // Folds one loop's part in with `fold`; the last one answers.
  template <typename Fold>
  void Add(Fold fold) {
    absl::AnyInvocable<void(Result)> done;
    Result result;
    {
      absl::MutexLock lock(&mutex_);
      fold(result_);
      if (--remaining_ > 0) return;
      done = std::move(done_);
      result = std::move(result_);
    }
    done(std::move(result));
  }

 private:
  absl::Mutex mutex_;
  int remaining_ ABSL_GUARDED_BY(mutex_);
  Result result_ ABSL_GUARDED_BY(mutex_);
  absl::AnyInvocable<void(Result)> done_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace

std::vector<std::string> WeftdGateways::names() const {
  std::vector<std::string> names;
  for (const Entry& entry : entries_) names.push_back(entry.name);
  return names;
}

WeftdGateways::Entry* WeftdGateways::Find(absl::string_view name) {
  for (Entry& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

void WeftdGateways::Drain(absl::string_view gateway,
                          absl::AnyInvocable<void(absl::StatusOr<int64_t>)> done) {
  Entry* entry = Find(gateway);
  if (entry == nullptr) {
    return done(absl::NotFoundError(absl::StrCat("no gateway '", gateway, "' runs in this weftd (",
                                                 absl::StrJoin(names(), ", "), ")")));
  }
  auto gather = std::make_shared<Gather<absl::StatusOr<int64_t>>>(
      static_cast<int>(entry->drain.size()), int64_t{0}, std::move(done));
  for (std::size_t i = 0; i < entry->drain.size(); ++i) {
    group_.loop(static_cast<int>(i)).Post([entry, i, gather] {
      const std::size_t open = entry->drain[i]();
      gather->Add([open](absl::StatusOr<int64_t>& sum) { *sum += static_cast<int64_t>(open); });
    });
  }
}

void WeftdGateways::Enable(absl::string_view gateway, absl::AnyInvocable<void(absl::Status)> done) {
  Entry* entry = Find(gateway);
  if (entry == nullptr) {
    return done(absl::NotFoundError(absl::StrCat("no gateway '", gateway, "' runs in this weftd (",
                                                 absl::StrJoin(names(), ", "), ")")));
  }
  auto gather = std::make_shared<Gather<absl::Status>>(static_cast<int>(entry->resume.size()),
                                                       absl::OkStatus(), std::move(done));
  for (std::size_t i = 0; i < entry->resume.size(); ++i) {
    group_.loop(static_cast<int>(i)).Post([this, entry, i, gather] {
      absl::Status resumed =
          stopping_.load() ? absl::CancelledError("weftd is shutting down") : entry->resume[i]();
      gather->Add([&resumed, entry](absl::Status& first) {
        if (first.ok() && !resumed.ok()) {
          first = absl::Status(resumed.code(),
                               absl::StrCat("listeners.", entry->name, ": ", resumed.message()));
        }
      });
    });
  }
}

}  // namespace weft::broker
