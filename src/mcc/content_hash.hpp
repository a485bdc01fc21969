// Content hash of one template's cylinders (bits, validity, minutiae): it
// orders the two roles of a comparison (mcc::swap_roles) and lets a gallery
// file's entries be checked against their cylinders. Word-wise, so that
// rehashing a million templates at load time stays in the seconds.
#pragma once

#include <cstdint>
#include <cstring>

#include "mcc/layout.hpp"

namespace fpm::mcc {

// One 64-bit word into the hash (the loader interleaves this step over
// several entries; it must stay the same step).
inline std::uint64_t hash_word(std::uint64_t h, std::uint64_t w) {
  h = (h ^ w) * 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

inline std::uint64_t hash_words(std::uint64_t h, const void* data, std::size_t bytes) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  while (bytes >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = hash_word(h, w);
    p += 8;
    bytes -= 8;
  }
  if (bytes) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, bytes);
    h = hash_word(h, w ^ (std::uint64_t{bytes} << 56));
  }
  return h;
}

// The state a template's hash starts from.
inline std::uint64_t content_hash_seed(std::uint64_t n) { return 0x243f6a8885a308d3ull ^ n; }

inline std::uint64_t content_hash(int n, const std::uint64_t* bits, const std::uint64_t* valid, const float* x,
                                  const float* y, const float* theta) {
  std::uint64_t h = content_hash_seed(static_cast<std::uint64_t>(n));
  h = hash_words(h, bits, static_cast<std::size_t>(n) * kCylinderWords * 8);
  h = hash_words(h, valid, static_cast<std::size_t>(n) * kValidityWords * 8);
  h = hash_words(h, x, static_cast<std::size_t>(n) * 4);
  h = hash_words(h, y, static_cast<std::size_t>(n) * 4);
  h = hash_words(h, theta, static_cast<std::size_t>(n) * 4);
  return h;
}

}  // namespace fpm::mcc
