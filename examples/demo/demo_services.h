// The in-process example services weftd can host: demo.Calculator, demo.Counter and demo.Types.
//
// Part of //examples/demo. weftd's main() asks for the factories and hosts the services the
// config names (`services { name: "demo.Calculator" }`, examples/demo.conf). No global registry:
//
//   for (auto& [name, factory] : weft::examples::DemoServiceFactories()) {
//     known_services.emplace(name, std::move(factory));
//   }
#ifndef WEFT_EXAMPLES_DEMO_DEMO_SERVICES_H_
#define WEFT_EXAMPLES_DEMO_DEMO_SERVICES_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "google/protobuf/service.h"

namespace weft::examples {

// Makes one servant of a service. weftd calls it once per event loop; every call returns a new,
// independent servant (the demo servants share no state).
using ServiceFactory = absl::AnyInvocable<std::unique_ptr<google::protobuf::Service>()>;

// The demo services by full proto name: "demo.Calculator", "demo.Counter", "demo.Types", in that
// order. Each servant's GetDescriptor()->full_name() equals its name. demo.CounterObject is not
// listed: its objects come from demo.Counter.Create.
std::vector<std::pair<std::string, ServiceFactory>> DemoServiceFactories();

}  // namespace weft::examples

#endif  // WEFT_EXAMPLES_DEMO_DEMO_SERVICES_H_
