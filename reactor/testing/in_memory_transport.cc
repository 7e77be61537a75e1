#include "reactor/testing/in_memory_transport.h"

#include <algorithm>
#include <utility>

#include "reactor/base/check.h"

namespace weft::reactor {

// Tells code that called back into the consumer whether the transport survived the call. Guards
// nest; the transport's destructor marks every live one.
class InMemoryTransport::DestroyGuard {
 public:
  explicit DestroyGuard(InMemoryTransport& transport)
      : transport_(&transport), outer_(transport.guards_) {
    transport.guards_ = this;
  }
  ~DestroyGuard() {
    if (transport_ != nullptr) transport_->guards_ = outer_;
  }
  DestroyGuard(const DestroyGuard&) = delete;
  DestroyGuard& operator=(const DestroyGuard&) = delete;

  bool destroyed() const { return transport_ == nullptr; }

 private:
  friend class InMemoryTransport;
  InMemoryTransport* transport_;
  DestroyGuard* outer_;
};

InMemoryTransport::InMemoryTransport(EventLoop& loop)
    : loop_(loop), notify_(loop.CreateTimer([this] { RunNotifications(); })) {}

InMemoryTransport::~InMemoryTransport() {
  for (DestroyGuard* guard = guards_; guard != nullptr; guard = guard->outer_) {
    guard->transport_ = nullptr;
  }
  if (pair_ != nullptr) pair_->Detach(*this);
}

void InMemoryTransport::SetCallbacks(TransportCallbacks& callbacks) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  callbacks_ = &callbacks;
  if (HasNotification()) ArmNotify();
}

absl::Status InMemoryTransport::Write(absl::string_view bytes) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (closing_ || shutdown_pending_ || write_shut_) {
    return absl::FailedPreconditionError("in-memory: write after close");
  }
  if (finished_) return absl::UnavailableError("in-memory: connection lost");
  std::size_t direct = 0;
  if (pending_.empty()) {
    const std::size_t room = written_.size() >= window_ ? 0 : window_ - written_.size();
    direct = std::min(room, bytes.size());
  }
  // Unlike a socket, the fake knows the window up front, so a refused write sends nothing.
  if (pending_.size() + (bytes.size() - direct) > watermarks_.max) {
    return absl::ResourceExhaustedError("in-memory: write buffer limit exceeded");
  }
  written_.append(bytes.data(), direct);
  pending_.append(bytes.data() + direct, bytes.size() - direct);
  if (!above_high_ && pending_.size() > watermarks_.high) {
    above_high_ = true;
    if (callbacks_ != nullptr) callbacks_->OnWriteBufferHigh();
  }
  return absl::OkStatus();
}

void InMemoryTransport::PauseReading() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  read_paused_ = true;
}

void InMemoryTransport::ResumeReading() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  read_paused_ = false;
  if (HasNotification()) ArmNotify();
}

void InMemoryTransport::ShutdownWrite() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (finished_ || closing_ || write_shut_ || shutdown_pending_) return;
  shutdown_pending_ = true;
  if (pending_.empty()) Flush();
}

void InMemoryTransport::Close() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (closing_ || finished_) return;
  closing_ = true;
  if (pending_.empty()) {
    fin_sent_ = true;
    FinishClose(absl::OkStatus());
  }
}

void InMemoryTransport::Abort() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (finished_) return;
  pending_.clear();
  closing_ = true;
  aborted_ = true;
  FinishClose(absl::CancelledError("in-memory: connection aborted"));
}

void InMemoryTransport::SetWatermarks(const WriteWatermarks& watermarks) {
  WEFT_CHECK(watermarks.low <= watermarks.high && watermarks.high <= watermarks.max);
  watermarks_ = watermarks;
}

void InMemoryTransport::Deliver(absl::string_view bytes) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  WEFT_CHECK(!eof_pending_ && !read_eof_);  // The test delivered bytes after DeliverEof().
  if (closing_ || finished_ || bytes.empty()) return;
  inbound_.append(bytes.data(), bytes.size());
  DestroyGuard guard(*this);
  DrainInbound(guard);
}

void InMemoryTransport::DeliverEof() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (closing_ || finished_ || eof_pending_ || read_eof_) return;
  eof_pending_ = true;
  DestroyGuard guard(*this);
  DrainInbound(guard);
}

void InMemoryTransport::DeliverReset() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (finished_) return;
  reset_ = true;
  FinishClose(absl::UnavailableError("in-memory: connection reset by peer"));
}

std::string InMemoryTransport::TakeWritten() { return ConsumeWritten(written_.size()); }

std::string InMemoryTransport::ConsumeWritten(std::size_t bytes) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  bytes = std::min(bytes, written_.size());
  std::string consumed = written_.substr(0, bytes);
  written_.erase(0, bytes);
  Flush();  // May destroy `this`.
  return consumed;
}

void InMemoryTransport::SetPeerWindow(std::size_t bytes) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  window_ = bytes;
  Flush();
}

bool InMemoryTransport::CanRead() const {
  return callbacks_ != nullptr && !read_paused_ && !closing_ && !finished_ && !read_eof_;
}

bool InMemoryTransport::HasNotification() const {
  if (callbacks_ == nullptr) return false;
  if (finished_) return !closed_delivered_;
  return CanRead() && (!inbound_.empty() || eof_pending_);
}

void InMemoryTransport::ArmNotify() {
  if (!notify_->armed()) notify_->Schedule(absl::ZeroDuration());
}

void InMemoryTransport::RunNotifications() {
  DestroyGuard guard(*this);
  if (!DrainInbound(guard)) return;
  // Whatever the consumer did meanwhile that ended the connection is reported now rather than on
  // a later iteration: OnClosed() still runs from the loop, after the call that caused it.
  if (finished_ && callbacks_ != nullptr && !closed_delivered_) {
    notify_->Cancel();
    DeliverClosed();  // May destroy `this`.
    return;
  }
  if (!HasNotification()) notify_->Cancel();
}

bool InMemoryTransport::DrainInbound(const DestroyGuard& guard) {
  while (CanRead() && !inbound_.empty()) {
    const std::size_t n = std::min(inbound_.size(), kMaxReadChunk);
    std::string chunk = inbound_.substr(0, n);
    inbound_.erase(0, n);
    callbacks_->OnData(chunk);
    if (guard.destroyed()) return false;
  }
  if (CanRead() && eof_pending_) {
    eof_pending_ = false;
    read_eof_ = true;
    if (write_shut_) {
      FinishClose(absl::OkStatus());  // Both directions are done.
    } else {
      callbacks_->OnReadEof();
      if (guard.destroyed()) return false;
    }
  }
  return true;
}

void InMemoryTransport::DeliverClosed() {
  closed_delivered_ = true;
  TransportCallbacks* callbacks = callbacks_;
  callbacks_ = nullptr;
  callbacks->OnClosed(std::move(close_reason_));
}

void InMemoryTransport::Flush() {
  if (finished_) return;
  if (!pending_.empty()) {
    const std::size_t room = written_.size() >= window_ ? 0 : window_ - written_.size();
    const std::size_t n = std::min(room, pending_.size());
    written_.append(pending_, 0, n);
    pending_.erase(0, n);
  }
  if (pending_.empty()) {
    if (closing_) {
      fin_sent_ = true;
      FinishClose(absl::OkStatus());
      return;
    }
    if (shutdown_pending_) {
      shutdown_pending_ = false;
      write_shut_ = true;
      fin_sent_ = true;
      if (read_eof_) {
        FinishClose(absl::OkStatus());
        return;
      }
    }
  }
  if (above_high_ && pending_.size() <= watermarks_.low) {
    above_high_ = false;
    if (callbacks_ != nullptr) callbacks_->OnWriteBufferLow();  // May destroy `this`.
  }
}

void InMemoryTransport::FinishClose(absl::Status reason) {
  if (finished_) return;
  finished_ = true;
  close_reason_ = std::move(reason);
  pending_.clear();
  inbound_.clear();
  eof_pending_ = false;
  if (callbacks_ != nullptr) ArmNotify();
}

// TransportPair

TransportPair::TransportPair(EventLoop& loop) {
  a_.owned = std::make_unique<InMemoryTransport>(loop);
  b_.owned = std::make_unique<InMemoryTransport>(loop);
  a_.transport = a_.owned.get();
  b_.transport = b_.owned.get();
  a_.transport->pair_ = this;
  b_.transport->pair_ = this;
  a_.transport->set_local_address("memory:a");
  a_.transport->set_peer_address("memory:b");
  b_.transport->set_local_address("memory:b");
  b_.transport->set_peer_address("memory:a");
}

TransportPair::~TransportPair() {
  // Transports already taken live on as standalone ones; those still owned die with `owned`.
  if (a_.transport != nullptr) a_.transport->pair_ = nullptr;
  if (b_.transport != nullptr) b_.transport->pair_ = nullptr;
}

std::unique_ptr<Transport> TransportPair::TakeA() {
  WEFT_CHECK(a_.owned != nullptr);  // Taken twice.
  return std::move(a_.owned);
}

std::unique_ptr<Transport> TransportPair::TakeB() {
  WEFT_CHECK(b_.owned != nullptr);  // Taken twice.
  return std::move(b_.owned);
}

void TransportPair::SetWindow(Side sender, std::size_t bytes) {
  End& end = sender == Side::kA ? a_ : b_;
  if (end.transport != nullptr) end.transport->SetPeerWindow(bytes);
}

std::size_t TransportPair::Pump() {
  // Generous: a legitimate exchange moves far fewer chunks; more means two endpoints feed each
  // other forever (an echo loop), which would otherwise hang the test.
  constexpr int kMaxRounds = 1000000;
  std::size_t moved = 0;
  for (int round = 0;; ++round) {
    WEFT_CHECK(round < kMaxRounds);
    bool progress = Step(a_, b_, moved);
    progress |= Step(b_, a_, moved);
    if (!progress) return moved;
  }
}

void TransportPair::Detach(InMemoryTransport& transport) {
  End& end = a_.transport == &transport ? a_ : b_;
  WEFT_DCHECK(end.transport == &transport);
  end.gone_aborted = transport.aborted_;
  // Bytes already sent still arrive; a reset connection has nothing in flight.
  if (!transport.aborted_ && !transport.reset_) end.orphan = std::move(transport.written_);
  end.transport = nullptr;
}

bool TransportPair::Step(End& from, End& to, std::size_t& moved) {
  if (Aborted(from) || WasReset(from)) return StepDead(from, to);
  if (!InFlight(from).empty()) return StepData(from, to, moved);
  return StepFin(from, to);
}

bool TransportPair::StepDead(End& from, End& to) {
  std::string& in_flight = InFlight(from);
  bool changed = !in_flight.empty();
  in_flight.clear();  // A reset connection delivers nothing more.
  if (Aborted(from) && !from.rst_delivered) {
    from.rst_delivered = true;
    changed = true;
    if (to.transport != nullptr) to.transport->DeliverReset();
  }
  return changed;
}

bool TransportPair::StepData(End& from, End& to, std::size_t& moved) {
  std::string& in_flight = InFlight(from);
  if (ClosedForReading(to)) {
    in_flight.clear();
    if (from.transport != nullptr) from.transport->DeliverReset();
    return true;
  }
  if (!to.transport->CanRead()) return false;
  const std::size_t n = std::min(in_flight.size(), InMemoryTransport::kMaxReadChunk);
  std::string chunk;
  if (from.transport != nullptr) {
    chunk = from.transport->ConsumeWritten(n);  // May run the sender's callbacks.
  } else {
    chunk = in_flight.substr(0, n);
    in_flight.erase(0, n);
  }
  moved += n;
  // Deliver() queues if the receiver paused meanwhile and drops if it closed.
  if (to.transport != nullptr) to.transport->Deliver(chunk);
  return true;
}

bool TransportPair::StepFin(End& from, End& to) {
  if (from.fin_delivered || !FinSent(from)) return false;
  if (ClosedForReading(to)) {
    from.fin_delivered = true;
    return true;
  }
  if (!to.transport->CanRead()) return false;
  from.fin_delivered = true;
  to.transport->DeliverEof();
  return true;
}

std::string& TransportPair::InFlight(End& end) {
  return end.transport != nullptr ? end.transport->written_ : end.orphan;
}

bool TransportPair::Aborted(const End& end) {
  return end.transport != nullptr ? end.transport->aborted_ : end.gone_aborted;
}

bool TransportPair::WasReset(const End& end) {
  return end.transport != nullptr && end.transport->reset_;
}

bool TransportPair::FinSent(const End& end) {
  // Destroying a transport closes its "socket".
  return end.transport == nullptr || end.transport->fin_sent_;
}

bool TransportPair::ClosedForReading(const End& end) {
  return end.transport == nullptr || end.transport->closing_ || end.transport->finished_;
}

}  // namespace weft::reactor
