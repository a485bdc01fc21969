// Content hash of one template's cylinders (bits, validity, minutiae): it
// orders the two roles of a comparison (mcc::swap_roles) and lets a gallery
// file's entries be checked against their cylinders. Word-wise, so that
// rehashing a million templates at load time stays in the seconds.
#pragma once

#include <cstdint>
#include <algorithm>
#include <cstring>

#include "mcc/layout.hpp"

namespace fpm::mcc {

inline std::uint64_t hash_words(std::uint64_t h, const void* data, std::size_t bytes) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  while (bytes >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
    p += 8;
    bytes -= 8;
  }
  if (bytes) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, bytes);
    h = (h ^ w ^ (std::uint64_t{bytes} << 56)) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  }
  return h;
}

inline std::uint64_t content_hash(int n, const std::uint64_t* bits, const std::uint64_t* valid, const float* x,
                                  const float* y, const float* theta) {
  std::uint64_t h = 0x243f6a8885a308d3ull ^ static_cast<std::uint64_t>(n);
  h = hash_words(h, bits, static_cast<std::size_t>(n) * kCylinderWords * 8);
  h = hash_words(h, valid, static_cast<std::size_t>(n) * kValidityWords * 8);
  h = hash_words(h, x, static_cast<std::size_t>(n) * 4);
  h = hash_words(h, y, static_cast<std::size_t>(n) * 4);
  h = hash_words(h, theta, static_cast<std::size_t>(n) * 4);
  return h;
}

// content_hash of four cylinder sets at once: the same values, with the four
// multiply chains interleaved so that the multiplier's throughput rather than
// its latency bounds the time (verifying a million entries at load).
inline void content_hash4(const CylinderSetView v[4], std::uint64_t out[4]) {
  std::uint64_t h[4];
  for (int q = 0; q < 4; ++q) h[q] = 0x243f6a8885a308d3ull ^ static_cast<std::uint64_t>(v[q].n);
  // The whole-word segments (bits, then validity) interleaved up to the
  // shortest one's length, then each finished on its own.
  const auto interleaved = [&](const std::uint64_t* const p[4], int words_per_cylinder) {
    std::size_t common = static_cast<std::size_t>(v[0].n);
    for (int q = 1; q < 4; ++q) common = std::min(common, static_cast<std::size_t>(v[q].n));
    common *= static_cast<std::size_t>(words_per_cylinder);
    for (std::size_t i = 0; i < common; ++i)
      for (int q = 0; q < 4; ++q) {
        h[q] = (h[q] ^ p[q][i]) * 0x9e3779b97f4a7c15ull;
        h[q] ^= h[q] >> 29;
      }
    for (int q = 0; q < 4; ++q)
      h[q] = hash_words(h[q], p[q] + common, (static_cast<std::size_t>(v[q].n) * words_per_cylinder - common) * 8);
  };
  const std::uint64_t* const bits[4] = {v[0].bits, v[1].bits, v[2].bits, v[3].bits};
  const std::uint64_t* const valid[4] = {v[0].valid, v[1].valid, v[2].valid, v[3].valid};
  interleaved(bits, kCylinderWords);
  interleaved(valid, kValidityWords);
  for (int q = 0; q < 4; ++q) {
    const std::size_t n = static_cast<std::size_t>(v[q].n) * 4;
    h[q] = hash_words(h[q], v[q].x, n);
    h[q] = hash_words(h[q], v[q].y, n);
    out[q] = hash_words(h[q], v[q].theta, n);
  }
}

}  // namespace fpm::mcc
