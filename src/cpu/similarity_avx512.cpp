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

// mcc::lambda_from_counts for 16 pairs: the same IEEE operations per lane.
FPM_AVX512 inline __m512 v_lambda(__m512i pa, __m512i pb, __m512i px) {
  const __m512 fa = _mm512_sqrt_ps(_mm512_cvtepi32_ps(pa));
  const __m512 fb = _mm512_sqrt_ps(_mm512_cvtepi32_ps(pb));
  const __m512 fx = _mm512_sqrt_ps(_mm512_cvtepi32_ps(px));
  const __m512 l = _mm512_sub_ps(_mm512_set1_ps(1.0f), _mm512_div_ps(fx, _mm512_add_ps(fa, fb)));
  const __mmask16 empty = _mm512_cmpeq_epi32_mask(_mm512_add_epi32(pa, pb), _mm512_setzero_si512());
  return _mm512_mask_mov_ps(l, empty, _mm512_setzero_ps());
}

}  // namespace

// Sums of each of eight vectors' lanes, as the eight lanes of one vector
// (a transposing add tree: 12 instructions instead of eight reductions).
FPM_AVX512 inline __m512i sum_lanes8(const __m512i v[8]) {
  __m512i t[4];
  for (int i = 0; i < 4; ++i)
    t[i] = _mm512_add_epi64(_mm512_unpacklo_epi64(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_epi64(v[2 * i], v[2 * i + 1]));
  // t[i]: 128-bit lane q holds (v[2i] part q, v[2i+1] part q).
  const __m512i u0 = _mm512_add_epi64(_mm512_shuffle_i64x2(t[0], t[1], 0x88), _mm512_shuffle_i64x2(t[0], t[1], 0xdd));
  const __m512i u1 = _mm512_add_epi64(_mm512_shuffle_i64x2(t[2], t[3], 0x88), _mm512_shuffle_i64x2(t[2], t[3], 0xdd));
  // u0: lanes (v0,v1,v0,v1, v2,v3,v2,v3) half sums; u1 likewise for v4..v7.
  // Lane q of the sum: v[q]'s total.
  return _mm512_add_epi64(_mm512_shuffle_i64x2(u0, u1, 0x88), _mm512_shuffle_i64x2(u0, u1, 0xdd));
}

FPM_AVX512 void similarity_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, float* out) {
  const __m512 gate = _mm512_set1_ps(mcc::kDeltaTheta);
  // Popcounts of one row, turned into similarities 16 at a time afterwards
  // (a zero count pair gives similarity 0, as lambda_from_counts does).
  alignas(64) std::int32_t cnt_a[mcc::kMaxCylinders + 16], cnt_b[mcc::kMaxCylinders + 16],
      cnt_x[mcc::kMaxCylinders + 16];
  alignas(64) std::uint64_t totals[8];
  int cols[mcc::kMaxCylinders + 16];
  for (int i = 0; i < A.n; ++i) {
    const std::uint64_t* ca = A.bits + i * mcc::kCylinderWords;
    const __m512i a0 = _mm512_loadu_si512(ca);
    const __m512i a1 = _mm512_loadu_si512(ca + 8);
    const __m512i a2 = _mm512_loadu_si512(ca + 16);
    const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(A.valid + i * mcc::kValidityWords));
    const __m512 ta = _mm512_set1_ps(A.theta[i]);
    float* row = out + i * B.n;
    // The candidates that pass the direction gate (mcc::direction_compatible).
    int ncols = 0;
    for (int j0 = 0; j0 < B.n; j0 += 16) {
      const __mmask16 live = B.n - j0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (B.n - j0)) - 1u);
      const __m512 d = _mm512_abs_ps(v_angle_diff(ta, _mm512_maskz_loadu_ps(live, B.theta + j0)));
      const __mmask16 pass = _mm512_mask_cmp_ps_mask(live, d, gate, _CMP_LE_OQ);
      _mm512_mask_compressstoreu_epi32(cols + ncols, pass,
                                       _mm512_add_epi32(_mm512_set1_epi32(j0), _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
      ncols += __builtin_popcount(pass);
      _mm512_store_si512(cnt_a + j0, _mm512_setzero_si512());
      _mm512_store_si512(cnt_b + j0, _mm512_setzero_si512());
      _mm512_store_si512(cnt_x + j0, _mm512_setzero_si512());
    }
    // Eight candidates at a time; their four packed sums reduced together.
    for (int c0 = 0; c0 < ncols; c0 += 8) {
      const int batch = ncols - c0 < 8 ? ncols - c0 : 8;
      __m512i packed[8];
      for (int q = 0; q < 8; ++q) {
        if (q >= batch) {
          packed[q] = _mm512_setzero_si512();
          continue;
        }
        const int j = cols[c0 + q];
        const __m256i m = _mm256_and_si256(
            va, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.valid + j * mcc::kValidityWords)));
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
        // Four sums below 2^16 packed into one lane value. The matchable
        // cells are counted twice (m2 holds m twice).
        packed[q] = _mm512_add_epi64(
            _mm512_add_epi64(sa, _mm512_slli_epi64(sb, 16)),
            _mm512_add_epi64(_mm512_slli_epi64(sx, 32), _mm512_slli_epi64(_mm512_popcnt_epi64(m2), 48)));
      }
      _mm512_store_si512(totals, sum_lanes8(packed));
      for (int q = 0; q < batch; ++q) {
        const std::uint64_t t = totals[q];
        if (static_cast<int>(t >> 49) < mcc::kMinMatchableCells) continue;
        const int j = cols[c0 + q];
        cnt_a[j] = static_cast<std::int32_t>(t & 0xffff);
        cnt_b[j] = static_cast<std::int32_t>((t >> 16) & 0xffff);
        cnt_x[j] = static_cast<std::int32_t>((t >> 32) & 0xffff);
      }
    }
    for (int j0 = 0; j0 < B.n; j0 += 16) {
      const __mmask16 live = B.n - j0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (B.n - j0)) - 1u);
      _mm512_mask_storeu_ps(row + j0, live,
                            v_lambda(_mm512_load_si512(cnt_a + j0), _mm512_load_si512(cnt_b + j0),
                                     _mm512_load_si512(cnt_x + j0)));
    }
  }
}

}  // namespace fpm::cpu
