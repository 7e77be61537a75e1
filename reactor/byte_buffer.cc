#include "reactor/byte_buffer.h"

#include <algorithm>
#include <cstring>

#include "reactor/base/check.h"

namespace weft::reactor {

void ByteBuffer::Append(absl::string_view bytes) {
  if (bytes.empty()) return;
  const std::size_t used = size();
  WEFT_CHECK(used + bytes.size() <= UINT32_MAX);
  if (end_ + bytes.size() > capacity_) {
    if (used + bytes.size() <= capacity_ / 2 + 1 && data_ != nullptr) {
      // Plenty of room once consumed bytes are dropped: compact in place.
      std::memmove(data_.get(), data_.get() + begin_, used);
    } else {
      std::size_t capacity = std::max<std::size_t>(4096, capacity_);
      while (capacity < used + bytes.size()) capacity *= 2;
      capacity = std::min<std::size_t>(capacity, UINT32_MAX);
      auto grown = std::make_unique<char[]>(capacity);
      if (used > 0) std::memcpy(grown.get(), data_.get() + begin_, used);
      data_ = std::move(grown);
      capacity_ = static_cast<uint32_t>(capacity);
    }
    begin_ = 0;
    end_ = static_cast<uint32_t>(used);
  }
  std::memcpy(data_.get() + end_, bytes.data(), bytes.size());
  end_ += static_cast<uint32_t>(bytes.size());
}

void ByteBuffer::Consume(std::size_t n) {
  WEFT_DCHECK(n <= size());
  begin_ += static_cast<uint32_t>(n);
  if (begin_ == end_) Clear();
}

void ByteBuffer::Clear() {
  data_.reset();
  begin_ = end_ = capacity_ = 0;
}

}  // namespace weft::reactor
