#include "clients/cpp/descriptor_set.h"

#include "absl/container/flat_hash_set.h"

namespace weft::clients::internal {
namespace {

// Post-order DFS: dependencies first.
void AddFile(const google::protobuf::FileDescriptor& file,
             absl::flat_hash_set<const google::protobuf::FileDescriptor*>& seen,
             google::protobuf::FileDescriptorSet& out) {
  if (!seen.insert(&file).second) return;
  for (int i = 0; i < file.dependency_count(); ++i) AddFile(*file.dependency(i), seen, out);
  file.CopyTo(out.add_file());
}

}  // namespace

google::protobuf::FileDescriptorSet BuildDescriptorSet(
    absl::Span<const google::protobuf::ServiceDescriptor* const> services) {
  google::protobuf::FileDescriptorSet out;
  absl::flat_hash_set<const google::protobuf::FileDescriptor*> seen;
  for (const google::protobuf::ServiceDescriptor* service : services) {
    AddFile(*service->file(), seen, out);
  }
  return out;
}

}  // namespace weft::clients::internal
