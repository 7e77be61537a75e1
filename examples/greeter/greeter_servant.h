// GreeterServant: demo.Greeter (idl/demo/greeter.proto), served by the external greeter process
// (greeter_main.cc) that registers it with weftd over the native wire protocol.
//
// Part of //examples/greeter. The client library hosts the servant and calls it on its loop
// thread with a clients::ServerContext as the controller. Stateless; SayHello finishes at once
// (sets the response or the status and runs `done` before returning).
#ifndef WEFT_EXAMPLES_GREETER_GREETER_SERVANT_H_
#define WEFT_EXAMPLES_GREETER_GREETER_SERVANT_H_

#include "demo/greeter.pb.h"
#include "google/protobuf/service.h"

namespace weft::examples {

class GreeterServant final : public demo::Greeter {
 public:
  GreeterServant() = default;
  GreeterServant(const GreeterServant&) = delete;
  GreeterServant& operator=(const GreeterServant&) = delete;

  // demo::Greeter. `controller` must be a clients::ServerContext.
  // "Hello, <name>!"; INVALID_ARGUMENT "say_hello: name is empty" when name is empty.
  void SayHello(google::protobuf::RpcController* controller, const demo::HelloRequest* request,
                demo::HelloReply* response, google::protobuf::Closure* done) override;
};

}  // namespace weft::examples

#endif  // WEFT_EXAMPLES_GREETER_GREETER_SERVANT_H_
