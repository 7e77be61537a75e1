// Deferred<T>: a Twisted-style deferred result for one loop thread, chainable and awaitable.
//
// Part of //reactor. A Promise<T> is the producer side, a Deferred<T> the consumer side of one
// asynchronous result, which is an absl::StatusOr<T> (absl::Status for Deferred<void>; see
// DeferredResult). Consumers chain callbacks with Then()/Catch()/Handle()/Finally(), bound them
// with WithTimeout(), combine them with WhenAll(), or co_await them from a coroutine that itself
// returns a Deferred. Blocking work goes to a thread pool through DeferToThread()
// (thread_pool.h). docs/reactor/deferred.md has the model and examples.
//
//   Deferred<Reply> Fetch(Request r);
//   Deferred<std::string> name = Fetch(r).Then([](Reply reply) { return reply.name; });
//
//   Deferred<int> Sum(Client& c) {
//     absl::StatusOr<int> a = co_await c.Get("a");
//     if (!a.ok()) co_return a.status();
//     co_return *a + 1;
//   }
//
// Loop affinity: a chain (every Deferred and Promise linked to it, and every callback) belongs to
// the thread that created it, normally a loop thread. Nothing here locks. A Promise may travel to
// another thread only as an opaque token that comes back before it is resolved or destroyed, as
// DeferToThread() does through EventLoop::Post().
//
// Delivery rules:
// - A result fires exactly once. Callbacks run synchronously inside Resolve()/Fail()/Complete()/
//   Cancel(); one attached after the result is already there runs at once, inside Then().
// - An error skips Then() callbacks and reaches the next Catch()/Handle()/Finally().
// - Each Deferred has one consumer: Then() and friends consume it (call them on an rvalue) and
//   return the Deferred of the next step. Dropping a Deferred does not cancel anything; the chain
//   still runs when the result arrives, and that result is then discarded.
// - A Promise destroyed unresolved fires nothing: the callbacks waiting on it are destroyed
//   unrun, suspended coroutines waiting on it are destroyed (their destructors run), and a
//   Deferred handle still held downstream stays pending (bound it with WithTimeout()).
// - Cancel() on an unfired Deferred runs the producer's canceller, cancels whatever it waits on
//   (the upstream step, the Deferred a callback returned, what a coroutine is awaiting, every
//   pending WhenAll() input), and fires kCancelled unless something settled it meanwhile.
//   Cancelling a fired Deferred is a no-op. A producer may still resolve after cancellation; that
//   late result is dropped.
#ifndef WEFT_REACTOR_DEFERRED_H_
#define WEFT_REACTOR_DEFERRED_H_

#include <coroutine>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "reactor/base/check.h"
#include "reactor/deferred_internal.h"
#include "reactor/event_loop.h"

namespace weft::reactor {

// absl::StatusOr<T>, or absl::Status for T = void.
template <typename T>
using DeferredResult = typename deferred_internal::ResultTraits<T>::Result;

template <typename T>
class Deferred {
 public:
  using value_type = T;
  // Makes `Deferred<T> F(...)` a coroutine: it starts at once and runs until its first co_await
  // that has to wait. `co_return` takes a T, a StatusOr<T> or a non-OK Status (Deferred<void>:
  // an absl::Status, OkStatus() for success; `co_return;` is not available). Cancelling the
  // returned Deferred cancels the Deferred the coroutine is awaiting, so that co_await yields
  // kCancelled; the returned Deferred fires kCancelled unless the coroutine finishes first.
  using promise_type = deferred_internal::CoroutinePromise<T>;

  Deferred(Deferred&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  Deferred& operator=(Deferred&& other) noexcept {
    if (this != &other) {
      if (state_ != nullptr) state_->Release();
      state_ = std::exchange(other.state_, nullptr);
    }
    return *this;
  }
  ~Deferred() {
    if (state_ != nullptr) state_->Release();
  }

  // On success calls f(T) (f() for void); an error skips f and passes through. f returns U,
  // absl::StatusOr<U>, absl::Status (U = void), void, or Deferred<U>, which the result then
  // waits for. Returns the Deferred<U> of that step.
  template <typename F>
  auto Then(F f) &&;

  // On error calls f(absl::Status), which recovers or re-fails by returning T, StatusOr<T> or
  // Deferred<T> (void: void, absl::Status or Deferred<void>). Success passes through.
  template <typename F>
  Deferred<T> Catch(F f) &&;

  // Calls f(DeferredResult<T>) on success and on error (Twisted's addBoth). f returns any type
  // Then() accepts.
  template <typename F>
  auto Handle(F f) &&;

  // Calls f() on success and on error; the result passes through unchanged.
  template <typename F>
  Deferred<T> Finally(F f) &&;

  // Fires kDeadlineExceeded (after cancelling what this waits on) unless the result arrives
  // within `timeout` on `loop`'s clock. The timer is released as soon as either happens. `loop`
  // must outlive the returned Deferred. Loop thread only.
  Deferred<T> WithTimeout(EventLoop& loop, absl::Duration timeout) &&;

  // Requests cancellation; see the delivery rules above.
  void Cancel() {
    WEFT_DCHECK(state_ != nullptr);
    state_->Cancel();
  }

  // True once the result is there (including after cancellation).
  bool fired() const { return state_ != nullptr && state_->fired(); }

  // `co_await std::move(d)` yields DeferredResult<T>. Only inside a coroutine returning Deferred.
  deferred_internal::Awaiter<T> operator co_await() && {
    return deferred_internal::Awaiter<T>(deferred_internal::Access::Take(*this));
  }

 private:
  friend struct deferred_internal::Access;
  template <typename U>
  friend class Deferred;

  explicit Deferred(deferred_internal::State<T>* state) : state_(state) {}

  // Consumes this Deferred into a new ChainState running `fn` on the result.
  template <typename U, typename Fn>
  Deferred<U> Chain(Fn fn) &&;

  deferred_internal::State<T>* state_;  // Null once consumed.
};

// The producer side. Move-only; owns a reference to the shared state.
template <typename T>
class Promise {
 public:
  using Value = typename deferred_internal::ResultTraits<T>::Value;

  Promise() : state_(new deferred_internal::State<T>()) {}
  Promise(Promise&& other) noexcept
      : state_(std::exchange(other.state_, nullptr)), deferred_taken_(other.deferred_taken_) {}
  Promise& operator=(Promise&& other) noexcept {
    if (this != &other) {
      if (state_ != nullptr) state_->Release();
      state_ = std::exchange(other.state_, nullptr);
      deferred_taken_ = other.deferred_taken_;
    }
    return *this;
  }
  ~Promise() {
    if (state_ != nullptr) state_->Release();
  }

  // The consumer side. Call once.
  Deferred<T> GetDeferred() {
    WEFT_DCHECK(state_ != nullptr && !deferred_taken_);
    deferred_taken_ = true;
    state_->AddRef();
    return deferred_internal::Access::Adopt(state_);
  }

  // Runs at most once, on the first Cancel() before the result is settled. It may settle the
  // result itself (that result wins); otherwise kCancelled follows. Dropped once settled.
  void SetCanceller(absl::AnyInvocable<void()> canceller) {
    state().SetCanceller(std::move(canceller));
  }

  // Settle the result: exactly one of these, once. After a cancellation they are no-ops.
  void Resolve(Value value) requires(!std::is_void_v<T>) { state().Fire(std::move(value)); }
  void Resolve() requires std::is_void_v<T> { state().Fire(std::monostate{}); }
  void Fail(absl::Status status) {
    WEFT_DCHECK(!status.ok());
    state().Fire(std::move(status));
  }
  void Complete(DeferredResult<T> result) {
    state().Fire(deferred_internal::ResultTraits<T>::FromPublic(std::move(result)));
  }

  // False once settled or cancelled: the producer may stop working.
  bool pending() const { return !state().fired(); }

 private:
  friend struct deferred_internal::Access;

  deferred_internal::State<T>& state() const {
    WEFT_DCHECK(state_ != nullptr);  // Used after being moved from.
    return *state_;
  }

  deferred_internal::State<T>* state_;
  bool deferred_taken_ = false;
};

// An already-fired Deferred.
template <typename T>
Deferred<T> Succeed(T value) {
  Promise<T> promise;
  promise.Resolve(std::move(value));
  return promise.GetDeferred();
}
inline Deferred<void> Succeed() {
  Promise<void> promise;
  promise.Resolve();
  return promise.GetDeferred();
}
template <typename T>
Deferred<T> Fail(absl::Status status) {
  Promise<T> promise;
  promise.Fail(std::move(status));
  return promise.GetDeferred();
}

// Twisted's gatherResults: fires with every value, in input order, once all succeed, or with the
// first error as soon as one fails (the other inputs keep running; their results are dropped).
// WhenAll of Deferred<void> is a Deferred<void>. An empty input fires at once. Cancelling the
// result cancels every input still pending.
template <typename T>
Deferred<typename deferred_internal::GatherTraits<T>::Type> WhenAll(
    std::vector<Deferred<T>> deferreds) {
  using deferred_internal::Access;
  auto* gather = new deferred_internal::GatherState<T>(deferreds.size());
  auto out = Access::Adopt<typename deferred_internal::GatherTraits<T>::Type>(gather);
  for (std::size_t i = 0; i < deferreds.size(); ++i) {
    gather->AddRef();  // Held by input i until it delivers or is abandoned.
    deferred_internal::AttachAndRelease<T>(Access::Take(deferreds[i]), gather->input(i), gather, i);
  }
  gather->FireIfEmpty();
  return out;
}

// Member templates.

template <typename T>
template <typename U, typename Fn>
Deferred<U> Deferred<T>::Chain(Fn fn) && {
  using deferred_internal::Access;
  auto* next = new deferred_internal::ChainState<T, U, Fn>(std::move(fn));
  Deferred<U> out = Access::Adopt<U>(next);
  next->AddRef();  // Held by this step's state until it delivers or is abandoned.
  deferred_internal::AttachAndRelease<T>(Access::Take(*this), next->upstream_receiver(), next, 0);
  return out;
}

template <typename T>
template <typename F>
auto Deferred<T>::Then(F f) && {
  using Traits = deferred_internal::ThenTraits<F, T>;
  using U = typename Traits::Type;
  return std::move(*this).template Chain<U>(
      [f = std::move(f)](deferred_internal::Internal<T> r) mutable -> deferred_internal::Step<U> {
        if (!r.ok()) return deferred_internal::Internal<U>(r.status());
        return Traits::Invoke(f, std::move(r));
      });
}

template <typename T>
template <typename F>
Deferred<T> Deferred<T>::Catch(F f) && {
  static_assert(std::is_same_v<deferred_internal::NormalizedType<F, absl::Status>, T>,
                "a Catch() callback must recover to the Deferred's own type");
  return std::move(*this).template Chain<T>(
      [f = std::move(f)](deferred_internal::Internal<T> r) mutable -> deferred_internal::Step<T> {
        if (r.ok()) return r;
        return deferred_internal::InvokeToStep(f, r.status());
      });
}

template <typename T>
template <typename F>
auto Deferred<T>::Handle(F f) && {
  using Traits = deferred_internal::ResultTraits<T>;
  using U = deferred_internal::NormalizedType<F, DeferredResult<T>>;
  return std::move(*this).template Chain<U>(
      [f = std::move(f)](deferred_internal::Internal<T> r) mutable -> deferred_internal::Step<U> {
        return deferred_internal::InvokeToStep(f, Traits::ToPublic(std::move(r)));
      });
}

template <typename T>
template <typename F>
Deferred<T> Deferred<T>::Finally(F f) && {
  return std::move(*this).template Chain<T>(
      [f = std::move(f)](deferred_internal::Internal<T> r) mutable -> deferred_internal::Step<T> {
        f();
        return r;
      });
}

template <typename T>
Deferred<T> Deferred<T>::WithTimeout(EventLoop& loop, absl::Duration timeout) && {
  using deferred_internal::Access;
  if (fired()) return std::move(*this);
  auto* next = new deferred_internal::TimeoutState<T>(loop, timeout);
  Deferred<T> out = Access::Adopt<T>(next);
  next->AddRef();  // Held by this Deferred's state until it delivers or is abandoned.
  deferred_internal::AttachAndRelease<T>(Access::Take(*this), next->upstream_receiver(), next, 0);
  next->Arm();
  return out;
}

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_DEFERRED_H_
