#include "reactor/deferred.h"

#include <utility>

#include "reactor/base/check.h"

namespace weft::reactor::deferred_internal {

StateBase::StateBase() : upstreams_(1, nullptr) {}

StateBase::~StateBase() { UnlinkAll(); }

void StateBase::Release() {
  WEFT_DCHECK(refs_ > 0);
  if (--refs_ == 0) delete this;
}

void StateBase::Cancel() {
  if (fired_ || cancel_requested_) return;
  cancel_requested_ = true;
  AddRef();  // The canceller or an upstream may drop the last other reference.
  if (canceller_ != nullptr) {
    absl::AnyInvocable<void()> canceller = std::move(canceller_);
    canceller_ = nullptr;
    canceller();
  }
  // Re-read each slot: cancelling one upstream runs callbacks that may clear or refill others.
  for (std::size_t i = 0; i < upstreams_.size(); ++i) {
    if (StateBase* up = upstreams_[i]; up != nullptr) up->Cancel();
  }
  if (!fired_) FireStatus(CancelStatus());
  Release();
}

void StateBase::SetCanceller(absl::AnyInvocable<void()> canceller) {
  if (!fired_) canceller_ = std::move(canceller);
}

void StateBase::LinkTo(StateBase& downstream, std::size_t slot) {
  WEFT_DCHECK(!fired_ && downstream_ == nullptr);
  WEFT_DCHECK(slot < downstream.upstreams_.size() && downstream.upstreams_[slot] == nullptr);
  downstream.upstreams_[slot] = this;
  downstream_ = &downstream;
  downstream_slot_ = slot;
}

bool StateBase::BeginFire() {
  if (fired_) {
    WEFT_DCHECK(cancel_requested_);  // Settled twice without a cancellation: a producer bug.
    return false;
  }
  fired_ = true;
  if (downstream_ != nullptr) {
    std::exchange(downstream_, nullptr)->upstreams_[downstream_slot_] = nullptr;
  }
  canceller_ = nullptr;
  return true;
}

void StateBase::UnlinkAll() {
  if (downstream_ != nullptr) {
    std::exchange(downstream_, nullptr)->upstreams_[downstream_slot_] = nullptr;
  }
  for (StateBase*& up : upstreams_) {
    if (up != nullptr) std::exchange(up, nullptr)->downstream_ = nullptr;
  }
}

absl::Status StateBase::CancelStatus() const { return absl::CancelledError("deferred: cancelled"); }

}  // namespace weft::reactor::deferred_internal
