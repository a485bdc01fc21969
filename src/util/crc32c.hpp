// CRC-32C (Castagnoli), the checksum of gallery file sections: hardware
// instruction where the CPU has SSE4.2, a table otherwise (same values).
#pragma once

#include <cstddef>
#include <cstdint>

namespace fpm::detail {

// Continues a CRC over more bytes: crc32c(crc32c(0, a), b) == crc32c(0, a+b).
std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size);

// The CRC of a + b from crc32c(0, a), crc32c(0, b) and b's length: lets
// parts of a buffer be checksummed in parallel.
std::uint32_t crc32c_combine(std::uint32_t crc1, std::uint32_t crc2, std::uint64_t len2);

}  // namespace fpm::detail
