// The LSS-R compatibility prefilter: a test without square roots or arc
// tangents that finds every pair of selected pairs whose compatibility
// rho(t, k) may be nonzero (in either order). The filtered CPU paths and the
// CUDA kernel compute the exact rho only for those and store 0 for the rest,
// which is what pair_compatibility gives them; the parity tests compare the
// filtered matrices with the unfiltered scalar reference.
#pragma once

#include <cmath>

#include "mcc/score.hpp"
#include "mcc/tables.hpp"

namespace fpm::mcc {

// rho(t, k) is nonzero only where d1 * kZ1Scale + 0.5 lies below the z1
// support and likewise d2 for z2; the tests widen both limits, by half a
// pixel and by 10^-3 rad, far beyond the rounding of their shortcuts:
// |da - db| < L  <=>  S < L^2  or  D^2 + L^4 < 2 L^2 S  (S = da^2 + db^2,
// D = da^2 - db^2: no square roots), and d2 is, modulo 2 pi, the difference
// |phi_t - phi_k| of the two pairs' rotations phi = theta_a - theta_b, so
// it is small where that is below `rot_lo` or above `rot_hi`.
struct PrefilterLimits {
  float dist_sq, dist_4, dist_sq2;  // L^2, L^4, 2 L^2
  float rot_lo, rot_hi;
  FPM_HD explicit PrefilterLimits(const ScoreTables& T) {
    const float l1 = (static_cast<float>(T.z1_support) - 0.5f) / kZ1Scale + 0.5f;
    dist_sq = l1 * l1;
    dist_4 = dist_sq * dist_sq;
    dist_sq2 = 2.0f * dist_sq;
    rot_lo = (static_cast<float>(T.z2_support) - 0.5f) / kZAngleScale + 1e-3f;
    rot_hi = kTwoPiF - rot_lo;
  }
};

// A pair's rotation theta_a - theta_b, as the prefilter compares them.
FPM_HD_INLINE float pair_rotation(const Workspace& w, int t) { return angle_diff(w.ta[t], w.tb[t]); }

// Whether rho(t, k) or rho(k, t) may be nonzero; phi holds pair_rotation of
// every selected pair. False only where both are certainly 0.
FPM_HD_INLINE bool compatibility_may_be_nonzero(const PrefilterLimits& lim, const Workspace& w, const float* phi, int t,
                                                int k) {
  const float dxa = w.xa[t] - w.xa[k], dya = w.ya[t] - w.ya[k];
  const float dxb = w.xb[t] - w.xb[k], dyb = w.yb[t] - w.yb[k];
  const float a2 = dxa * dxa + dya * dya, b2 = dxb * dxb + dyb * dyb;
  const float sum = a2 + b2, dif = a2 - b2;
  const float rot = fabsf(phi[t] - phi[k]);
  return (sum < lim.dist_sq || dif * dif + lim.dist_4 < sum * lim.dist_sq2) && (rot < lim.rot_lo || rot > lim.rot_hi);
}

}  // namespace fpm::mcc
