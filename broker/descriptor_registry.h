// DescriptorRegistry: the broker's view of every proto type and service it can route.
//
// Part of //broker. A DescriptorPool layered over protobuf's generated pool: compiled-in types
// (weft.v1.ObjectRef, the well-known types, in-process services) resolve to their generated
// descriptors, and external services add theirs at run time as FileDescriptorSets (the wire
// protocol's Register frame). Descriptors are never removed, so every pointer handed out stays
// valid for the registry's lifetime. (Layering a pool over the generated pool uses protobuf's
// DescriptorPool(const DescriptorPool* underlay) constructor, which protobuf documents as
// internal; pools do not check an overlay's symbols against the underlay, so this class does.)
//
// Threading: not thread-safe. Owned by one loop; every method, const ones included (they fill
// caches), runs there. Descriptor objects themselves are immutable and may be read anywhere.
#ifndef WEFT_BROKER_DESCRIPTOR_REGISTRY_H_
#define WEFT_BROKER_DESCRIPTOR_REGISTRY_H_

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"

namespace weft::broker {

class DescriptorRegistry {
 public:
  DescriptorRegistry();
  DescriptorRegistry(const DescriptorRegistry&) = delete;
  DescriptorRegistry& operator=(const DescriptorRegistry&) = delete;
  ~DescriptorRegistry();

  // Adds the files of a serialized google.protobuf.FileDescriptorSet (files in any order; each
  // file's imports must be in the set or already known). All or nothing: on error the registry
  // is unchanged. A file already known by name (compiled in or registered earlier) is skipped
  // when identical (ignoring source info and json_name).
  //
  // Returns the services defined by every file of the set, new or skipped, in set order.
  // Errors: kInvalidArgument for malformed bytes, a nameless file, one name twice with different
  // contents, an import cycle, or a file protobuf rejects (message names the file and protobuf's
  // error, e.g. an unresolvable import); kAlreadyExists when a known file has the same name but
  // different contents, or a new file defines a symbol that a known file already defines.
  absl::StatusOr<std::vector<const google::protobuf::ServiceDescriptor*>> AddFileDescriptorSet(
      absl::string_view serialized);

  // The service with this full name ("demo.Calculator"), compiled in or registered; nullptr
  // when unknown.
  const google::protobuf::ServiceDescriptor* FindService(absl::string_view full_name) const;

  // The method `method` ("Add") of service `service`; nullptr when either is unknown.
  const google::protobuf::MethodDescriptor* FindMethod(absl::string_view service,
                                                       absl::string_view method) const;

  // The default instance to New() messages of `type` from: the generated class for a compiled-in
  // type, a DynamicMessage otherwise (whose compiled-in sub-messages, ObjectRef included, are
  // generated classes). `type` must come from this registry (or the generated pool). Owned by
  // the registry; never null.
  const google::protobuf::Message* Prototype(const google::protobuf::Descriptor* type) const;

  // True when a message of `type` can hold a weft.v1.ObjectRef anywhere inside it (in itself,
  // or in any singular, repeated or map-value field, at any depth; recursive types included).
  // Extensions and google.protobuf.Any payloads are not considered. Cached per type.
  bool ContainsObjectRef(const google::protobuf::Descriptor* type) const;

  // The underlying pool, for lookups this class does not wrap (the control plane's listing).
  const google::protobuf::DescriptorPool& pool() const { return pool_; }

 private:
  using FileList = std::vector<const google::protobuf::FileDescriptorProto*>;

  absl::StatusOr<FileList> NewFilesInBuildOrder(
      const google::protobuf::FileDescriptorSet& set) const;
  absl::Status CheckAgainstKnownFile(const google::protobuf::FileDescriptorProto& file) const;
  absl::Status DryRun(const FileList& files) const;
  absl::Status CheckSymbolsAreNew(const google::protobuf::FileDescriptor& file) const;
  bool ReachesObjectRef(const google::protobuf::Descriptor* type) const;

  google::protobuf::DescriptorPool pool_;
  mutable google::protobuf::DynamicMessageFactory dynamic_factory_;
  mutable absl::flat_hash_map<const google::protobuf::Descriptor*, bool> contains_ref_;
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_DESCRIPTOR_REGISTRY_H_
