// Bounds-checked big-endian reader for binary template records. Every read
// names the field it reads, so that a failure can say which field at which
// byte offset; a read past the end throws DecodeError(Truncated) and never
// touches memory outside the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "fpmatch/error.hpp"

namespace fpm::detail {

class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size, const char* format)
      : data_(data), size_(size), end_(size), format_(format) {}

  std::size_t pos() const noexcept { return pos_; }
  std::size_t end() const noexcept { return end_; }
  std::size_t remaining() const noexcept { return end_ - pos_; }
  const std::uint8_t* data() const noexcept { return data_; }

  // Restricts reads to [pos, end): used for declared record and block lengths.
  void set_end(std::size_t end) noexcept { end_ = end < size_ ? end : size_; }
  void seek(std::size_t pos) noexcept { pos_ = pos < end_ ? pos : end_; }

  // Context used to name fields in errors: "view[2].minutia[7].x".
  void set_view(int view) noexcept { view_ = view; minutia_ = -1; }
  void set_minutia(int minutia) noexcept { minutia_ = minutia; }
  void clear_context() noexcept { view_ = -1; minutia_ = -1; }

  std::uint8_t u8(const char* field) {
    need(1, field);
    return data_[pos_++];
  }
  std::uint16_t u16(const char* field) {
    need(2, field);
    std::uint16_t v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::uint32_t u32(const char* field) {
    need(4, field);
    std::uint32_t v = (std::uint32_t(data_[pos_]) << 24) | (std::uint32_t(data_[pos_ + 1]) << 16) |
                      (std::uint32_t(data_[pos_ + 2]) << 8) | std::uint32_t(data_[pos_ + 3]);
    pos_ += 4;
    return v;
  }
  void skip(std::size_t n, const char* field) {
    need(n, field);
    pos_ += n;
  }

  std::string field_name(const char* field) const;

  [[noreturn]] void fail(ErrorCode code, const char* field, std::size_t offset,
                         const std::string& detail) const;

 private:
  void need(std::size_t n, const char* field) const {
    if (n > end_ - pos_) truncated(n, field);
  }
  [[noreturn]] void truncated(std::size_t n, const char* field) const;

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t end_;
  std::size_t pos_ = 0;
  const char* format_;
  int view_ = -1;
  int minutia_ = -1;
};

}  // namespace fpm::detail
