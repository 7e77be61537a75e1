#include "examples/demo/types_servant.h"

namespace weft::examples {

void TypesServant::Echo(google::protobuf::RpcController* /*controller*/,
                        const demo::AllTypes* request, demo::AllTypes* response,
                        google::protobuf::Closure* done) {
  *response = *request;
  done->Run();
}

}  // namespace weft::examples
