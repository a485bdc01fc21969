// AVX-512 versions of the LSS-R stages of mcc/score.hpp: the compatibility
// matrix (prefiltered) here, and the width-generic pair selection,
// relaxation and final ranking (cpu/simd/lssr_generic.inl), 16 lanes at a
// time. Every value that reaches the score is
// computed with exactly the operations of the scalar code, in the same order
// (IEEE single precision, no fused multiply-add), so the results are
// bit-identical; the parity tests compare them on every shared template pair
// and on fresh synthetic ones.
// GCC 12 warns about its own _mm512_undefined_* helpers inside the intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include "cpu/simd_targets.hpp"

#include "cpu/avx512_angle.hpp"
#include "cpu/simd/vec_avx512.hpp"
#include "cpu/stage_variants.hpp"
#include "mcc/prefilter.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {


namespace {

FPM_AVX512 inline __m512 v_abs(__m512 v) { return _mm512_abs_ps(v); }

FPM_AVX512 inline __m512 v_atan2(__m512 y, __m512 x) {
  const __m512 zero = _mm512_setzero_ps();
  const __m512 ax = v_abs(x), ay = v_abs(y);
  const __mmask16 x_gt_y = _mm512_cmp_ps_mask(ax, ay, _CMP_GT_OQ);
  const __m512 mx = _mm512_mask_blend_ps(x_gt_y, ay, ax);
  const __m512 mn = _mm512_mask_blend_ps(x_gt_y, ax, ay);
  const __mmask16 mx_zero = _mm512_cmp_ps_mask(mx, zero, _CMP_EQ_OQ);
  const __m512 a = _mm512_div_ps(mn, mx);
  const __m512 s = _mm512_mul_ps(a, a);
  __m512 r = _mm512_mul_ps(_mm512_set1_ps(mcc::kAtanP3), s);
  r = _mm512_add_ps(r, _mm512_set1_ps(mcc::kAtanP2));
  r = _mm512_mul_ps(r, s);
  r = _mm512_sub_ps(r, _mm512_set1_ps(mcc::kAtanP1));
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

// Unordered pairs of selected pairs {t, k} (t > k) that may have a nonzero
// compatibility in either order, with the coordinate differences of t - k.
struct Candidates {
  static constexpr int kBatch = 256;
  alignas(64) std::int32_t t[kBatch + 16], k[kBatch + 16];
  alignas(64) float dxa[kBatch + 16], dya[kBatch + 16], dxb[kBatch + 16], dyb[kBatch + 16];
  int n = 0;
};

// rho of one direction: pair_compatibility(T, w, t, k) given the pair's
// distance term z1 and the differences dx, dy of t minus k, per template.
FPM_AVX512 inline __m512 angle_terms(const mcc::ScoreTables& T, __m512 z1, __m512 tat, __m512 tak, __m512 tbt,
                                     __m512 tbk, __m512 dxa, __m512 dya, __m512 dxb, __m512 dyb) {
  const __m512 zero = _mm512_setzero_ps();
  const __m512 d2 = v_abs(v_angle_diff(v_angle_diff(tat, tak), v_angle_diff(tbt, tbk)));
  // radial_angle(x_t, y_t, theta_t, x_k, y_k): atan2(y_t - y_k, x_k - x_t),
  // and x_k - x_t is 0 - dx exactly (also for dx = 0).
  const __m512 ra = v_angle_diff(tat, v_atan2(dya, _mm512_sub_ps(zero, dxa)));
  const __m512 rb = v_angle_diff(tbt, v_atan2(dyb, _mm512_sub_ps(zero, dxb)));
  const __m512 d3 = v_abs(v_angle_diff(ra, rb));
  return _mm512_mul_ps(_mm512_mul_ps(z1, v_zangle(T.z2, d2)), v_zangle(T.z3, d3));
}

// The exact rho(t, k) and rho(k, t) of the candidates, stored in the matrix.
FPM_AVX512 void compatibility_exact(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w,
                                    const Candidates& c) {
  const __m512 zero = _mm512_setzero_ps();
  for (int c0 = 0; c0 < c.n; c0 += 16) {
    const __mmask16 live = c.n - c0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (c.n - c0)) - 1u);
    const __m512i t = _mm512_maskz_loadu_epi32(live, c.t + c0), k = _mm512_maskz_loadu_epi32(live, c.k + c0);
    const __m512 dxa = _mm512_maskz_loadu_ps(live, c.dxa + c0), dya = _mm512_maskz_loadu_ps(live, c.dya + c0);
    const __m512 dxb = _mm512_maskz_loadu_ps(live, c.dxb + c0), dyb = _mm512_maskz_loadu_ps(live, c.dyb + c0);
    const __m512 tat = _mm512_mask_i32gather_ps(zero, live, t, w.ta, 4);
    const __m512 tak = _mm512_mask_i32gather_ps(zero, live, k, w.ta, 4);
    const __m512 tbt = _mm512_mask_i32gather_ps(zero, live, t, w.tb, 4);
    const __m512 tbk = _mm512_mask_i32gather_ps(zero, live, k, w.tb, 4);
    // The distance term is the same in both orders: (-d)^2 = d^2 exactly.
    const __m512 da = _mm512_sqrt_ps(_mm512_add_ps(_mm512_mul_ps(dxa, dxa), _mm512_mul_ps(dya, dya)));
    const __m512 db = _mm512_sqrt_ps(_mm512_add_ps(_mm512_mul_ps(dxb, dxb), _mm512_mul_ps(dyb, dyb)));
    const __m512 d1 = v_abs(_mm512_sub_ps(da, db));
    const __m512 s1 = _mm512_add_ps(_mm512_mul_ps(d1, _mm512_set1_ps(mcc::kZ1Scale)), _mm512_set1_ps(0.5f));
    const __mmask16 in1 = _mm512_mask_cmp_ps_mask(live, s1, _mm512_set1_ps(static_cast<float>(mcc::kZ1Size)), _CMP_LT_OQ);
    // z1 = 0 gives rho = +0 exactly, as the scalar early return (the angle
    // terms are finite table values).
    const __m512 z1 = _mm512_mask_i32gather_ps(zero, in1, _mm512_cvttps_epi32(s1), T.z1, 4);
    const __m512 rho_tk = angle_terms(T, z1, tat, tak, tbt, tbk, dxa, dya, dxb, dyb);
    const __m512 rho_kt = angle_terms(T, z1, tak, tat, tbk, tbt, _mm512_sub_ps(zero, dxa), _mm512_sub_ps(zero, dya),
                                      _mm512_sub_ps(zero, dxb), _mm512_sub_ps(zero, dyb));
    const __m512i vn = _mm512_set1_epi32(nR);
    _mm512_mask_i32scatter_ps(w.rho_t, live, _mm512_add_epi32(_mm512_mullo_epi32(k, vn), t), rho_tk, 4);
    _mm512_mask_i32scatter_ps(w.rho_t, live, _mm512_add_epi32(_mm512_mullo_epi32(t, vn), k), rho_kt, 4);
  }
}

}  // namespace

// rho(t, k) is zero for most pairs of selected pairs: their distances
// disagree by more than the z1 table covers, or their relative directions by
// more than the z2 table does. Both terms are the same for (t, k) and (k, t)
// (the distance term exactly: the same squares summed in the same order; the
// direction term up to the rounding of the wrap-around). So a pass over the
// upper triangle with cheap tests against limits widened by far more than
// their rounding errors finds every pair that may be nonzero in either
// order; only those, compacted 16 to a vector, go through the exact
// arithmetic, and the matrix is the scalar code's bit for bit (the parity
// tests compare them on the shared templates and on fresh synthetic ones).
FPM_AVX512 void lssr_compatibility_avx512(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w) {
  const __m512 zero = _mm512_setzero_ps();
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  // rho_t holds kMaxCylinders^2 floats, a multiple of 16: whole-vector stores.
  for (int i = 0; i < nR * nR; i += 16) _mm512_storeu_ps(w.rho_t + i, zero);
  const mcc::PrefilterLimits lim(T);
  const __m512 l1_sq = _mm512_set1_ps(lim.dist_sq), l1_4 = _mm512_set1_ps(lim.dist_4),
               l1_sq2 = _mm512_set1_ps(lim.dist_sq2);
  const __m512 l2_lo = _mm512_set1_ps(lim.rot_lo), l2_hi = _mm512_set1_ps(lim.rot_hi);
  alignas(64) float phi[mcc::kMaxCylinders + 16];
  for (int t0 = 0; t0 < nR; t0 += 16) {
    const __mmask16 live = nR - t0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (nR - t0)) - 1u);
    _mm512_store_ps(phi + t0, v_angle_diff(_mm512_maskz_loadu_ps(live, w.ta + t0), _mm512_maskz_loadu_ps(live, w.tb + t0)));
  }
  Candidates c;
  for (int k = 0; k + 1 < nR; ++k) {
    const __m512 xak = _mm512_set1_ps(w.xa[k]), yak = _mm512_set1_ps(w.ya[k]);
    const __m512 xbk = _mm512_set1_ps(w.xb[k]), ybk = _mm512_set1_ps(w.yb[k]), phik = _mm512_set1_ps(phi[k]);
    for (int t0 = k + 1; t0 < nR; t0 += 16) {
      const __mmask16 live = nR - t0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (nR - t0)) - 1u);
      const __m512 dxa = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, w.xa + t0), xak);
      const __m512 dya = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, w.ya + t0), yak);
      const __m512 dxb = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, w.xb + t0), xbk);
      const __m512 dyb = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, w.yb + t0), ybk);
      const __m512 a2 = _mm512_add_ps(_mm512_mul_ps(dxa, dxa), _mm512_mul_ps(dya, dya));
      const __m512 b2 = _mm512_add_ps(_mm512_mul_ps(dxb, dxb), _mm512_mul_ps(dyb, dyb));
      const __m512 sum = _mm512_add_ps(a2, b2), dif = _mm512_sub_ps(a2, b2);
      const __mmask16 near1 =
          _mm512_mask_cmp_ps_mask(live, sum, l1_sq, _CMP_LT_OQ) |
          _mm512_mask_cmp_ps_mask(live, _mm512_add_ps(_mm512_mul_ps(dif, dif), l1_4), _mm512_mul_ps(sum, l1_sq2), _CMP_LT_OQ);
      const __m512 rot = v_abs(_mm512_sub_ps(_mm512_maskz_loadu_ps(live, phi + t0), phik));
      const __mmask16 keep = near1 & (_mm512_cmp_ps_mask(rot, l2_lo, _CMP_LT_OQ) | _mm512_cmp_ps_mask(rot, l2_hi, _CMP_GT_OQ));
      if (!keep) continue;
      _mm512_storeu_si512(c.t + c.n, _mm512_maskz_compress_epi32(keep, _mm512_add_epi32(lane, _mm512_set1_epi32(t0))));
      _mm512_storeu_si512(c.k + c.n, _mm512_set1_epi32(k));
      _mm512_storeu_ps(c.dxa + c.n, _mm512_maskz_compress_ps(keep, dxa));
      _mm512_storeu_ps(c.dya + c.n, _mm512_maskz_compress_ps(keep, dya));
      _mm512_storeu_ps(c.dxb + c.n, _mm512_maskz_compress_ps(keep, dxb));
      _mm512_storeu_ps(c.dyb + c.n, _mm512_maskz_compress_ps(keep, dyb));
      c.n += __builtin_popcount(keep);
      if (c.n >= Candidates::kBatch) {
        compatibility_exact(T, nR, w, c);
        c.n = 0;
      }
    }
  }
  compatibility_exact(T, nR, w, c);
}

namespace {
#define FPM_VEC_TARGET FPM_AVX512
#include "cpu/simd/lssr_generic.inl"
#undef FPM_VEC_TARGET
}  // namespace

FPM_AVX512 int select_pairs_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, const float* lambda,
                                   const mcc::Workspace& w) {
  return select_pairs<VecAvx512>(A, B, lambda, w);
}
FPM_AVX512 void lssr_relax_avx512(int nR, const mcc::Workspace& w) { relax<VecAvx512>(nR, w); }
FPM_AVX512 float lssr_finish_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, int nR,
                                    const mcc::ScoreTables& T, const mcc::Workspace& w) {
  return finish<VecAvx512>(A, B, nR, T, w);
}

}  // namespace fpm::cpu
