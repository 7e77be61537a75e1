// Test helpers for Deferred<T>: record what a chain delivers, and prove what it frees.
//
// Part of //reactor/testing (testonly). Shared by the Deferred and coroutine tests.
#ifndef WEFT_REACTOR_TESTING_DEFERRED_RECORDER_H_
#define WEFT_REACTOR_TESTING_DEFERRED_RECORDER_H_

#include <optional>
#include <utility>

#include "reactor/deferred.h"

namespace weft::reactor {

// Counts its own destruction (moved-from copies do not count), to prove a chain or a coroutine
// frame was freed.
class Tracker {
 public:
  explicit Tracker(int& destroyed) : destroyed_(&destroyed) {}
  Tracker(Tracker&& other) noexcept : destroyed_(std::exchange(other.destroyed_, nullptr)) {}
  Tracker& operator=(Tracker&&) = delete;
  ~Tracker() {
    if (destroyed_ != nullptr) ++*destroyed_;
  }

 private:
  int* destroyed_;
};

// The result a consumed Deferred delivered, and how many times it arrived.
template <typename T>
struct Recorded {
  std::optional<DeferredResult<T>> result;
  int deliveries = 0;
};

// Consumes `d` and records its result in `out`, which must outlive the chain.
template <typename T>
Deferred<void> Record(Deferred<T> d, Recorded<T>& out) {
  return std::move(d).Handle([&out](DeferredResult<T> r) {
    out.result = std::move(r);
    ++out.deliveries;
  });
}

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TESTING_DEFERRED_RECORDER_H_
