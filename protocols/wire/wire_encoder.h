// Encoders for native wire protocol frames: each appends one length-prefixed frame to `out`.
//
// Part of //protocols/wire (sans-I/O). The output is exactly what protoc-generated code would
// serialize for the weft.v1.Frame (idl/weft/v1/wire.proto), so peers in any language can use
// their protobuf library. Nothing here allocates beyond growing `out`.
#ifndef WEFT_PROTOCOLS_WIRE_WIRE_ENCODER_H_
#define WEFT_PROTOCOLS_WIRE_WIRE_ENCODER_H_

#include <cstddef>
#include <string>

#include "protocols/wire/wire_types.h"

namespace weft::protocols::wire {

void EncodeHello(const Hello& hello, std::string& out);
void EncodeWelcome(const Welcome& welcome, std::string& out);
void EncodeRegister(const Register& frame, std::string& out);
void EncodeCall(const Call& call, std::string& out);
void EncodeReply(const Reply& reply, std::string& out);
void EncodeCancel(const Cancel& cancel, std::string& out);
void EncodeRelease(const Release& release, std::string& out);
void EncodePublish(const Publish& publish, std::string& out);
void EncodeSubscribe(const Subscribe& subscribe, std::string& out);
void EncodePing(const Ping& ping, std::string& out);
void EncodePong(const Pong& pong, std::string& out);
void EncodeGoAway(const GoAway& go_away, std::string& out);

// Any frame.
void EncodeFrame(const Frame& frame, std::string& out);

// Zero-copy variants for the hot path: append everything up to the payload, which is the last
// field, and let the caller serialize exactly `payload_size` bytes of payload right after
// (e.g. with protobuf's SerializeWithCachedSizesToArray into the grown string). `reply.payload`
// and `call.payload` are ignored.
void EncodeReplyHeader(const Reply& reply, std::size_t payload_size, std::string& out);
void EncodeCallHeader(const Call& call, std::size_t payload_size, std::string& out);

}  // namespace weft::protocols::wire

#endif  // WEFT_PROTOCOLS_WIRE_WIRE_ENCODER_H_
