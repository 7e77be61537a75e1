// The typed-call adapter behind Client::Call: one heap object per call holding the Controller,
// the response and the Promise, and acting as the stub's `done` closure.
//
// Part of //clients/cpp:client; not API.
#ifndef WEFT_CLIENTS_CPP_INTERNAL_TYPED_CALL_H_
#define WEFT_CLIENTS_CPP_INTERNAL_TYPED_CALL_H_

#include <utility>

#include "clients/cpp/client_options.h"
#include "clients/cpp/controller.h"
#include "google/protobuf/stubs/callback.h"
#include "reactor/deferred.h"

namespace weft::clients::internal {

template <typename Response>
class TypedCall final : public google::protobuf::Closure {
 public:
  explicit TypedCall(const CallOptions& options) {
    controller_.set_timeout(options.timeout);
    for (const auto& [key, value] : options.metadata) controller_.set_metadata(key, value);
  }

  // The stub's `done`: settles the promise and deletes this. Runs exactly once.
  void Run() override {
    if (controller_.status().ok()) {
      promise_.Resolve(std::move(response_));
    } else {
      promise_.Fail(controller_.status());
    }
    delete this;
  }

  Controller controller_;
  Response response_;
  reactor::Promise<Response> promise_;
};

// Runs `invoke(controller, response, done)`, which starts the call through a stub, and returns
// the Deferred of its response. Cancelling that Deferred cancels the call (Cancel frame).
template <typename Response, typename Invoke>
reactor::Deferred<Response> StartTypedCall(const CallOptions& options, Invoke&& invoke) {
  auto* call = new TypedCall<Response>(options);
  reactor::Deferred<Response> result = call->promise_.GetDeferred();
  call->promise_.SetCanceller([controller = &call->controller_] { controller->StartCancel(); });
  invoke(&call->controller_, &call->response_, call);  // May complete, and delete, `call`.
  return result;
}

}  // namespace weft::clients::internal

#endif  // WEFT_CLIENTS_CPP_INTERNAL_TYPED_CALL_H_
