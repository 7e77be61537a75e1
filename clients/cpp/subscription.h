// Subscription: the handle of one Client::Subscribe(); destroying it unsubscribes.
//
// Part of //clients/cpp:client (included by client.h). Several handles may subscribe to the same
// topic: the client sends Subscribe for the first and Subscribe{unsubscribe} after the last is
// destroyed, and re-subscribes every topic after a reconnect. A handle may outlive its Client (it
// is then inert) and may be destroyed from inside its own callback. Loop thread only.
#ifndef WEFT_CLIENTS_CPP_SUBSCRIPTION_H_
#define WEFT_CLIENTS_CPP_SUBSCRIPTION_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"

namespace weft::clients {

class Client;
namespace internal {
class ClientCore;
}  // namespace internal

// Receives each publication on the topic: the serialized message and its type URL
// ("type.googleapis.com/<full name>"). Both views are valid only during the call. Runs on the loop
// thread; delivery is at most once (docs/wire.md).
using PublicationCallback =
    absl::AnyInvocable<void(absl::string_view payload, absl::string_view type_url)>;

class Subscription final {
 public:
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription();

  const std::string& topic() const { return topic_; }

 private:
  friend class Client;
  friend class internal::ClientCore;

  Subscription(Client& client, std::string topic, PublicationCallback callback)
      : client_(&client), topic_(std::move(topic)), callback_(std::move(callback)) {}

  Client* client_;  // Null once the client is gone.
  std::string topic_;
  PublicationCallback callback_;
};

}  // namespace weft::clients

#endif  // WEFT_CLIENTS_CPP_SUBSCRIPTION_H_
