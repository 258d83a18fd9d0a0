#pragma once

// ByteReader: a bounds-checked, big-endian cursor over bytes from the network. Every Read*
// either consumes exactly what it returns or fails and leaves the cursor unchanged. Checks are
// on in every build: these bytes come from a peer we do not control.
//
// The reader does not own the bytes; string_views it returns point into the caller's buffer and
// live as long as that buffer.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace cdc {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : data_(bytes.data()), size_(bytes.size()) {}

  size_t remaining() const { return size_ - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return pos_ == size_; }

  bool ReadU8(uint8_t* out) {
    if (remaining() < 1) return false;
    *out = data_[pos_++];
    return true;
  }
  bool ReadU16(uint16_t* out) { return ReadBigEndian(out); }
  bool ReadU32(uint32_t* out) { return ReadBigEndian(out); }
  bool ReadU64(uint64_t* out) { return ReadBigEndian(out); }
  bool ReadI16(int16_t* out) { return ReadSigned<uint16_t>(out); }
  bool ReadI32(int32_t* out) { return ReadSigned<uint32_t>(out); }
  bool ReadI64(int64_t* out) { return ReadSigned<uint64_t>(out); }

  // A NUL-terminated string; the view excludes the NUL. Fails if no NUL is left in the buffer.
  bool ReadCString(std::string_view* out) {
    const void* nul = std::memchr(data_ + pos_, 0, remaining());
    if (nul == nullptr) return false;
    size_t len = static_cast<size_t>(static_cast<const uint8_t*>(nul) - (data_ + pos_));
    *out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), len);
    pos_ += len + 1;
    return true;
  }

  // Exactly n bytes.
  bool ReadBytes(size_t n, std::string_view* out) {
    if (remaining() < n) return false;
    *out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return true;
  }

  std::span<const uint8_t> Rest() const { return {data_ + pos_, remaining()}; }

 private:
  template <typename U>
  bool ReadBigEndian(U* out) {
    if (remaining() < sizeof(U)) return false;
    U v = 0;
    for (size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>((v << 8) | data_[pos_ + i]);
    pos_ += sizeof(U);
    *out = v;
    return true;
  }
  template <typename U, typename S>
  bool ReadSigned(S* out) {
    U u;
    if (!ReadBigEndian(&u)) return false;
    *out = static_cast<S>(u);
    return true;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Big-endian writers for the few messages we send (standby status updates).
inline void PutU64(uint8_t* dst, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    dst[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
}

}  // namespace cdc
