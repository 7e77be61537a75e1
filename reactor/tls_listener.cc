#include "reactor/tls_listener.h"

#include <utility>

#include "reactor/base/check.h"
#include "reactor/tls_transport.h"

namespace weft::reactor {

TlsListener::TlsListener(EventLoop& loop, std::unique_ptr<TlsContext> context,
                         ListenerCallbacks& callbacks)
    : loop_(loop), context_(std::move(context)), callbacks_(callbacks) {
  WEFT_CHECK(context_ != nullptr && context_->is_server());
}

TlsListener::~TlsListener() = default;

void TlsListener::SetInner(std::unique_ptr<Listener> inner) {
  WEFT_CHECK(inner_ == nullptr && inner != nullptr);
  inner_ = std::move(inner);
}

std::string TlsListener::address() const { return inner_ != nullptr ? inner_->address() : ""; }

int TlsListener::port() const { return inner_ != nullptr ? inner_->port() : 0; }

void TlsListener::PauseAccepting() {
  if (inner_ != nullptr) inner_->PauseAccepting();
}

void TlsListener::ResumeAccepting() {
  if (inner_ != nullptr) inner_->ResumeAccepting();
}

void TlsListener::OnAccept(std::unique_ptr<Transport> transport) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  callbacks_.OnAccept(TlsTransport::Wrap(loop_, std::move(transport), *context_, TlsRole::kServer));
}

}  // namespace weft::reactor
