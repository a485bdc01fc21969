// AVX-512 versions of the two heavy LSS-R stages: the compatibility matrix
// and the relaxation, 16 pairs at a time. Every lane performs exactly the
// operations of the scalar code in mcc/score.hpp, in the same order (IEEE
// single precision, no fused multiply-add), so the results are bit-identical;
// the parity tests compare them on every shared template pair.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "cpu/avx512_angle.hpp"
#include "cpu/lssr_simd.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {

#define FPM_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))

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
  alignas(64) std::int32_t nz_t[mcc::kMaxCylinders + 16];
  alignas(64) float nz_z1[mcc::kMaxCylinders + 16];
  for (int k = 0; k < nR; ++k) {
    const __m512 xak = _mm512_set1_ps(w.xa[k]), yak = _mm512_set1_ps(w.ya[k]), tak = _mm512_set1_ps(w.ta[k]);
    const __m512 xbk = _mm512_set1_ps(w.xb[k]), ybk = _mm512_set1_ps(w.yb[k]), tbk = _mm512_set1_ps(w.tb[k]);
    float* out = w.rho_t + k * nR;
    // Pass 1: the distance term for every t; most pairs of pairs disagree in
    // distance by more than the table covers (z1 = 0, so rho = +0 exactly).
    // Only the others, compacted, go through the angle terms.
    int nz = 0;
    for (int t0 = 0; t0 < nR; t0 += 16) {
      const __mmask16 live = nR - t0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (nR - t0)) - 1u);
      const __m512 xa = _mm512_maskz_loadu_ps(live, w.xa + t0), ya = _mm512_maskz_loadu_ps(live, w.ya + t0);
      const __m512 xb = _mm512_maskz_loadu_ps(live, w.xb + t0), yb = _mm512_maskz_loadu_ps(live, w.yb + t0);
      const __m512 dxa = _mm512_sub_ps(xa, xak), dya = _mm512_sub_ps(ya, yak);
      const __m512 dxb = _mm512_sub_ps(xb, xbk), dyb = _mm512_sub_ps(yb, ybk);
      const __m512 da = _mm512_sqrt_ps(_mm512_add_ps(_mm512_mul_ps(dxa, dxa), _mm512_mul_ps(dya, dya)));
      const __m512 db = _mm512_sqrt_ps(_mm512_add_ps(_mm512_mul_ps(dxb, dxb), _mm512_mul_ps(dyb, dyb)));
      const __m512 d1 = v_abs(_mm512_sub_ps(da, db));
      const __m512 s1 = _mm512_add_ps(_mm512_mul_ps(d1, _mm512_set1_ps(mcc::kZ1Scale)), _mm512_set1_ps(0.5f));
      const __mmask16 in1 = _mm512_mask_cmp_ps_mask(live, s1, _mm512_set1_ps(static_cast<float>(mcc::kZ1Size)), _CMP_LT_OQ);
      const __m512 z1 = _mm512_mask_i32gather_ps(zero, in1, _mm512_cvttps_epi32(s1), T.z1, 4);
      _mm512_mask_storeu_ps(out + t0, live, zero);
      __mmask16 keep = _mm512_mask_cmp_ps_mask(live, z1, zero, _CMP_NEQ_OQ);
      // rho(k, k) = 0: the diagonal never needs the angle terms.
      keep &= static_cast<__mmask16>(~_mm512_cmpeq_epi32_mask(_mm512_add_epi32(lane, _mm512_set1_epi32(t0)), _mm512_set1_epi32(k)));
      _mm512_mask_compressstoreu_epi32(nz_t + nz, keep, _mm512_add_epi32(lane, _mm512_set1_epi32(t0)));
      _mm512_mask_compressstoreu_ps(nz_z1 + nz, keep, z1);
      nz += __builtin_popcount(keep);
    }
    // Pass 2: angle terms for the compacted t, results stored back in place.
    for (int c0 = 0; c0 < nz; c0 += 16) {
      const __mmask16 live = nz - c0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (nz - c0)) - 1u);
      const __m512i t = _mm512_maskz_loadu_epi32(live, nz_t + c0);
      const __m512 z1 = _mm512_maskz_loadu_ps(live, nz_z1 + c0);
      const __m512 xa = _mm512_mask_i32gather_ps(zero, live, t, w.xa, 4);
      const __m512 ya = _mm512_mask_i32gather_ps(zero, live, t, w.ya, 4);
      const __m512 ta = _mm512_mask_i32gather_ps(zero, live, t, w.ta, 4);
      const __m512 xb = _mm512_mask_i32gather_ps(zero, live, t, w.xb, 4);
      const __m512 yb = _mm512_mask_i32gather_ps(zero, live, t, w.yb, 4);
      const __m512 tb = _mm512_mask_i32gather_ps(zero, live, t, w.tb, 4);
      const __m512 d2 = v_abs(v_angle_diff(v_angle_diff(ta, tak), v_angle_diff(tb, tbk)));
      const __m512 ra = v_angle_diff(ta, v_atan2(_mm512_sub_ps(ya, yak), _mm512_sub_ps(xak, xa)));
      const __m512 rb = v_angle_diff(tb, v_atan2(_mm512_sub_ps(yb, ybk), _mm512_sub_ps(xbk, xb)));
      const __m512 d3 = v_abs(v_angle_diff(ra, rb));
      const __m512 rho = _mm512_mul_ps(_mm512_mul_ps(z1, v_zangle(T.z2, d2)), v_zangle(T.z3, d3));
      _mm512_mask_i32scatter_ps(out, live, t, rho, 4);
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

// How many of the `total` similarities are >= level.
FPM_AVX512 int count_reaching(const float* lambda, int total, float level) {
  int n = 0;
  const __m512 lv = _mm512_set1_ps(level);
  for (int i0 = 0; i0 < total; i0 += 16) {
    const __mmask16 live = total - i0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (total - i0)) - 1u);
    n += __builtin_popcount(_mm512_mask_cmp_ps_mask(live, _mm512_maskz_loadu_ps(live, lambda + i0), lv, _CMP_GE_OQ));
  }
  return n;
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
  // Two binary searches (4 counting passes each) for a floor: the highest
  // level, first on a coarse then on a fine grid, that at least `cap`
  // entries reach. No selected entry lies below it, so only a few more than
  // `cap` candidates go through the exact key selection.
  float floor = 0.0f;
  float base = 0.0f, step = 1.0f / 16.0f;
  for (int round = 0; round < 2; ++round) {
    int lo = 0, hi = 16;  // largest l in [0, 16) with count(>= base + step * l) >= cap
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      if (count_reaching(lambda, total, base + step * static_cast<float>(mid)) >= cap)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo == 0) break;
    floor = base + step * static_cast<float>(lo - 1);
    base = floor;
    step /= 16.0f;
  }
  const __m512 vfloor = _mm512_set1_ps(floor);
  for (int i0 = 0; i0 < total; i0 += 16) {
    const __mmask16 live = total - i0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (total - i0)) - 1u);
    const __m512 v = _mm512_maskz_loadu_ps(live, lambda + i0);
    unsigned todo = _mm512_mask_cmp_ps_mask(live, v, _mm512_setzero_ps(), _CMP_GT_OQ) &
                    _mm512_mask_cmp_ps_mask(live, v, vfloor, _CMP_GE_OQ);
    while (todo) {
      const int idx = i0 + __builtin_ctz(todo);
      todo &= todo - 1;
      mcc::heap_offer(w.pairs, &count, cap, mcc::pair_key(lambda[idx], static_cast<std::uint32_t>(idx)));
    }
  }
  mcc::heap_sort_descending(w.pairs, count);
  return count;
}

// mcc::lssr_finish: efficiencies in vectors, each pick a vector maximum
// (the lowest t among equal maxima, as the scalar scan), the sum in pick order.
FPM_AVX512 float lssr_finish_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, int nR,
                                    const mcc::ScoreTables& T, const mcc::Workspace& w) {
  const int np = T.np[A.n < B.n ? A.n : B.n];
  const int take = np < nR ? np : nR;
  const int blocks = (nR + 15) / 16;
  for (int b = 0; b < blocks; ++b) {
    const int t0 = 16 * b;
    const __mmask16 live = nR - t0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (nR - t0)) - 1u);
    const __m512 e = _mm512_div_ps(_mm512_maskz_loadu_ps(live, w.l + t0), _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), live, w.l0 + t0));
    _mm512_storeu_ps(w.acc + t0, _mm512_mask_mov_ps(_mm512_set1_ps(-1.0f), live, e));
  }
  float sum = 0.0f;
  for (int p = 0; p < take; ++p) {
    __m512 mx = _mm512_loadu_ps(w.acc);
    for (int b = 1; b < blocks; ++b) mx = _mm512_max_ps(mx, _mm512_loadu_ps(w.acc + 16 * b));
    const __m512 best_v = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
    int best = -1;
    for (int b = 0; b < blocks && best < 0; ++b) {
      const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_loadu_ps(w.acc + 16 * b), best_v, _CMP_EQ_OQ);
      if (hit) best = 16 * b + __builtin_ctz(hit);
    }
    sum += w.l[best];
    w.acc[best] = -1.0f;
  }
  return mcc::final_score(sum / static_cast<float>(np), np);
}

}  // namespace fpm::cpu
