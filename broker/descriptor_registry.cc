#include "broker/descriptor_registry.h"

#include <climits>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "weft/v1/object_ref.pb.h"

namespace weft::broker {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::DescriptorProto;
using ::google::protobuf::EnumDescriptor;
using ::google::protobuf::FieldDescriptorProto;
using ::google::protobuf::FileDescriptor;
using ::google::protobuf::FileDescriptorProto;
using ::google::protobuf::FileDescriptorSet;
using ::google::protobuf::ServiceDescriptor;
using ::google::protobuf::util::MessageDifferencer;

constexpr std::size_t kMaxReportedErrors = 5;

// Gathers protobuf's complaints about one FileDescriptorSet into one status message.
class CollectingErrors final : public DescriptorPool::ErrorCollector {
 public:
  // DescriptorPool::ErrorCollector
  void AddError(const std::string& filename, const std::string& element_name,
                const google::protobuf::Message* /*descriptor*/, ErrorLocation /*location*/,
                const std::string& message) override {
    if (errors_.size() == kMaxReportedErrors) return;
    std::string text = absl::StrCat("file '", filename, "'");
    if (!element_name.empty()) absl::StrAppend(&text, ", element '", element_name, "'");
    absl::StrAppend(&text, ": ", absl::StripSuffix(message, "."));
    errors_.push_back(std::move(text));
  }

  absl::Status ToStatus() const {
    return absl::InvalidArgumentError(
        absl::StrCat("descriptor set: ", absl::StrJoin(errors_, "; ")));
  }

 private:
  std::vector<std::string> errors_;
};

void ClearJsonNames(DescriptorProto& message) {
  for (FieldDescriptorProto& field : *message.mutable_field()) field.clear_json_name();
  for (FieldDescriptorProto& field : *message.mutable_extension()) field.clear_json_name();
  for (DescriptorProto& nested : *message.mutable_nested_type()) ClearJsonNames(nested);
}

// Drops what differs between a protoc-written file and FileDescriptor::CopyTo() output.
void Normalize(FileDescriptorProto& file) {
  file.clear_source_code_info();
  if (file.syntax() == "proto2") file.clear_syntax();
  for (DescriptorProto& message : *file.mutable_message_type()) ClearJsonNames(message);
  for (FieldDescriptorProto& field : *file.mutable_extension()) field.clear_json_name();
}

bool SameContents(const FileDescriptor& known, const FileDescriptorProto& proto) {
  FileDescriptorProto known_proto;
  known.CopyTo(&known_proto);
  Normalize(known_proto);
  FileDescriptorProto incoming = proto;
  Normalize(incoming);
  return MessageDifferencer::Equals(known_proto, incoming);
}

void CollectEnumSymbols(const EnumDescriptor& type, std::vector<const std::string*>& out) {
  out.push_back(&type.full_name());
  for (int i = 0; i < type.value_count(); ++i) out.push_back(&type.value(i)->full_name());
}

void CollectMessageSymbols(const Descriptor& type, std::vector<const std::string*>& out) {
  out.push_back(&type.full_name());
  for (int i = 0; i < type.nested_type_count(); ++i) {
    CollectMessageSymbols(*type.nested_type(i), out);
  }
  for (int i = 0; i < type.enum_type_count(); ++i) CollectEnumSymbols(*type.enum_type(i), out);
  for (int i = 0; i < type.extension_count(); ++i) out.push_back(&type.extension(i)->full_name());
}

// Every name `file` defines at package or message scope.
std::vector<const std::string*> SymbolsOf(const FileDescriptor& file) {
  std::vector<const std::string*> out;
  for (int i = 0; i < file.message_type_count(); ++i) {
    CollectMessageSymbols(*file.message_type(i), out);
  }
  for (int i = 0; i < file.enum_type_count(); ++i) CollectEnumSymbols(*file.enum_type(i), out);
  for (int i = 0; i < file.service_count(); ++i) out.push_back(&file.service(i)->full_name());
  for (int i = 0; i < file.extension_count(); ++i) out.push_back(&file.extension(i)->full_name());
  return out;
}

// Orders `files` so that each comes after the files of the list it imports (Kahn's algorithm,
// stable, no recursion: the input is peer-controlled). kInvalidArgument on an import cycle.
absl::StatusOr<std::vector<const FileDescriptorProto*>> BuildOrder(
    const std::vector<const FileDescriptorProto*>& files) {
  absl::flat_hash_map<absl::string_view, std::size_t> position;
  for (std::size_t i = 0; i < files.size(); ++i) position.emplace(files[i]->name(), i);
  std::vector<std::vector<std::size_t>> dependents(files.size());
  std::vector<int> unbuilt_imports(files.size(), 0);
  for (std::size_t i = 0; i < files.size(); ++i) {
    for (const std::string& import : files[i]->dependency()) {
      auto it = position.find(import);
      if (it == position.end()) continue;
      dependents[it->second].push_back(i);
      ++unbuilt_imports[i];
    }
  }
  std::vector<std::size_t> ready;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (unbuilt_imports[i] == 0) ready.push_back(i);
  }
  std::vector<const FileDescriptorProto*> order;
  for (std::size_t k = 0; k < ready.size(); ++k) {
    order.push_back(files[ready[k]]);
    for (std::size_t d : dependents[ready[k]]) {
      if (--unbuilt_imports[d] == 0) ready.push_back(d);
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (unbuilt_imports[i] > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("descriptor set: import cycle through file '", files[i]->name(), "'"));
    }
  }
  return order;
}

}  // namespace

DescriptorRegistry::DescriptorRegistry()
    : pool_(DescriptorPool::generated_pool()), dynamic_factory_(&pool_) {
  dynamic_factory_.SetDelegateToGeneratedFactory(true);
}

DescriptorRegistry::~DescriptorRegistry() = default;

absl::StatusOr<std::vector<const ServiceDescriptor*>> DescriptorRegistry::AddFileDescriptorSet(
    absl::string_view serialized) {
  FileDescriptorSet set;
  if (serialized.size() > INT_MAX ||
      !set.ParseFromArray(serialized.data(), static_cast<int>(serialized.size()))) {
    return absl::InvalidArgumentError("descriptor set: malformed FileDescriptorSet");
  }
  absl::StatusOr<FileList> files = NewFilesInBuildOrder(set);
  if (!files.ok()) return files.status();
  if (absl::Status status = DryRun(*files); !status.ok()) return status;
  for (const FileDescriptorProto* file : *files) {
    CollectingErrors errors;
    if (pool_.BuildFileCollectingErrors(*file, &errors) == nullptr) {
      // Unreachable: DryRun() built the same files over the same pool.
      return absl::InternalError(errors.ToStatus().message());
    }
  }
  std::vector<const ServiceDescriptor*> services;
  absl::flat_hash_set<absl::string_view> seen;
  for (const FileDescriptorProto& proto : set.file()) {
    if (!seen.insert(proto.name()).second) continue;
    const FileDescriptor* file = pool_.FindFileByName(proto.name());
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

// The files of `set` the pool lacks, deduplicated and in build order.
absl::StatusOr<DescriptorRegistry::FileList> DescriptorRegistry::NewFilesInBuildOrder(
    const FileDescriptorSet& set) const {
  absl::flat_hash_map<absl::string_view, const FileDescriptorProto*> by_name;
  FileList fresh;
  for (const FileDescriptorProto& file : set.file()) {
    if (file.name().empty()) {
      return absl::InvalidArgumentError("descriptor set: a file has no name");
    }
    auto [it, inserted] = by_name.emplace(file.name(), &file);
    if (!inserted) {
      if (MessageDifferencer::Equals(*it->second, file)) continue;
      return absl::InvalidArgumentError(absl::StrCat("descriptor set: file '", file.name(),
                                                     "' appears twice with different contents"));
    }
    if (pool_.FindFileByName(file.name()) == nullptr) {
      fresh.push_back(&file);
    } else if (absl::Status status = CheckAgainstKnownFile(file); !status.ok()) {
      return status;
    }
  }
  return BuildOrder(fresh);
}

absl::Status DescriptorRegistry::CheckAgainstKnownFile(const FileDescriptorProto& file) const {
  const FileDescriptor* known = pool_.FindFileByName(file.name());
  if (SameContents(*known, file)) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrCat("descriptor set: file '", file.name(),
                                               "' is already known with different contents"));
}

// Builds `files` into a throw-away pool layered over `pool_`, so that a set that fails halfway
// leaves `pool_` untouched.
absl::Status DescriptorRegistry::DryRun(const FileList& files) const {
  DescriptorPool scratch(&pool_);
  for (const FileDescriptorProto* file : files) {
    CollectingErrors errors;
    const FileDescriptor* built = scratch.BuildFileCollectingErrors(*file, &errors);
    if (built == nullptr) return errors.ToStatus();
    if (absl::Status status = CheckSymbolsAreNew(*built); !status.ok()) return status;
  }
  return absl::OkStatus();
}

// A pool does not check new symbols against its underlay, so a file could otherwise shadow a
// compiled-in type (say, its own "weft.v1.ObjectRef").
absl::Status DescriptorRegistry::CheckSymbolsAreNew(const FileDescriptor& file) const {
  for (const std::string* symbol : SymbolsOf(file)) {
    const FileDescriptor* owner = pool_.FindFileContainingSymbol(*symbol);
    if (owner == nullptr) continue;
    return absl::AlreadyExistsError(absl::StrCat("descriptor set: '", *symbol, "' in file '",
                                                 file.name(), "' is already defined in file '",
                                                 owner->name(), "'"));
  }
  return absl::OkStatus();
}

const ServiceDescriptor* DescriptorRegistry::FindService(absl::string_view full_name) const {
  return pool_.FindServiceByName(std::string(full_name));
}

const google::protobuf::MethodDescriptor* DescriptorRegistry::FindMethod(
    absl::string_view service, absl::string_view method) const {
  const ServiceDescriptor* found = FindService(service);
  if (found == nullptr) return nullptr;
  return found->FindMethodByName(std::string(method));
}

const google::protobuf::Message* DescriptorRegistry::Prototype(const Descriptor* type) const {
  return dynamic_factory_.GetPrototype(type);
}

bool DescriptorRegistry::ContainsObjectRef(const Descriptor* type) const {
  auto it = contains_ref_.find(type);
  if (it != contains_ref_.end()) return it->second;
  return ReachesObjectRef(type);
}

// Breadth-first over the message types reachable from `type`, stopping at cached answers. When
// ObjectRef is unreachable, it is unreachable from every type visited too, so all of them are
// cached as false; a true answer is cached for `type` alone.
bool DescriptorRegistry::ReachesObjectRef(const Descriptor* type) const {
  const Descriptor* object_ref = weft::v1::ObjectRef::descriptor();
  std::vector<const Descriptor*> queue = {type};
  absl::flat_hash_set<const Descriptor*> seen = {type};
  bool found = false;
  for (std::size_t i = 0; i < queue.size() && !found; ++i) {
    const Descriptor* current = queue[i];
    auto cached = contains_ref_.find(current);
    if (current == object_ref || (cached != contains_ref_.end() && cached->second)) {
      found = true;
    } else if (cached == contains_ref_.end()) {
      for (int f = 0; f < current->field_count(); ++f) {
        const Descriptor* field_type = current->field(f)->message_type();
        if (field_type != nullptr && seen.insert(field_type).second) queue.push_back(field_type);
      }
    }
  }
  if (found) {
    contains_ref_[type] = true;
  } else {
    for (const Descriptor* visited : queue) contains_ref_[visited] = false;
  }
  return found;
}

}  // namespace weft::broker
