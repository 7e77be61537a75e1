#include "examples/demo/demo_services.h"

#include "examples/demo/calculator_servant.h"
#include "examples/demo/counter_servant.h"

namespace weft::examples {

std::vector<std::pair<std::string, ServiceFactory>> DemoServiceFactories() {
  std::vector<std::pair<std::string, ServiceFactory>> factories;
  factories.emplace_back("demo.Calculator", []() -> std::unique_ptr<google::protobuf::Service> {
    return std::make_unique<CalculatorServant>();
  });
  factories.emplace_back("demo.Counter", []() -> std::unique_ptr<google::protobuf::Service> {
    return std::make_unique<CounterServant>();
  });
  return factories;
}

}  // namespace weft::examples
