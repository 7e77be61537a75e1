// The example protos weftd knows without a peer registering them: linked in (with their
// descriptors, in the generated pool) so that config can name their services, as a webhook
// route's target does (gateways/webhook). The in-process demo services link their own protos;
// demo.Greeter runs as its own process (examples/greeter) or behind a webhook, so nothing else
// would reference it.
#include "demo/greeter.pb.h"
#include "google/protobuf/descriptor.h"

namespace weft::broker {

// Referenced from a file linked whole (a cc_binary source), this keeps greeter.pb.o and its
// descriptor registration in the binary.
extern const google::protobuf::ServiceDescriptor* (*const kWeftdLinkedServices[])();
const google::protobuf::ServiceDescriptor* (*const kWeftdLinkedServices[])() = {
    &demo::Greeter::descriptor,
};

}  // namespace weft::broker
