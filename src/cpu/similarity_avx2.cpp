// AVX2 path: byte-wise popcounts by nibble lookup (vpshufb), summed per
// 64-bit lane with vpsadbw. Compiled for AVX2 through target attributes and
// called only when the CPU has it.
#include <immintrin.h>

#include "cpu/similarity.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {

namespace {

#define FPM_AVX2 __attribute__((target("avx2,popcnt")))

FPM_AVX2 inline __m256i popcount_bytes(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_and_si256(v, low);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

FPM_AVX2 inline int popcount_256(const std::uint64_t* w) {
  return static_cast<int>(_mm_popcnt_u64(w[0]) + _mm_popcnt_u64(w[1]) + _mm_popcnt_u64(w[2]) +
                          _mm_popcnt_u64(w[3]));
}

}  // namespace

FPM_AVX2 void similarity_avx2(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, float* out) {
  const __m256i zero = _mm256_setzero_si256();
  for (int i = 0; i < A.n; ++i) {
    const std::uint64_t* ca = A.bits + i * mcc::kCylinderWords;
    const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(A.valid + i * mcc::kValidityWords));
    const float ta = A.theta[i];
    float* row = out + i * B.n;
    for (int j = 0; j < B.n; ++j) {
      if (!mcc::direction_compatible(ta, B.theta[j])) {
        row[j] = 0.0f;
        continue;
      }
      const __m256i m =
          _mm256_and_si256(va, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.valid + j * mcc::kValidityWords)));
      alignas(32) std::uint64_t mw[4];
      _mm256_store_si256(reinterpret_cast<__m256i*>(mw), m);
      if (popcount_256(mw) < mcc::kMinMatchableCells) {
        row[j] = 0.0f;
        continue;
      }
      const std::uint64_t* cb = B.bits + j * mcc::kCylinderWords;
      __m256i acc_a = zero, acc_b = zero, acc_x = zero;  // per-byte counts, at most 6 * 8 = 48
      for (int k = 0; k < mcc::kNd; ++k) {
        const __m256i a = _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(ca + 4 * k)), m);
        const __m256i b = _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(cb + 4 * k)), m);
        acc_a = _mm256_add_epi8(acc_a, popcount_bytes(a));
        acc_b = _mm256_add_epi8(acc_b, popcount_bytes(b));
        acc_x = _mm256_add_epi8(acc_x, popcount_bytes(_mm256_xor_si256(a, b)));
      }
      // Pack the three sums into one lane value (each below 2^16) and reduce once.
      __m256i s = _mm256_add_epi64(_mm256_sad_epu8(acc_a, zero), _mm256_slli_epi64(_mm256_sad_epu8(acc_b, zero), 16));
      s = _mm256_add_epi64(s, _mm256_slli_epi64(_mm256_sad_epu8(acc_x, zero), 32));
      const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
      const std::uint64_t t = static_cast<std::uint64_t>(_mm_cvtsi128_si64(h)) +
                              static_cast<std::uint64_t>(_mm_extract_epi64(h, 1));
      row[j] = mcc::lambda_from_counts(static_cast<int>(t & 0xffff), static_cast<int>((t >> 16) & 0xffff),
                                       static_cast<int>(t >> 32));
    }
  }
}

}  // namespace fpm::cpu
