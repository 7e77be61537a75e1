#include "reactor/protocol.h"

#include <utility>

#include "reactor/base/check.h"

namespace weft::reactor {

// One accepted connection: owns its transport and protocol, forwards transport events to the
// protocol, and removes itself from the server after OnClosed().
class ProtocolServer::Connection final : public DeferredDeletable, public TransportCallbacks {
 public:
  Connection(ProtocolServer& server, std::unique_ptr<Transport> transport,
             std::unique_ptr<Protocol> protocol)
      : server_(server), transport_(std::move(transport)), protocol_(std::move(protocol)) {}

  void Start() {
    transport_->SetCallbacks(*this);
    protocol_->ConnectionMade(*transport_);
  }

  void CloseTransport() { transport_->Close(); }

  // TransportCallbacks
  void OnData(absl::string_view bytes) override { protocol_->OnData(bytes); }
  void OnReadEof() override { protocol_->OnReadEof(); }
  void OnWriteBufferHigh() override { protocol_->OnWriteBufferHigh(); }
  void OnWriteBufferLow() override { protocol_->OnWriteBufferLow(); }
  void OnClosed(absl::Status reason) override {
    protocol_->OnClosed(std::move(reason));
    server_.Unlink(*this);
    server_.loop_.DeferredDelete(std::unique_ptr<DeferredDeletable>(this));
  }

  Connection* prev = nullptr;
  Connection* next = nullptr;

 private:
  ProtocolServer& server_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<Protocol> protocol_;
};

ProtocolServer::ProtocolServer(EventLoop& loop, Factory& factory)
    : loop_(loop), factory_(factory) {}

ProtocolServer::~ProtocolServer() {
  while (head_ != nullptr) {
    Connection* connection = head_;
    Unlink(*connection);
    delete connection;  // Destroying a transport calls nothing back.
  }
}

void ProtocolServer::OnAccept(std::unique_ptr<Transport> transport) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  std::unique_ptr<Protocol> protocol = factory_.BuildProtocol(transport->peer_address());
  if (protocol == nullptr) return;  // Refused: dropping the transport closes the socket.
  auto* connection = new Connection(*this, std::move(transport), std::move(protocol));
  connection->next = head_;
  if (head_ != nullptr) head_->prev = connection;
  head_ = connection;
  ++count_;
  connection->Start();
}

void ProtocolServer::CloseAll() {
  for (Connection* c = head_; c != nullptr; c = c->next) c->CloseTransport();
}

void ProtocolServer::Unlink(Connection& connection) {
  if (connection.prev != nullptr) {
    connection.prev->next = connection.next;
  } else {
    head_ = connection.next;
  }
  if (connection.next != nullptr) connection.next->prev = connection.prev;
  connection.prev = connection.next = nullptr;
  --count_;
}

}  // namespace weft::reactor
