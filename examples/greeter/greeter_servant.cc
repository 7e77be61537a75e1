#include "examples/greeter/greeter_servant.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "clients/cpp/server_context.h"
#include "reactor/base/check.h"

namespace weft::examples {

void GreeterServant::SayHello(google::protobuf::RpcController* controller,
                              const demo::HelloRequest* request, demo::HelloReply* response,
                              google::protobuf::Closure* done) {
  WEFT_CHECK(controller != nullptr);
  if (request->name().empty()) {
    static_cast<clients::ServerContext*>(controller)
        ->SetStatus(absl::InvalidArgumentError("say_hello: name is empty"));
  } else {
    response->set_message(absl::StrCat("Hello, ", request->name(), "!"));
  }
  done->Run();
}

}  // namespace weft::examples
