// Machinery behind Deferred<T> (deferred.h): the shared state, the chain links and the coroutine
// glue. Nothing here is API; include reactor/deferred.h instead.
//
// Ownership model. Each Deferred owns one heap-allocated state, reference-counted without atomics
// (loop-affine). References are held by: the consumer handle (Deferred), producers (Promise, a
// coroutine's promise object) and an upstream state that will deliver into this one (the link
// made by Then(), WithTimeout(), WhenAll()). A state never holds a strong reference upstream, so
// there are no cycles: when the last producer of an unfired state goes away, the state is freed
// and whatever waited on it is released in turn (callbacks destroyed unrun, suspended coroutine
// frames destroyed). Cancellation travels upstream through weak links that a state clears when it
// fires or dies.
#ifndef WEFT_REACTOR_DEFERRED_INTERNAL_H_
#define WEFT_REACTOR_DEFERRED_INTERNAL_H_

#include <coroutine>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "reactor/base/check.h"
#include "reactor/event_loop.h"

namespace weft::reactor {

template <typename T>
class Deferred;
template <typename T>
class Promise;

namespace deferred_internal {

// Deferred<void> stores std::monostate and shows absl::Status; every other T shows StatusOr<T>.
template <typename T>
struct ResultTraits {
  static_assert(!std::is_reference_v<T>, "Deferred<T&> is not supported; use a pointer");
  using Value = T;
  using Result = absl::StatusOr<T>;
  static Result ToPublic(absl::StatusOr<T>&& r) { return std::move(r); }
  static absl::StatusOr<T> FromPublic(Result&& r) { return std::move(r); }
};

template <>
struct ResultTraits<void> {
  using Value = std::monostate;
  using Result = absl::Status;
  static absl::Status ToPublic(absl::StatusOr<std::monostate>&& r) { return r.status(); }
  static absl::StatusOr<std::monostate> FromPublic(absl::Status&& s) {
    if (s.ok()) return std::monostate{};
    return std::move(s);
  }
};

// What a state stores: StatusOr<T>, or StatusOr<monostate> for void.
template <typename T>
using Internal = absl::StatusOr<typename ResultTraits<T>::Value>;

// The single consumer of a state's result. Exactly one of the two methods is called, once.
template <typename T>
class Receiver {
 public:
  // The state fired. The state no longer refers to the receiver.
  virtual void OnResult(Internal<T> result) = 0;
  // The state was destroyed unfired: nothing can ever deliver. Release what waits on it.
  virtual void OnAbandoned() = 0;

 protected:
  ~Receiver() = default;
};

// The untyped part of a state: reference count, cancellation and the weak upstream links.
class StateBase {
 public:
  StateBase(const StateBase&) = delete;
  StateBase& operator=(const StateBase&) = delete;

  void AddRef() { ++refs_; }
  void Release();

  bool fired() const { return fired_; }
  bool cancel_requested() const { return cancel_requested_; }

  // No-op once fired (or while already cancelling). Otherwise runs the canceller, cancels every
  // linked upstream state, and fires CancelStatus() unless something settled this state meanwhile.
  void Cancel();

  // Replaces the producer's canceller. Ignored once fired.
  void SetCanceller(absl::AnyInvocable<void()> canceller);

  // Makes this (unfired) state upstream slot `slot` of `downstream`, so that cancelling
  // `downstream` cancels this. The link is cleared when this fires or either state is destroyed.
  void LinkTo(StateBase& downstream, std::size_t slot);

 protected:
  StateBase();
  virtual ~StateBase();

  // Marks the state fired, unlinks it from its downstream and drops the canceller. Returns false
  // when it had already fired: a late result after cancellation, silently dropped (anything else
  // is a producer bug).
  bool BeginFire();
  void ResizeUpstreams(std::size_t n) { upstreams_.resize(n, nullptr); }
  void UnlinkAll();

  virtual void FireStatus(absl::Status status) = 0;
  // The status Cancel() fires with when nothing else settles the state.
  virtual absl::Status CancelStatus() const;

 private:
  int refs_ = 1;
  bool fired_ = false;
  bool cancel_requested_ = false;
  StateBase* downstream_ = nullptr;  // Weak; its upstreams_[downstream_slot_] == this.
  std::size_t downstream_slot_ = 0;
  absl::InlinedVector<StateBase*, 1> upstreams_;  // Weak; each one's downstream_ == this.
  absl::AnyInvocable<void()> canceller_;
};

template <typename T>
class State : public StateBase {
 public:
  State() = default;

  // Delivers `result` to the receiver, or stores it until one attaches. Ignored when already
  // fired through cancellation. Callers hold a reference.
  void Fire(Internal<T> result) {
    AddRef();
    if (BeginFire()) {
      if (receiver_ != nullptr) {
        std::exchange(receiver_, nullptr)->OnResult(std::move(result));
      } else {
        result_.emplace(std::move(result));
      }
    }
    Release();
  }

  bool has_result() const { return result_.has_value(); }
  Internal<T> TakeResult() {
    Internal<T> r = std::move(*result_);
    result_.reset();
    return r;
  }

  // Sets the one receiver: delivers at once when a result is stored, else links this state
  // upstream of `downstream` (nullable) for cancellation and waits. The caller holds a reference.
  void Attach(Receiver<T>& receiver, StateBase* downstream, std::size_t slot) {
    WEFT_DCHECK(receiver_ == nullptr);
    if (result_.has_value()) {
      receiver.OnResult(TakeResult());
      return;
    }
    WEFT_DCHECK(!fired());  // Fired and already consumed: attached twice.
    receiver_ = &receiver;
    if (downstream != nullptr) LinkTo(*downstream, slot);
  }

 protected:
  ~State() override {
    UnlinkAll();
    if (receiver_ != nullptr) std::exchange(receiver_, nullptr)->OnAbandoned();
  }
  void FireStatus(absl::Status status) override { Fire(Internal<T>(std::move(status))); }

 private:
  std::optional<Internal<T>> result_;
  Receiver<T>* receiver_ = nullptr;
};

// Converts between handles and states; the one friend of Deferred and Promise.
struct Access {
  template <typename T>
  static Deferred<T> Adopt(State<T>* state) {
    return Deferred<T>(state);
  }
  template <typename T>
  static State<T>* Take(Deferred<T>& deferred) {
    WEFT_DCHECK(deferred.state_ != nullptr);  // Used after being consumed.
    return std::exchange(deferred.state_, nullptr);
  }
  template <typename T>
  static State<T>* Peek(const Promise<T>& promise) {
    return promise.state_;
  }
};

// Hands `up`'s result to `receiver` and drops the consumer reference `up` came with.
template <typename T>
void AttachAndRelease(State<T>* up, Receiver<T>& receiver, StateBase* downstream,
                      std::size_t slot) {
  up->Attach(receiver, downstream, slot);
  up->Release();
}

// What a callback produced: a result now, or a Deferred to wait for.
template <typename T>
using Step = std::variant<Internal<T>, Deferred<T>>;

// Maps a callback's return type R to the T of the Deferred<T> it yields.
template <typename R>
struct Normalized {
  using Type = R;
  static Step<R> ToStep(R&& r) { return Internal<R>(std::move(r)); }
};
template <>
struct Normalized<void> {  // InvokeToStep() handles void callbacks itself.
  using Type = void;
};
template <>
struct Normalized<absl::Status> {
  using Type = void;
  // A template so that Step<void> (which holds a Deferred<void>) is needed only once complete.
  template <typename V = void>
  static Step<V> ToStep(absl::Status&& s) {
    return ResultTraits<V>::FromPublic(std::move(s));
  }
};
template <typename U>
struct Normalized<absl::StatusOr<U>> {
  using Type = U;
  static Step<U> ToStep(absl::StatusOr<U>&& r) { return std::move(r); }
};
template <typename U>
struct Normalized<Deferred<U>> {
  using Type = U;
  static Step<U> ToStep(Deferred<U>&& d) { return std::move(d); }
};

template <typename R>
inline constexpr bool kIsDeferred = false;
template <typename U>
inline constexpr bool kIsDeferred<Deferred<U>> = true;

template <typename F, typename... Args>
using NormalizedType =
    typename Normalized<std::remove_cvref_t<std::invoke_result_t<F&, Args...>>>::Type;

template <typename F, typename... Args>
Step<NormalizedType<F, Args...>> InvokeToStep(F& f, Args&&... args) {
  using R = std::invoke_result_t<F&, Args...>;
  if constexpr (std::is_void_v<R>) {
    std::invoke(f, std::forward<Args>(args)...);
    return Internal<void>(std::monostate{});
  } else {
    using Plain = std::remove_cvref_t<R>;
    return Normalized<Plain>::ToStep(Plain(std::invoke(f, std::forward<Args>(args)...)));
  }
}

// The argument list a Then() callback gets: (T&&), or () for void.
template <typename F, typename T>
struct ThenTraits {
  using Type = NormalizedType<F, T&&>;
  static Step<Type> Invoke(F& f, Internal<T>&& r) { return InvokeToStep(f, std::move(*r)); }
};
template <typename F>
struct ThenTraits<F, void> {
  using Type = NormalizedType<F>;
  static Step<Type> Invoke(F& f, Internal<void>&&) { return InvokeToStep(f); }
};

// The state made by Then/Catch/Handle/Finally: waits for an upstream State<TIn>, runs `fn` on its
// result and settles with what fn returns, waiting on a returned Deferred<TOut> if needed.
template <typename TIn, typename TOut, typename Fn>
class ChainState final : public State<TOut>, private Receiver<TIn> {
 public:
  explicit ChainState(Fn fn) : fn_(std::move(fn)) {}
  Receiver<TIn>& upstream_receiver() { return *this; }

 private:
  // Receives from the Deferred that fn returned.
  class Inner final : public Receiver<TOut> {
   public:
    explicit Inner(ChainState& self) : self_(self) {}
    void OnResult(Internal<TOut> result) override {
      self_.Fire(std::move(result));
      self_.Release();
    }
    void OnAbandoned() override { self_.Release(); }

   private:
    ChainState& self_;
  };

  // Receiver<TIn>
  void OnResult(Internal<TIn> result) override {
    Step<TOut> step = (*fn_)(std::move(result));
    fn_.reset();  // Free the callback's captures now, not when the chain is destroyed.
    if (auto* now = std::get_if<Internal<TOut>>(&step)) {
      this->Fire(std::move(*now));
    } else {
      State<TOut>* inner = Access::Take(std::get<Deferred<TOut>>(step));
      this->AddRef();  // Held until `inner` delivers or is abandoned.
      inner->Attach(inner_, this, 0);
      if (this->fired()) inner->Cancel();  // Cancelled while fn ran: nobody wants its result.
      inner->Release();
    }
    this->Release();  // The upstream's hold.
  }
  void OnAbandoned() override { this->Release(); }

  std::optional<Fn> fn_;
  Inner inner_{*this};
};

// The state made by WithTimeout(): passes the upstream result through, or cancels the upstream
// when the timer fires first and reports kDeadlineExceeded instead of kCancelled.
template <typename T>
class TimeoutState final : public State<T>, private Receiver<T> {
 public:
  TimeoutState(EventLoop& loop, absl::Duration timeout)
      : timeout_(timeout), timer_(loop.CreateTimer([this] { OnTimer(); })) {}
  Receiver<T>& upstream_receiver() { return *this; }
  void Arm() { timer_->Schedule(timeout_); }

 private:
  absl::Status DeadlineStatus() const {
    return absl::DeadlineExceededError("deferred: timed out after " +
                                       absl::FormatDuration(timeout_));
  }

  // Receiver<T>
  void OnResult(Internal<T> result) override {
    timer_.reset();  // May run inside the timer's own callback, which the Timer contract allows.
    if (timed_out_ && result.status().code() == absl::StatusCode::kCancelled) {
      result = DeadlineStatus();
    }
    this->Fire(std::move(result));
    this->Release();
  }
  void OnAbandoned() override { this->Release(); }

  absl::Status CancelStatus() const override {
    return timed_out_ ? DeadlineStatus() : StateBase::CancelStatus();
  }

  void OnTimer() {
    this->AddRef();
    timed_out_ = true;
    this->Cancel();
    timer_.reset();
    this->Release();
  }

  const absl::Duration timeout_;
  bool timed_out_ = false;
  std::unique_ptr<Timer> timer_;
};

// WhenAll() of Deferred<T> yields Deferred<std::vector<T>>, and of Deferred<void> Deferred<void>.
template <typename T>
struct GatherTraits {
  using Type = std::vector<T>;
};
template <>
struct GatherTraits<void> {
  using Type = void;
};

template <typename T>
class GatherState final : public State<typename GatherTraits<T>::Type> {
 public:
  using Out = typename GatherTraits<T>::Type;

  explicit GatherState(std::size_t n) : remaining_(n) {
    inputs_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) inputs_.emplace_back(*this, i);
    if constexpr (!std::is_void_v<T>) values_.resize(n);
    this->ResizeUpstreams(n);
  }
  Receiver<T>& input(std::size_t i) { return inputs_[i]; }

  // Settles at once when there is nothing to wait for.
  void FireIfEmpty() {
    if (remaining_ == 0) this->Fire(Collect());
  }

 private:
  class Input final : public Receiver<T> {
   public:
    Input(GatherState& self, std::size_t index) : self_(self), index_(index) {}
    void OnResult(Internal<T> result) override {
      self_.OnInput(index_, std::move(result));
      self_.Release();
    }
    void OnAbandoned() override { self_.Release(); }

   private:
    GatherState& self_;
    std::size_t index_;
  };

  void OnInput(std::size_t index, Internal<T> result) {
    if (this->fired()) return;  // An earlier input failed, or the gather was cancelled.
    if (!result.ok()) return this->Fire(Internal<Out>(result.status()));
    if constexpr (!std::is_void_v<T>) values_[index].emplace(*std::move(result));
    if (--remaining_ == 0) this->Fire(Collect());
  }

  Internal<Out> Collect() {
    if constexpr (std::is_void_v<T>) {
      return std::monostate{};
    } else {
      std::vector<T> out;
      out.reserve(values_.size());
      for (std::optional<T>& v : values_) out.push_back(*std::move(v));
      return out;
    }
  }

  std::vector<Input> inputs_;
  std::vector<std::optional<typename ResultTraits<T>::Value>> values_;  // Empty for void.
  std::size_t remaining_;
};

// The part of a Deferred coroutine's promise that awaiters need: the state to link the awaited
// Deferred under, so that cancelling the coroutine's Deferred cancels what it awaits.
class CoroutinePromiseBase {
 public:
  StateBase& own_state() { return *own_state_; }

 protected:
  StateBase* own_state_ = nullptr;
};

// co_await on a Deferred<T> inside a Deferred coroutine. The frame waits as the state's receiver:
// resumed from Fire(), or destroyed when the state is destroyed unfired.
template <typename T>
class Awaiter final : private Receiver<T> {
 public:
  explicit Awaiter(State<T>* state) : state_(state) {}
  Awaiter(const Awaiter&) = delete;
  Awaiter& operator=(const Awaiter&) = delete;
  ~Awaiter() {
    if (state_ != nullptr) state_->Release();
  }

  bool await_ready() {
    if (!state_->has_result()) return false;
    result_.emplace(state_->TakeResult());
    std::exchange(state_, nullptr)->Release();
    return true;
  }

  template <typename P>
  void await_suspend(std::coroutine_handle<P> handle) {
    static_assert(std::is_base_of_v<CoroutinePromiseBase, P>,
                  "co_await on a Deferred is only supported in a coroutine returning Deferred");
    handle_ = handle;
    // Dropping the consumer reference may destroy an abandoned state, and with it this frame:
    // nothing may touch *this afterwards.
    AttachAndRelease<T>(std::exchange(state_, nullptr), *this, &handle.promise().own_state(), 0);
  }

  typename ResultTraits<T>::Result await_resume() {
    return ResultTraits<T>::ToPublic(std::move(*result_));
  }

 private:
  // Receiver<T>
  void OnResult(Internal<T> result) override {
    result_.emplace(std::move(result));
    handle_.resume();
  }
  void OnAbandoned() override { handle_.destroy(); }

  State<T>* state_;
  std::coroutine_handle<> handle_;
  std::optional<Internal<T>> result_;
};

// promise_type of a coroutine returning Deferred<T>. Starts eagerly, like Twisted's
// inlineCallbacks; fires its Deferred once the body's locals are gone; the frame frees itself on
// completion, or is destroyed when what it awaits can never fire.
template <typename T>
class CoroutinePromise final : public CoroutinePromiseBase {
 public:
  CoroutinePromise() { own_state_ = Access::Peek(promise_); }

  Deferred<T> get_return_object() { return promise_.GetDeferred(); }
  std::suspend_never initial_suspend() noexcept { return {}; }
  std::suspend_never final_suspend() noexcept {
    // Reaching the end without co_return is undefined behaviour that g++ does not diagnose.
    WEFT_DCHECK(result_.has_value());
    if (result_.has_value()) promise_.Complete(*std::move(result_));
    return {};
  }
  // T, StatusOr<T> or a non-OK Status; absl::Status for Deferred<void>.
  void return_value(typename ResultTraits<T>::Result result) { result_.emplace(std::move(result)); }
  void unhandled_exception() noexcept { std::abort(); }  // Weft never throws.

 private:
  Promise<T> promise_;
  std::optional<typename ResultTraits<T>::Result> result_;
};

}  // namespace deferred_internal
}  // namespace weft::reactor

#endif  // WEFT_REACTOR_DEFERRED_INTERNAL_H_
