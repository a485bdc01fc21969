// Gallery-file checksums computed independently of the library (bit by bit,
// from the format's description in docs/gallery-format.md), shared by the
// gallery tests and the gallery fuzz target: both alter files and rewrite
// the checksums as a writer producing the altered bytes would have.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace fpm_fuzz {

// CRC-32C (Castagnoli, reflected 0x82F63B78), bit by bit: independent of
// the library's table and instruction paths.
inline std::uint32_t reference_crc32c(const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
  }
  return ~c;
}

// Rewrites the CRC of every section the table (id, crc, offset, bytes at
// 64 + 32 i, up to 16 entries) places inside the file, then the header's
// (its last four bytes). Files shorter than the header are left as they are.
inline void refresh_checksums(unsigned char* b, std::size_t size) {
  if (size < 4096) return;
  for (std::size_t i = 0; i < 16; ++i) {
    std::uint64_t off, len;
    std::memcpy(&off, b + 64 + 32 * i + 8, 8);
    std::memcpy(&len, b + 64 + 32 * i + 16, 8);
    if (off > size || len > size - off) continue;
    const std::uint32_t crc = reference_crc32c(b + off, static_cast<std::size_t>(len));
    std::memcpy(b + 64 + 32 * i + 4, &crc, 4);
  }
  const std::uint32_t crc = reference_crc32c(b, 4092);
  std::memcpy(b + 4092, &crc, 4);
}

}  // namespace fpm_fuzz
