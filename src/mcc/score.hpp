// Per-pair MCC scoring shared by the CPU and CUDA paths: local similarity of
// two cylinders, selection of the best pairs, LSS-R relaxation, the global
// score. Everything here is plain arithmetic a GPU can run: no allocation, no
// library sort, sigmoids from tables, a fixed order for every sum, and only
// IEEE-exact operations (+ - * / sqrt, comparisons) on floats, so that with
// contraction off both sides produce the same bits.
#pragma once

#include <cmath>
#include <cstdint>

#include "mcc/hd.hpp"
#include "mcc/layout.hpp"
#include "mcc/params.hpp"
#include "mcc/sort_key.hpp"
#include "mcc/tables.hpp"

namespace fpm::mcc {

constexpr float kPiF = 3.14159265358979323846f;
constexpr float kTwoPiF = 6.28318530717958647692f;
constexpr float kHalfPiF = 1.57079632679489661923f;

FPM_HD_INLINE int popcount64(std::uint64_t v) {
#if defined(__CUDA_ARCH__)
  return __popcll(v);
#else
  return __builtin_popcountll(v);
#endif
}

// dPhi(a, b): a - b wrapped into [-pi, pi), for a - b in (-3pi, 3pi).
FPM_HD_INLINE float angle_diff(float a, float b) {
  float d = a - b;
  if (d >= kPiF) d -= kTwoPiF;
  if (d >= kPiF) d -= kTwoPiF;
  if (d < -kPiF) d += kTwoPiF;
  if (d < -kPiF) d += kTwoPiF;
  return d;
}

// det_atan2's polynomial on [0, 1] in a = min / max, s = a^2:
// r = ((kAtanP3 s + kAtanP2) s - kAtanP1) s a + a, evaluated in exactly this
// order by every variant (the SIMD ones in cpu/, the kernels through this
// function).
constexpr float kAtanP3 = -0.0464964749f;
constexpr float kAtanP2 = 0.15931422f;
constexpr float kAtanP1 = 0.327622764f;

// atan2 from IEEE-exact operations only (library atan2 differs between CPU
// and GPU in the last bits). Maximum error about 1e-5 rad, far below the
// angular resolution of any minutiae format.
FPM_HD_INLINE float det_atan2(float y, float x) {
  const float ax = fabsf(x);
  const float ay = fabsf(y);
  const float mx = ax > ay ? ax : ay;
  const float mn = ax > ay ? ay : ax;
  if (mx == 0.0f) return 0.0f;
  const float a = mn / mx;
  const float s = a * a;
  float r = ((kAtanP3 * s + kAtanP2) * s - kAtanP1) * s * a + a;
  if (ay > ax) r = kHalfPiF - r;
  if (x < 0.0f) r = kPiF - r;
  if (y < 0.0f) r = -r;
  return r;
}

// Direction of m2 seen from m1, relative to m1's own direction (image y
// axis points down, so the upward component is y1 - y2).
FPM_HD_INLINE float radial_angle(float x1, float y1, float t1, float x2, float y2) {
  return angle_diff(t1, det_atan2(y1 - y2, x2 - x1));
}

FPM_HD_INLINE bool direction_compatible(float ta, float tb) {
  return fabsf(angle_diff(ta, tb)) <= kDeltaTheta;
}

// lambda = 1 - sqrt(|a^b|) / (sqrt(|a|) + sqrt(|b|)) on the matchable cells.
FPM_HD_INLINE float lambda_from_counts(int pa, int pb, int px) {
  if (pa + pb == 0) return 0.0f;
  return 1.0f - sqrtf(static_cast<float>(px)) / (sqrtf(static_cast<float>(pa)) + sqrtf(static_cast<float>(pb)));
}

// Local similarity of cylinder i of A and cylinder j of B, plain popcounts.
// The SIMD paths compute the same three counts and call lambda_from_counts.
FPM_HD_INLINE float local_similarity(const CylinderSetView& A, int i, const CylinderSetView& B, int j) {
  if (!direction_compatible(A.theta[i], B.theta[j])) return 0.0f;
  const std::uint64_t* va = A.valid + i * kValidityWords;
  const std::uint64_t* vb = B.valid + j * kValidityWords;
  std::uint64_t m[kValidityWords];
  int pm = 0;
  for (int w = 0; w < kValidityWords; ++w) {
    m[w] = va[w] & vb[w];
    pm += popcount64(m[w]);
  }
  if (pm < kMinMatchableCells) return 0.0f;
  const std::uint64_t* ca = A.bits + i * kCylinderWords;
  const std::uint64_t* cb = B.bits + j * kCylinderWords;
  int pa = 0, pb = 0, px = 0;
  for (int k = 0; k < kNd; ++k)
    for (int w = 0; w < kWordsPerLayer; ++w) {
      const std::uint64_t a = ca[k * kWordsPerLayer + w] & m[w];
      const std::uint64_t b = cb[k * kWordsPerLayer + w] & m[w];
      pa += popcount64(a);
      pb += popcount64(b);
      px += popcount64(a ^ b);
    }
  return lambda_from_counts(pa, pb, px);
}

// Working memory of one pair's consolidation, sized for kMaxCylinders.
struct Workspace {
  std::uint64_t* pairs;  // kMaxCylinders: selected pairs, best first
  float* l0;             // kMaxCylinders each
  float* l;
  float* acc;
  float* xa;
  float* ya;
  float* ta;
  float* xb;
  float* yb;
  float* tb;
  float* rho_t;  // kMaxCylinders^2, rho(t, k) stored at [k * nR + t]
};

// Workspace::l0 ... tb: this many vectors of kMaxCylinders floats, laid out
// one after the other by make_workspace.
constexpr int kWorkspaceVectors = 9;

// A workspace over caller-owned memory: `pairs` (kMaxCylinders keys),
// `vectors` (kWorkspaceVectors * kMaxCylinders floats), `rho_t`.
FPM_HD_INLINE Workspace make_workspace(std::uint64_t* pairs, float* vectors, float* rho_t) {
  Workspace w;
  w.pairs = pairs;
  w.l0 = vectors;
  w.l = vectors + 1 * kMaxCylinders;
  w.acc = vectors + 2 * kMaxCylinders;
  w.xa = vectors + 3 * kMaxCylinders;
  w.ya = vectors + 4 * kMaxCylinders;
  w.ta = vectors + 5 * kMaxCylinders;
  w.xb = vectors + 6 * kMaxCylinders;
  w.yb = vectors + 7 * kMaxCylinders;
  w.tb = vectors + 8 * kMaxCylinders;
  w.rho_t = rho_t;
  return w;
}

// Key of matrix entry `idx` with similarity `lambda` > 0 (mcc/sort_key.hpp):
// larger is better; equal similarities go to the smaller row-major index.
// Unique per entry, so every correct selection algorithm (CPU heap, GPU
// parallel select) picks the same pairs in the same order.
FPM_HD_INLINE std::uint64_t pair_key(float lambda, std::uint32_t idx) { return sort_key(lambda, idx); }
FPM_HD_INLINE std::uint32_t key_index(std::uint64_t key) { return sort_key_index(key); }
FPM_HD_INLINE float key_lambda(std::uint64_t key) { return sort_key_value(key); }

// Min-heap of the `cap` largest keys seen so far.
FPM_HD_INLINE void heap_sift_down(std::uint64_t* h, int n, int i) {
  for (;;) {
    const int l = 2 * i + 1;
    if (l >= n) return;
    int s = l;
    if (l + 1 < n && h[l + 1] < h[l]) s = l + 1;
    if (h[i] <= h[s]) return;
    const std::uint64_t t = h[i];
    h[i] = h[s];
    h[s] = t;
    i = s;
  }
}
FPM_HD_INLINE void heap_sift_up(std::uint64_t* h, int i) {
  while (i > 0) {
    const int p = (i - 1) / 2;
    if (h[p] <= h[i]) return;
    const std::uint64_t t = h[i];
    h[i] = h[p];
    h[p] = t;
    i = p;
  }
}

// Offers one key to a top-`cap` heap holding `*count` keys.
FPM_HD_INLINE void heap_offer(std::uint64_t* h, int* count, int cap, std::uint64_t key) {
  if (*count < cap) {
    h[*count] = key;
    heap_sift_up(h, *count);
    ++*count;
  } else if (key > h[0]) {
    h[0] = key;
    heap_sift_down(h, cap, 0);
  }
}

// Turns the heap into a list sorted best first (heap sort, in place).
FPM_HD_INLINE void heap_sort_descending(std::uint64_t* h, int n) {
  for (int end = n - 1; end > 0; --end) {
    const std::uint64_t t = h[0];
    h[0] = h[end];
    h[end] = t;
    heap_sift_down(h, end, 0);
  }
}

FPM_HD_INLINE float z1_lookup(const ScoreTables& T, float d1) {
  const float s = d1 * kZ1Scale + 0.5f;
  if (s >= static_cast<float>(kZ1Size)) return 0.0f;
  return T.z1[static_cast<int>(s)];
}
FPM_HD_INLINE float zangle_lookup(const float* table, float d) {
  int i = static_cast<int>(d * kZAngleScale + 0.5f);
  if (i > kZAngleSize) i = kZAngleSize;
  return table[i];
}

// Compatibility rho(t, k) of two selected pairs (Eq. of LSS-R).
FPM_HD_INLINE float pair_compatibility(const ScoreTables& T, const Workspace& w, int t, int k) {
  const float dxa = w.xa[t] - w.xa[k], dya = w.ya[t] - w.ya[k];
  const float dxb = w.xb[t] - w.xb[k], dyb = w.yb[t] - w.yb[k];
  const float da = sqrtf(dxa * dxa + dya * dya);
  const float db = sqrtf(dxb * dxb + dyb * dyb);
  const float d1 = fabsf(da - db);
  const float z1 = z1_lookup(T, d1);
  if (z1 == 0.0f) return 0.0f;
  const float d2 = fabsf(angle_diff(angle_diff(w.ta[t], w.ta[k]), angle_diff(w.tb[t], w.tb[k])));
  const float ra = radial_angle(w.xa[t], w.ya[t], w.ta[t], w.xa[k], w.ya[k]);
  const float rb = radial_angle(w.xb[t], w.yb[t], w.tb[t], w.xb[k], w.yb[k]);
  const float d3 = fabsf(angle_diff(ra, rb));
  return z1 * zangle_lookup(T.z2, d2) * zangle_lookup(T.z3, d3);
}

// LSS-R over the nR selected pairs in w.pairs (best first), in four stages
// so that a SIMD implementation can replace the two heavy ones (the
// compatibility matrix and the relaxation) with the same arithmetic.

// Stage 1: gather the selected pairs' minutiae and initial similarities.
// idx / nb by multiply and shift (exact for idx < 2^14 and nb <= 128: the
// rounding error stays below 2^-10 < 1/nb).
FPM_HD_INLINE std::uint64_t gather_inverse(int nb) { return (std::uint64_t{1} << 24) / static_cast<std::uint64_t>(nb) + 1; }

// Pair t alone (the GPU gathers the pairs in parallel).
FPM_HD_INLINE void lssr_gather_pair(const CylinderSetView& A, const CylinderSetView& B, std::uint64_t inv, int t,
                                    const Workspace& w) {
  const std::uint32_t idx = key_index(w.pairs[t]);
  const int r = static_cast<int>((idx * inv) >> 24);
  const int c = static_cast<int>(idx) - r * B.n;
  w.l0[t] = key_lambda(w.pairs[t]);
  w.l[t] = w.l0[t];
  w.xa[t] = A.x[r];
  w.ya[t] = A.y[r];
  w.ta[t] = A.theta[r];
  w.xb[t] = B.x[c];
  w.yb[t] = B.y[c];
  w.tb[t] = B.theta[c];
}

FPM_HD_INLINE void lssr_gather(const CylinderSetView& A, const CylinderSetView& B, int nR, const Workspace& w) {
  const std::uint64_t inv = gather_inverse(B.n);
  for (int t = 0; t < nR; ++t) lssr_gather_pair(A, B, inv, t, w);
}

// Stage 2: rho(t, k) for every two selected pairs, at rho_t[k * nR + t]
// (zero on the diagonal).
FPM_HD_INLINE void lssr_compatibility(const ScoreTables& T, int nR, const Workspace& w) {
  for (int k = 0; k < nR; ++k)
    for (int t = 0; t < nR; ++t) w.rho_t[k * nR + t] = t == k ? 0.0f : pair_compatibility(T, w, t, k);
}

// Stage 3: n_rel relaxation steps; every sum runs over k in increasing order.
FPM_HD_INLINE void lssr_relax(int nR, const Workspace& w) {
  const float c = nR > 1 ? (1.0f - kWR) / static_cast<float>(nR - 1) : 0.0f;
  for (int it = 0; it < kNRel; ++it) {
    for (int t = 0; t < nR; ++t) w.acc[t] = 0.0f;
    for (int k = 0; k < nR; ++k) {
      const float lk = w.l[k];
      const float* row = w.rho_t + k * nR;
      for (int t = 0; t < nR; ++t) w.acc[t] += row[t] * lk;
    }
    for (int t = 0; t < nR; ++t) w.l[t] = kWR * w.l[t] + c * w.acc[t];
  }
}

// Whether two cylinder sets are worth comparing (kMinComparableCylinders).
FPM_HD_INLINE bool comparable(const CylinderSetView& a, const CylinderSetView& b) {
  return a.n >= kMinComparableCylinders && b.n >= kMinComparableCylinders;
}

// The LSS-R mean of n_P relaxed similarities, with its deviation from the
// impostor median scaled by sqrt(n_P / maxNP) (kScoreCentre).
FPM_HD_INLINE float final_score(float mean, int np) {
  return kScoreCentre + (mean - kScoreCentre) * sqrtf(static_cast<float>(np) / static_cast<float>(kMaxNP));
}

// Stage 4: the n_P pairs of highest efficiency lambda_final / lambda_0 (ties:
// the earlier pair), summed in that order and divided by n_P (fewer pairs
// than n_P lower the score).
FPM_HD_INLINE float lssr_finish(const CylinderSetView& A, const CylinderSetView& B, int nR, const ScoreTables& T,
                                const Workspace& w) {
  const int np = T.np[A.n < B.n ? A.n : B.n];
  const int take = np < nR ? np : nR;
  for (int t = 0; t < nR; ++t) w.acc[t] = w.l[t] / w.l0[t];  // efficiencies; -1 marks taken pairs
  float sum = 0.0f;
  for (int p = 0; p < take; ++p) {
    int best = -1;
    for (int t = 0; t < nR; ++t)
      if (w.acc[t] >= 0.0f && (best < 0 || w.acc[t] > w.acc[best])) best = t;
    sum += w.l[best];
    w.acc[best] = -1.0f;
  }
  return final_score(sum / static_cast<float>(np), np);
}

// Selects the best pairs of a similarity matrix (row-major, A.n x B.n) into
// w.pairs, best first: at most n_R = min(n_A, n_B), only positive ones.
FPM_HD_INLINE int select_pairs(const CylinderSetView& A, const CylinderSetView& B, const float* lambda,
                               const Workspace& w) {
  const int cap = A.n < B.n ? A.n : B.n;
  int count = 0;
  const int total = A.n * B.n;
  for (int idx = 0; idx < total; ++idx)
    if (lambda[idx] > 0.0f) heap_offer(w.pairs, &count, cap, pair_key(lambda[idx], static_cast<std::uint32_t>(idx)));
  heap_sort_descending(w.pairs, count);
  return count;
}

}  // namespace fpm::mcc
