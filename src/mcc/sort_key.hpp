// The one sort-key format of the library: a non-negative float value and a
// 32-bit index in one 64-bit unsigned integer, so that comparing keys as
// integers orders by value (larger first when sorted descending) and, among
// equal values, by smaller index. Non-negative IEEE floats order as their bit
// patterns do, and the index is stored complemented. Keys are unique per
// index, so every correct selection (a CPU heap, a GPU sort or rank) picks
// the same items in the same order. Used for the pairs of one comparison
// (value = similarity, index = matrix index) and for search hits (value =
// score, index = entry index or subject rank). Key 0 means "no item": it is
// below every real key except that of value +0 and index 0xffffffff, which
// no caller produces (indices stay below 2^32 - 1).
#pragma once

#include <cstdint>

#include "mcc/hd.hpp"

namespace fpm::mcc {

FPM_HD_INLINE std::uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  std::uint32_t u;
  __builtin_memcpy(&u, &f, sizeof u);
  return u;
#endif
}

FPM_HD_INLINE float bits_float(std::uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  __builtin_memcpy(&f, &u, sizeof f);
  return f;
#endif
}

// `value` >= 0 (not NaN), `index` < 0xffffffff.
FPM_HD_INLINE std::uint64_t sort_key(float value, std::uint32_t index) {
  return (static_cast<std::uint64_t>(float_bits(value)) << 32) | (0xffffffffu - index);
}
FPM_HD_INLINE std::uint32_t sort_key_index(std::uint64_t key) { return 0xffffffffu - static_cast<std::uint32_t>(key); }
FPM_HD_INLINE float sort_key_value(std::uint64_t key) { return bits_float(static_cast<std::uint32_t>(key >> 32)); }

}  // namespace fpm::mcc
