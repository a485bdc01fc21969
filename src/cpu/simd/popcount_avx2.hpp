// Byte-wise popcounts on AVX2, which has no vector popcount instruction:
// each nibble looked up in a 16-entry table (vpshufb), the two nibbles'
// counts added. Sum bytes of several such counts (each at most 8 per byte)
// before reducing them per 64-bit lane with vpsadbw.
#pragma once

#if defined(__x86_64__)
#include <immintrin.h>

#include "cpu/simd_targets.hpp"

namespace fpm::cpu {

FPM_AVX2_INLINE __m256i popcount_bytes(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_and_si256(v, low);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

}  // namespace fpm::cpu
#endif
