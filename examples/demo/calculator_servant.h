// CalculatorServant: demo.Calculator (idl/demo/calculator.proto), the example stateless service
// that weftd hosts in-process.
//
// Part of //examples/demo. weftd creates one instance per event loop (demo_services.h); an
// instance keeps no state, so any number of them serve calls side by side. Every method
// finishes at once: it sets the response or the status on the broker::CallContext and runs
// `done` before returning.
//
// Integer semantics (all int64, never undefined behaviour):
//   Add      a + b; OUT_OF_RANGE "integer overflow" when the sum does not fit in int64.
//   Divide   quotient truncated toward zero, remainder with the dividend's sign (C++ `/`, `%`);
//            INVALID_ARGUMENT "division by zero" when divisor is 0, INVALID_ARGUMENT
//            "integer overflow" for INT64_MIN / -1 (the one quotient int64 cannot hold).
#ifndef WEFT_EXAMPLES_DEMO_CALCULATOR_SERVANT_H_
#define WEFT_EXAMPLES_DEMO_CALCULATOR_SERVANT_H_

#include "demo/calculator.pb.h"
#include "google/protobuf/service.h"

namespace weft::examples {

class CalculatorServant final : public demo::Calculator {
 public:
  CalculatorServant() = default;
  CalculatorServant(const CalculatorServant&) = delete;
  CalculatorServant& operator=(const CalculatorServant&) = delete;

  // demo::Calculator. `controller` is the call's broker::CallContext.
  void Add(google::protobuf::RpcController* controller, const demo::AddRequest* request,
           demo::AddResponse* response, google::protobuf::Closure* done) override;
  void Divide(google::protobuf::RpcController* controller, const demo::DivideRequest* request,
              demo::DivideResponse* response, google::protobuf::Closure* done) override;
};

}  // namespace weft::examples

#endif  // WEFT_EXAMPLES_DEMO_CALCULATOR_SERVANT_H_
