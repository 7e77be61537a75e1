#include "examples/demo/calculator_servant.h"

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "broker/call_context.h"

namespace weft::examples {

using broker::CallContext;

void CalculatorServant::Add(google::protobuf::RpcController* controller,
                            const demo::AddRequest* request, demo::AddResponse* response,
                            google::protobuf::Closure* done) {
  int64_t sum = 0;
  if (__builtin_add_overflow(request->a(), request->b(), &sum)) {
    CallContext::From(controller).SetStatus(absl::OutOfRangeError("integer overflow"));
  } else {
    response->set_sum(sum);
  }
  done->Run();
}

void CalculatorServant::Divide(google::protobuf::RpcController* controller,
                               const demo::DivideRequest* request, demo::DivideResponse* response,
                               google::protobuf::Closure* done) {
  const int64_t dividend = request->dividend();
  const int64_t divisor = request->divisor();
  if (divisor == 0) {
    CallContext::From(controller).SetStatus(absl::InvalidArgumentError("division by zero"));
  } else if (dividend == std::numeric_limits<int64_t>::min() && divisor == -1) {
    // -INT64_MIN is INT64_MAX + 1: the quotient overflows, and in C++ the division is UB.
    CallContext::From(controller).SetStatus(absl::InvalidArgumentError("integer overflow"));
  } else {
    response->set_quotient(dividend / divisor);
    response->set_remainder(dividend % divisor);
  }
  done->Run();
}

}  // namespace weft::examples
