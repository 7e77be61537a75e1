// ByteBuffer: a compact growable FIFO of bytes, used for unsent data in transports.
//
// Part of //reactor. One heap block, grown geometrically, compacted lazily; an empty buffer
// holds no memory at all, so idle connections cost nothing here.
#ifndef WEFT_REACTOR_BYTE_BUFFER_H_
#define WEFT_REACTOR_BYTE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"

namespace weft::reactor {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  bool empty() const { return begin_ == end_; }
  std::size_t size() const { return end_ - begin_; }

  // The unconsumed bytes, valid until the next Append() or Consume().
  absl::string_view view() const { return absl::string_view(data_.get() + begin_, size()); }

  void Append(absl::string_view bytes);

  // Drops the first `n` bytes (n <= size()). Frees the block once the buffer is empty.
  void Consume(std::size_t n);

  void Clear();

 private:
  std::unique_ptr<char[]> data_;
  uint32_t begin_ = 0;
  uint32_t end_ = 0;
  uint32_t capacity_ = 0;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_BYTE_BUFFER_H_
