// AVX-512 path: a cylinder is three 512-bit registers; vpopcntq counts bits
// per 64-bit lane (AVX512_VPOPCNTDQ). Called only when the CPU has it.
// GCC 12 warns about its own _mm512_undefined_* helpers inside the intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "cpu/similarity.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {

#define FPM_AVX512 __attribute__((target("avx512f,avx512vl,avx512vpopcntdq,avx512bw,popcnt")))

namespace {

// Same as mcc::angle_diff, 16 lanes.
FPM_AVX512 inline __m512 v_angle_diff(__m512 a, __m512 b) {
  const __m512 pi = _mm512_set1_ps(mcc::kPiF), npi = _mm512_set1_ps(-mcc::kPiF);
  const __m512 two_pi = _mm512_set1_ps(mcc::kTwoPiF);
  __m512 d = _mm512_sub_ps(a, b);
  d = _mm512_mask_sub_ps(d, _mm512_cmp_ps_mask(d, pi, _CMP_GE_OQ), d, two_pi);
  d = _mm512_mask_sub_ps(d, _mm512_cmp_ps_mask(d, pi, _CMP_GE_OQ), d, two_pi);
  d = _mm512_mask_add_ps(d, _mm512_cmp_ps_mask(d, npi, _CMP_LT_OQ), d, two_pi);
  d = _mm512_mask_add_ps(d, _mm512_cmp_ps_mask(d, npi, _CMP_LT_OQ), d, two_pi);
  return d;
}

}  // namespace

FPM_AVX512 void similarity_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, float* out) {
  const __m512 gate = _mm512_set1_ps(mcc::kDeltaTheta);
  for (int i = 0; i < A.n; ++i) {
    const std::uint64_t* ca = A.bits + i * mcc::kCylinderWords;
    const __m512i a0 = _mm512_loadu_si512(ca);
    const __m512i a1 = _mm512_loadu_si512(ca + 8);
    const __m512i a2 = _mm512_loadu_si512(ca + 16);
    const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(A.valid + i * mcc::kValidityWords));
    const __m512 ta = _mm512_set1_ps(A.theta[i]);
    float* row = out + i * B.n;
    for (int j0 = 0; j0 < B.n; j0 += 16) {
      const __mmask16 live = B.n - j0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (B.n - j0)) - 1u);
      // Direction gate for 16 candidates at once (mcc::direction_compatible).
      const __m512 d = _mm512_abs_ps(v_angle_diff(ta, _mm512_maskz_loadu_ps(live, B.theta + j0)));
      unsigned todo = _mm512_mask_cmp_ps_mask(live, d, gate, _CMP_LE_OQ);
      _mm512_mask_storeu_ps(row + j0, live, _mm512_setzero_ps());
      while (todo) {
        const int j = j0 + __builtin_ctz(todo);
        todo &= todo - 1;
        const __m256i m = _mm256_and_si256(
            va, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.valid + j * mcc::kValidityWords)));
        const __m256i pmv = _mm256_popcnt_epi64(m);
        const __m128i pmh = _mm_add_epi64(_mm256_castsi256_si128(pmv), _mm256_extracti128_si256(pmv, 1));
        const int pm = static_cast<int>(_mm_cvtsi128_si64(pmh) + _mm_extract_epi64(pmh, 1));
        if (pm < mcc::kMinMatchableCells) continue;
        const __m512i m2 = _mm512_broadcast_i64x4(m);  // validity is shared by the layers
        const std::uint64_t* cb = B.bits + j * mcc::kCylinderWords;
        const __m512i x0 = _mm512_and_si512(a0, m2), y0 = _mm512_and_si512(_mm512_loadu_si512(cb), m2);
        const __m512i x1 = _mm512_and_si512(a1, m2), y1 = _mm512_and_si512(_mm512_loadu_si512(cb + 8), m2);
        const __m512i x2 = _mm512_and_si512(a2, m2), y2 = _mm512_and_si512(_mm512_loadu_si512(cb + 16), m2);
        const __m512i sa = _mm512_add_epi64(_mm512_add_epi64(_mm512_popcnt_epi64(x0), _mm512_popcnt_epi64(x1)),
                                            _mm512_popcnt_epi64(x2));
        const __m512i sb = _mm512_add_epi64(_mm512_add_epi64(_mm512_popcnt_epi64(y0), _mm512_popcnt_epi64(y1)),
                                            _mm512_popcnt_epi64(y2));
        const __m512i sx = _mm512_add_epi64(_mm512_add_epi64(_mm512_popcnt_epi64(_mm512_xor_si512(x0, y0)),
                                                             _mm512_popcnt_epi64(_mm512_xor_si512(x1, y1))),
                                            _mm512_popcnt_epi64(_mm512_xor_si512(x2, y2)));
        // Three sums below 2^16 packed into one lane value: one reduction.
        const __m512i packed =
            _mm512_add_epi64(_mm512_add_epi64(sa, _mm512_slli_epi64(sb, 16)), _mm512_slli_epi64(sx, 32));
        const std::uint64_t t = static_cast<std::uint64_t>(_mm512_reduce_add_epi64(packed));
        row[j] = mcc::lambda_from_counts(static_cast<int>(t & 0xffff), static_cast<int>((t >> 16) & 0xffff),
                                         static_cast<int>(t >> 32));
      }
    }
  }
}

}  // namespace fpm::cpu
