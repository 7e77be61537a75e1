// The stored form of a message's metadata pairs, shared by every Store implementation.
//
// Part of //broker/store (internal to it). A blob is one format byte (kMetadataFormatV1) followed
// by each pair in order as <varint key length><key><varint value length><value>, with lengths as
// unsigned LEB128. Keys and values are arbitrary bytes; order and repeated keys are kept.
#ifndef WEFT_BROKER_STORE_METADATA_CODEC_H_
#define WEFT_BROKER_STORE_METADATA_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/store/store.h"

namespace weft::broker::store {

inline constexpr char kMetadataFormatV1 = 0x01;

// Encodes `metadata` (possibly empty) as one blob.
std::string EncodeMetadata(const Metadata& metadata);

// Decodes a blob written by EncodeMetadata(). A blob it could not have written (unknown format,
// truncated, malformed length, trailing bytes) is data corruption: kInternal, never a crash.
absl::StatusOr<Metadata> DecodeMetadata(absl::string_view blob);

}  // namespace weft::broker::store

#endif  // WEFT_BROKER_STORE_METADATA_CODEC_H_
