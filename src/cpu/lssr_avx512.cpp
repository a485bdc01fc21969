// AVX-512 versions of the two heavy LSS-R stages: the compatibility matrix
// and the relaxation, 16 pairs at a time. Every lane performs exactly the
// operations of the scalar code in mcc/score.hpp, in the same order (IEEE
// single precision, no fused multiply-add), so the results are bit-identical;
// the parity tests compare them on every shared template pair.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "cpu/lssr_simd.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {

#define FPM_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))

namespace {

FPM_AVX512 inline __m512 v_abs(__m512 v) { return _mm512_abs_ps(v); }

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

FPM_AVX512 inline __m512 v_atan2(__m512 y, __m512 x) {
  const __m512 zero = _mm512_setzero_ps();
  const __m512 ax = v_abs(x), ay = v_abs(y);
  const __mmask16 x_gt_y = _mm512_cmp_ps_mask(ax, ay, _CMP_GT_OQ);
  const __m512 mx = _mm512_mask_blend_ps(x_gt_y, ay, ax);
  const __m512 mn = _mm512_mask_blend_ps(x_gt_y, ax, ay);
  const __mmask16 mx_zero = _mm512_cmp_ps_mask(mx, zero, _CMP_EQ_OQ);
  const __m512 a = _mm512_div_ps(mn, mx);
  const __m512 s = _mm512_mul_ps(a, a);
  __m512 r = _mm512_mul_ps(_mm512_set1_ps(-0.0464964749f), s);
  r = _mm512_add_ps(r, _mm512_set1_ps(0.15931422f));
  r = _mm512_mul_ps(r, s);
  r = _mm512_sub_ps(r, _mm512_set1_ps(0.327622764f));
  r = _mm512_mul_ps(r, s);
  r = _mm512_mul_ps(r, a);
  r = _mm512_add_ps(r, a);
  r = _mm512_mask_sub_ps(r, _mm512_cmp_ps_mask(ay, ax, _CMP_GT_OQ), _mm512_set1_ps(mcc::kHalfPiF), r);
  r = _mm512_mask_sub_ps(r, _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), _mm512_set1_ps(mcc::kPiF), r);
  r = _mm512_mask_sub_ps(r, _mm512_cmp_ps_mask(y, zero, _CMP_LT_OQ), zero, r);  // -r flips the sign exactly
  return _mm512_mask_blend_ps(mx_zero, r, zero);
}

FPM_AVX512 inline __m512 v_zangle(const float* table, __m512 d) {
  __m512i i = _mm512_cvttps_epi32(
      _mm512_add_ps(_mm512_mul_ps(d, _mm512_set1_ps(mcc::kZAngleScale)), _mm512_set1_ps(0.5f)));
  i = _mm512_min_epi32(i, _mm512_set1_epi32(mcc::kZAngleSize));
  return _mm512_i32gather_ps(i, table, 4);
}

}  // namespace

FPM_AVX512 void lssr_compatibility_avx512(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w) {
  const __m512 zero = _mm512_setzero_ps();
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int k = 0; k < nR; ++k) {
    const __m512 xak = _mm512_set1_ps(w.xa[k]), yak = _mm512_set1_ps(w.ya[k]), tak = _mm512_set1_ps(w.ta[k]);
    const __m512 xbk = _mm512_set1_ps(w.xb[k]), ybk = _mm512_set1_ps(w.yb[k]), tbk = _mm512_set1_ps(w.tb[k]);
    float* out = w.rho_t + k * nR;
    for (int t0 = 0; t0 < nR; t0 += 16) {
      const __mmask16 live = nR - t0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (nR - t0)) - 1u);
      const __m512 xa = _mm512_maskz_loadu_ps(live, w.xa + t0), ya = _mm512_maskz_loadu_ps(live, w.ya + t0);
      const __m512 ta = _mm512_maskz_loadu_ps(live, w.ta + t0);
      const __m512 xb = _mm512_maskz_loadu_ps(live, w.xb + t0), yb = _mm512_maskz_loadu_ps(live, w.yb + t0);
      const __m512 tb = _mm512_maskz_loadu_ps(live, w.tb + t0);
      const __m512 dxa = _mm512_sub_ps(xa, xak), dya = _mm512_sub_ps(ya, yak);
      const __m512 dxb = _mm512_sub_ps(xb, xbk), dyb = _mm512_sub_ps(yb, ybk);
      const __m512 da = _mm512_sqrt_ps(_mm512_add_ps(_mm512_mul_ps(dxa, dxa), _mm512_mul_ps(dya, dya)));
      const __m512 db = _mm512_sqrt_ps(_mm512_add_ps(_mm512_mul_ps(dxb, dxb), _mm512_mul_ps(dyb, dyb)));
      const __m512 d1 = v_abs(_mm512_sub_ps(da, db));
      const __m512 s1 = _mm512_add_ps(_mm512_mul_ps(d1, _mm512_set1_ps(mcc::kZ1Scale)), _mm512_set1_ps(0.5f));
      const __mmask16 in1 = _mm512_cmp_ps_mask(s1, _mm512_set1_ps(static_cast<float>(mcc::kZ1Size)), _CMP_LT_OQ);
      const __m512 z1 = _mm512_mask_i32gather_ps(zero, in1, _mm512_cvttps_epi32(s1), T.z1, 4);
      const __m512 d2 = v_abs(v_angle_diff(v_angle_diff(ta, tak), v_angle_diff(tb, tbk)));
      const __m512 ra = v_angle_diff(ta, v_atan2(_mm512_sub_ps(ya, yak), _mm512_sub_ps(xak, xa)));
      const __m512 rb = v_angle_diff(tb, v_atan2(_mm512_sub_ps(yb, ybk), _mm512_sub_ps(xbk, xb)));
      const __m512 d3 = v_abs(v_angle_diff(ra, rb));
      __m512 rho = _mm512_mul_ps(_mm512_mul_ps(z1, v_zangle(T.z2, d2)), v_zangle(T.z3, d3));
      rho = _mm512_mask_mov_ps(rho, in1, rho);
      rho = _mm512_maskz_mov_ps(in1, rho);  // z1 == 0 outside the table: rho is exactly +0
      const __mmask16 diag = _mm512_cmpeq_epi32_mask(_mm512_add_epi32(lane, _mm512_set1_epi32(t0)), _mm512_set1_epi32(k));
      rho = _mm512_mask_mov_ps(rho, diag, zero);
      _mm512_mask_storeu_ps(out + t0, live, rho);
    }
  }
}

FPM_AVX512 void lssr_relax_avx512(int nR, const mcc::Workspace& w) {
  const float c = nR > 1 ? (1.0f - mcc::kWR) / static_cast<float>(nR - 1) : 0.0f;
  const __m512 vc = _mm512_set1_ps(c), vw = _mm512_set1_ps(mcc::kWR);
  for (int it = 0; it < mcc::kNRel; ++it) {
    // acc[t] = sum over k ascending of rho(t, k) * l[k], one register per
    // 16 values of t, two blocks interleaved to hide the add latency.
    for (int t0 = 0; t0 < nR; t0 += 32) {
      const __mmask16 live0 = nR - t0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (nR - t0)) - 1u);
      const int rest = nR - t0 - 16;
      const __mmask16 live1 = rest >= 16 ? __mmask16(0xffff) : rest > 0 ? __mmask16((1u << rest) - 1u) : __mmask16(0);
      __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
      for (int k = 0; k < nR; ++k) {
        const __m512 lk = _mm512_set1_ps(w.l[k]);
        const float* row = w.rho_t + k * nR + t0;
        acc0 = _mm512_add_ps(acc0, _mm512_mul_ps(_mm512_maskz_loadu_ps(live0, row), lk));
        acc1 = _mm512_add_ps(acc1, _mm512_mul_ps(_mm512_maskz_loadu_ps(live1, row + 16), lk));
      }
      _mm512_mask_storeu_ps(w.acc + t0, live0, acc0);
      _mm512_mask_storeu_ps(w.acc + t0 + 16, live1, acc1);
    }
    for (int t0 = 0; t0 < nR; t0 += 16) {
      const __mmask16 live = nR - t0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (nR - t0)) - 1u);
      const __m512 l = _mm512_maskz_loadu_ps(live, w.l + t0);
      const __m512 a = _mm512_maskz_loadu_ps(live, w.acc + t0);
      _mm512_mask_storeu_ps(w.l + t0, live, _mm512_add_ps(_mm512_mul_ps(vw, l), _mm512_mul_ps(vc, a)));
    }
  }
}

// mcc::select_pairs with a vector prefilter: once the heap is full, only
// entries whose similarity reaches the weakest kept one can enter, so whole
// blocks of 16 are rejected with one comparison. The exact keys decide as
// in the scalar selection, so the chosen pairs and their order are the same.
FPM_AVX512 int select_pairs_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B,
                                   const float* lambda, const mcc::Workspace& w) {
  const int cap = A.n < B.n ? A.n : B.n;
  const int total = A.n * B.n;
  int count = 0;
  float floor = 0.0f;  // entries must exceed 0, and reach the weakest kept similarity once full
  for (int i0 = 0; i0 < total; i0 += 16) {
    const __mmask16 live = total - i0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (total - i0)) - 1u);
    const __m512 v = _mm512_maskz_loadu_ps(live, lambda + i0);
    unsigned todo = count < cap ? _mm512_mask_cmp_ps_mask(live, v, _mm512_setzero_ps(), _CMP_GT_OQ)
                                : _mm512_mask_cmp_ps_mask(live, v, _mm512_set1_ps(floor), _CMP_GE_OQ);
    while (todo) {
      const int idx = i0 + __builtin_ctz(todo);
      todo &= todo - 1;
      if (!(lambda[idx] > 0.0f)) continue;
      mcc::heap_offer(w.pairs, &count, cap, mcc::pair_key(lambda[idx], static_cast<std::uint32_t>(idx)));
      if (count == cap) floor = mcc::key_lambda(w.pairs[0]);
    }
  }
  mcc::heap_sort_descending(w.pairs, count);
  return count;
}

}  // namespace fpm::cpu
