#include "examples/demo/demo_services.h"

#include "examples/demo/calculator_servant.h"
#include "examples/demo/counter_servant.h"
#include "examples/demo/types_servant.h"

namespace weft::examples {

std::vector<std::pair<std::string, ServiceFactory>> DemoServiceFactories() {
  std::vector<std::pair<std::string, ServiceFactory>> factories;
  factories.emplace_back("demo.Calculator", []() -> std::unique_ptr<google::protobuf::Service> {
    return std::make_unique<CalculatorServant>();
  });
  factories.emplace_back("demo.Counter", []() -> std::unique_ptr<google::protobuf::Service> {
    return std::make_unique<CounterServant>();
  });
  factories.emplace_back("demo.Types", []() -> std::unique_ptr<google::protobuf::Service> {
    return std::make_unique<TypesServant>();
  });
  return factories;
}

}  // namespace weft::examples
