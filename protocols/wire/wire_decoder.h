// WireDecoder: incremental, zero-copy decoder of native wire protocol frames.
//
// Part of //protocols/wire (sans-I/O: bytes in, frames out). Framing is a 4-byte big-endian
// length followed by that many bytes of a serialized weft.v1.Frame (docs/wire.md). The decoder
// reads the protobuf wire format itself, so it needs no generated code and copies nothing: a
// frame that arrives whole inside one Feed() is decoded in place, and only a frame split across
// Feed() calls is gathered into an internal buffer.
#ifndef WEFT_PROTOCOLS_WIRE_WIRE_DECODER_H_
#define WEFT_PROTOCOLS_WIRE_WIRE_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "protocols/wire/limits.h"
#include "protocols/wire/wire_types.h"

namespace weft::protocols::wire {

class WireDecoder {
 public:
  explicit WireDecoder(const WireLimits& limits = WireLimits{}) : limits_(limits) {}

  WireDecoder(const WireDecoder&) = delete;
  WireDecoder& operator=(const WireDecoder&) = delete;

  // Hands the decoder the next bytes from the peer. `bytes` must stay valid until Next() returns
  // nullopt (it is read in place; the unread tail is copied then). Returns the poisoning error,
  // if any: kResourceExhausted (a frame over the size limit) or kInvalidArgument (malformed).
  absl::Status Feed(absl::string_view bytes);

  // The next complete frame, or nullopt when more bytes are needed or after an error (see
  // status()). Views in the frame are valid until the next Feed() or Next().
  std::optional<Frame> Next();

  // OkStatus() until the decoder meets bad input; then that error, for good.
  const absl::Status& status() const { return status_; }

  // Bytes held for an incomplete frame.
  std::size_t buffered_bytes() const { return pending_.size() + input_.size(); }

 private:
  static constexpr std::size_t kLengthPrefixBytes = 4;

  std::optional<absl::string_view> TakeFrameBody();
  absl::Status TooLarge(uint32_t length) const;
  void Poison(absl::Status status);

  const WireLimits limits_;
  absl::Status status_;
  std::string pending_;      // Start of a frame split across Feed() calls.
  absl::string_view input_;  // Unread part of the caller's latest Feed().
  std::string frame_;        // A frame gathered from `pending_` and `input_`.
  std::string joined_;       // Unread bytes plus a Feed() made before Next() was drained.
};

// Decodes one frame body (without its length prefix). kInvalidArgument naming the field when
// malformed, kResourceExhausted when a limit is exceeded, kUnimplemented for an unknown frame
// kind. Exposed for the encoder's tests and the fuzz target.
absl::Status DecodeFrameBody(absl::string_view body, const WireLimits& limits, Frame& frame);

}  // namespace weft::protocols::wire

#endif  // WEFT_PROTOCOLS_WIRE_WIRE_DECODER_H_
