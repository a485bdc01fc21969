// mcc::lssr_compatibility for the AVX2 path: the prefilter of
// mcc/prefilter.hpp over the upper triangle, 8 pairs of pairs at a time,
// then the exact rho(t, k) and rho(k, t) of the survivors, 8 at a time, with
// exactly the operations of mcc::pair_compatibility in the same order (IEEE
// single precision, no fused multiply-add), so the matrix is the scalar
// code's bit for bit (the parity tests compare them on every shared template
// pair and on fresh synthetic ones). The AVX-512 version (lssr_avx512.cpp)
// has the same structure.
#include <immintrin.h>

#include "cpu/simd_targets.hpp"

#include "cpu/avx2_angle.hpp"
#include "cpu/simd/vec_avx2.hpp"
#include "cpu/stage_variants.hpp"
#include "mcc/prefilter.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {


namespace {

FPM_AVX2 inline __m256 v_abs(__m256 v) { return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))); }

// mcc::det_atan2 on 8 lanes.
FPM_AVX2 inline __m256 v_atan2(__m256 y, __m256 x) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 ax = v_abs(x), ay = v_abs(y);
  const __m256 x_gt_y = _mm256_cmp_ps(ax, ay, _CMP_GT_OQ);
  const __m256 mx = _mm256_blendv_ps(ay, ax, x_gt_y);
  const __m256 mn = _mm256_blendv_ps(ax, ay, x_gt_y);
  const __m256 a = _mm256_div_ps(mn, mx);
  const __m256 s = _mm256_mul_ps(a, a);
  __m256 r = _mm256_mul_ps(_mm256_set1_ps(mcc::kAtanP3), s);
  r = _mm256_add_ps(r, _mm256_set1_ps(mcc::kAtanP2));
  r = _mm256_mul_ps(r, s);
  r = _mm256_sub_ps(r, _mm256_set1_ps(mcc::kAtanP1));
  r = _mm256_mul_ps(r, s);
  r = _mm256_mul_ps(r, a);
  r = _mm256_add_ps(r, a);
  r = _mm256_blendv_ps(r, _mm256_sub_ps(_mm256_set1_ps(mcc::kHalfPiF), r), _mm256_cmp_ps(ay, ax, _CMP_GT_OQ));
  r = _mm256_blendv_ps(r, _mm256_sub_ps(_mm256_set1_ps(mcc::kPiF), r), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
  // -r: the sign flipped exactly.
  r = _mm256_blendv_ps(r, _mm256_xor_ps(r, _mm256_set1_ps(-0.0f)), _mm256_cmp_ps(y, zero, _CMP_LT_OQ));
  return _mm256_blendv_ps(r, zero, _mm256_cmp_ps(mx, zero, _CMP_EQ_OQ));
}

// mcc::zangle_lookup on 8 lanes.
FPM_AVX2 inline __m256 v_zangle(const float* table, __m256 d) {
  __m256i i = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(d, _mm256_set1_ps(mcc::kZAngleScale)), _mm256_set1_ps(0.5f)));
  i = _mm256_min_epi32(i, _mm256_set1_epi32(mcc::kZAngleSize));
  return _mm256_i32gather_ps(table, i, 4);
}

// The pairs of pairs {t, k} (t > k) that may be compatible in either order,
// with the coordinate differences of t minus k.
struct Candidates {
  static constexpr int kBatch = 256;
  alignas(32) std::int32_t t[kBatch + 8], k[kBatch + 8];
  alignas(32) float dxa[kBatch + 8], dya[kBatch + 8], dxb[kBatch + 8], dyb[kBatch + 8];
  int n = 0;
};

// One direction of pair_compatibility given its distance term z1 and the
// differences of the first pair minus the second, per template.
FPM_AVX2 inline __m256 angle_terms(const mcc::ScoreTables& T, __m256 z1, __m256 tat, __m256 tak, __m256 tbt, __m256 tbk,
                                   __m256 dxa, __m256 dya, __m256 dxb, __m256 dyb) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 d2 = v_abs(v_angle_diff(v_angle_diff(tat, tak), v_angle_diff(tbt, tbk)));
  // radial_angle(x_t, y_t, theta_t, x_k, y_k): atan2(y_t - y_k, x_k - x_t),
  // and x_k - x_t is 0 - dx exactly (also for dx = 0).
  const __m256 ra = v_angle_diff(tat, v_atan2(dya, _mm256_sub_ps(zero, dxa)));
  const __m256 rb = v_angle_diff(tbt, v_atan2(dyb, _mm256_sub_ps(zero, dxb)));
  const __m256 d3 = v_abs(v_angle_diff(ra, rb));
  return _mm256_mul_ps(_mm256_mul_ps(z1, v_zangle(T.z2, d2)), v_zangle(T.z3, d3));
}

// The exact rho(t, k) and rho(k, t) of the candidates, into the matrix.
FPM_AVX2 void compatibility_exact(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w, Candidates& c) {
  const __m256 zero = _mm256_setzero_ps();
  // Pad the last group with copies of the first candidate: their results
  // are the same values written again.
  for (int i = c.n; i < ((c.n + 7) & ~7); ++i) {
    c.t[i] = c.t[0];
    c.k[i] = c.k[0];
    c.dxa[i] = c.dxa[0];
    c.dya[i] = c.dya[0];
    c.dxb[i] = c.dxb[0];
    c.dyb[i] = c.dyb[0];
  }
  for (int c0 = 0; c0 < c.n; c0 += 8) {
    const __m256i t = _mm256_load_si256(reinterpret_cast<const __m256i*>(c.t + c0));
    const __m256i k = _mm256_load_si256(reinterpret_cast<const __m256i*>(c.k + c0));
    const __m256 dxa = _mm256_load_ps(c.dxa + c0), dya = _mm256_load_ps(c.dya + c0);
    const __m256 dxb = _mm256_load_ps(c.dxb + c0), dyb = _mm256_load_ps(c.dyb + c0);
    const __m256 tat = _mm256_i32gather_ps(w.ta, t, 4), tak = _mm256_i32gather_ps(w.ta, k, 4);
    const __m256 tbt = _mm256_i32gather_ps(w.tb, t, 4), tbk = _mm256_i32gather_ps(w.tb, k, 4);
    // The distance term is the same in both orders: (-d)^2 = d^2 exactly.
    const __m256 da = _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(dxa, dxa), _mm256_mul_ps(dya, dya)));
    const __m256 db = _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(dxb, dxb), _mm256_mul_ps(dyb, dyb)));
    const __m256 d1 = v_abs(_mm256_sub_ps(da, db));
    const __m256 s1 = _mm256_add_ps(_mm256_mul_ps(d1, _mm256_set1_ps(mcc::kZ1Scale)), _mm256_set1_ps(0.5f));
    const __m256 in1 = _mm256_cmp_ps(s1, _mm256_set1_ps(static_cast<float>(mcc::kZ1Size)), _CMP_LT_OQ);
    // z1 = 0 gives rho = +0 exactly, as the scalar early return (the angle
    // terms are finite table values). Lanes out of the table gather nothing.
    const __m256i i1 = _mm256_and_si256(_mm256_cvttps_epi32(s1), _mm256_castps_si256(in1));
    const __m256 z1 = _mm256_mask_i32gather_ps(zero, T.z1, i1, in1, 4);
    const __m256 rho_tk = angle_terms(T, z1, tat, tak, tbt, tbk, dxa, dya, dxb, dyb);
    const __m256 rho_kt = angle_terms(T, z1, tak, tat, tbk, tbt, _mm256_sub_ps(zero, dxa), _mm256_sub_ps(zero, dya),
                                      _mm256_sub_ps(zero, dxb), _mm256_sub_ps(zero, dyb));
    alignas(32) float tk[8], kt[8];
    _mm256_store_ps(tk, rho_tk);
    _mm256_store_ps(kt, rho_kt);
    const int n = c.n - c0 < 8 ? c.n - c0 : 8;
    for (int q = 0; q < n; ++q) {
      w.rho_t[c.k[c0 + q] * nR + c.t[c0 + q]] = tk[q];
      w.rho_t[c.t[c0 + q] * nR + c.k[c0 + q]] = kt[q];
    }
  }
  c.n = 0;
}

}  // namespace

FPM_AVX2 void lssr_compatibility_avx2(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w) {
  for (int i = 0; i < nR * nR; ++i) w.rho_t[i] = 0.0f;
  const mcc::PrefilterLimits lim(T);
  alignas(32) float phi[mcc::kMaxCylinders + 8];
  for (int t = 0; t < nR; ++t) phi[t] = mcc::pair_rotation(w, t);
  const __m256 l1_sq = _mm256_set1_ps(lim.dist_sq), l1_4 = _mm256_set1_ps(lim.dist_4),
               l1_sq2 = _mm256_set1_ps(lim.dist_sq2);
  const __m256 l2_lo = _mm256_set1_ps(lim.rot_lo), l2_hi = _mm256_set1_ps(lim.rot_hi);
  Candidates c;
  for (int k = 0; k + 1 < nR; ++k) {
    const __m256 xak = _mm256_set1_ps(w.xa[k]), yak = _mm256_set1_ps(w.ya[k]);
    const __m256 xbk = _mm256_set1_ps(w.xb[k]), ybk = _mm256_set1_ps(w.yb[k]), phik = _mm256_set1_ps(phi[k]);
    for (int t0 = k + 1; t0 < nR; t0 += 8) {
      // Whole groups of 8 in vectors; the last, partial one with the scalar
      // test (the same arithmetic, so the same answers).
      unsigned keep = 0;
      if (nR - t0 >= 8) {
        const __m256 dxa = _mm256_sub_ps(_mm256_loadu_ps(w.xa + t0), xak);
        const __m256 dya = _mm256_sub_ps(_mm256_loadu_ps(w.ya + t0), yak);
        const __m256 dxb = _mm256_sub_ps(_mm256_loadu_ps(w.xb + t0), xbk);
        const __m256 dyb = _mm256_sub_ps(_mm256_loadu_ps(w.yb + t0), ybk);
        const __m256 a2 = _mm256_add_ps(_mm256_mul_ps(dxa, dxa), _mm256_mul_ps(dya, dya));
        const __m256 b2 = _mm256_add_ps(_mm256_mul_ps(dxb, dxb), _mm256_mul_ps(dyb, dyb));
        const __m256 sum = _mm256_add_ps(a2, b2), dif = _mm256_sub_ps(a2, b2);
        const __m256 near1 =
            _mm256_or_ps(_mm256_cmp_ps(sum, l1_sq, _CMP_LT_OQ),
                         _mm256_cmp_ps(_mm256_add_ps(_mm256_mul_ps(dif, dif), l1_4), _mm256_mul_ps(sum, l1_sq2), _CMP_LT_OQ));
        const __m256 rot = v_abs(_mm256_sub_ps(_mm256_loadu_ps(phi + t0), phik));
        const __m256 near2 = _mm256_or_ps(_mm256_cmp_ps(rot, l2_lo, _CMP_LT_OQ), _mm256_cmp_ps(rot, l2_hi, _CMP_GT_OQ));
        keep = static_cast<unsigned>(_mm256_movemask_ps(_mm256_and_ps(near1, near2)));
      } else {
        for (int q = 0; t0 + q < nR; ++q)
          keep |= mcc::compatibility_may_be_nonzero(lim, w, phi, t0 + q, k) ? 1u << q : 0u;
      }
      for (unsigned m = keep; m; m &= m - 1) {
        const int t = t0 + __builtin_ctz(m);
        c.t[c.n] = t;
        c.k[c.n] = k;
        c.dxa[c.n] = w.xa[t] - w.xa[k];
        c.dya[c.n] = w.ya[t] - w.ya[k];
        c.dxb[c.n] = w.xb[t] - w.xb[k];
        c.dyb[c.n] = w.yb[t] - w.yb[k];
        ++c.n;
      }
      if (c.n >= Candidates::kBatch) compatibility_exact(T, nR, w, c);
    }
  }
  if (c.n > 0) compatibility_exact(T, nR, w, c);
}

}  // namespace fpm::cpu

namespace fpm::cpu {

namespace {
#define FPM_VEC_TARGET FPM_AVX2
#include "cpu/simd/lssr_generic.inl"
#undef FPM_VEC_TARGET
}  // namespace

FPM_AVX2 int select_pairs_avx2(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, const float* lambda,
                               const mcc::Workspace& w) {
  return select_pairs<VecAvx2>(A, B, lambda, w);
}
FPM_AVX2 void lssr_relax_avx2(int nR, const mcc::Workspace& w) { relax<VecAvx2>(nR, w); }
FPM_AVX2 float lssr_finish_avx2(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, int nR,
                                const mcc::ScoreTables& T, const mcc::Workspace& w) {
  return finish<VecAvx2>(A, B, nR, T, w);
}

}  // namespace fpm::cpu
