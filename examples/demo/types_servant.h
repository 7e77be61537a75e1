// TypesServant: demo.Types (idl/demo/types.proto), the example echo service whose message holds a
// field of every kind, hosted in-process by weftd. The interop tests (tests/interop) send every
// XML-RPC and JSON type through it to check the gateways' mappings both ways.
//
// Part of //examples/demo. weftd creates one instance per event loop (demo_services.h); an
// instance keeps no state. Echo copies the request into the response, never fails, and runs
// `done` before returning.
#ifndef WEFT_EXAMPLES_DEMO_TYPES_SERVANT_H_
#define WEFT_EXAMPLES_DEMO_TYPES_SERVANT_H_

#include "demo/types.pb.h"
#include "google/protobuf/service.h"

namespace weft::examples {

class TypesServant final : public demo::Types {
 public:
  TypesServant() = default;
  TypesServant(const TypesServant&) = delete;
  TypesServant& operator=(const TypesServant&) = delete;

  // demo::Types. `controller` is the call's broker::CallContext (unused: Echo cannot fail).
  void Echo(google::protobuf::RpcController* controller, const demo::AllTypes* request,
            demo::AllTypes* response, google::protobuf::Closure* done) override;
};

}  // namespace weft::examples

#endif  // WEFT_EXAMPLES_DEMO_TYPES_SERVANT_H_
