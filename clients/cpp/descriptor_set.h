// BuildDescriptorSet: the FileDescriptorSet a Register frame carries (docs/wire.md "Services").
//
// Part of //clients/cpp (internal). Pure function over descriptors.
#ifndef WEFT_CLIENTS_CPP_DESCRIPTOR_SET_H_
#define WEFT_CLIENTS_CPP_DESCRIPTOR_SET_H_

#include "absl/types/span.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"

namespace weft::clients::internal {

// The files defining `services` and every file they import, transitively, each once, every file
// after all of its dependencies (as protoc --include_imports writes them).
google::protobuf::FileDescriptorSet BuildDescriptorSet(
    absl::Span<const google::protobuf::ServiceDescriptor* const> services);

}  // namespace weft::clients::internal

#endif  // WEFT_CLIENTS_CPP_DESCRIPTOR_SET_H_
