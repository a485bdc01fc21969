// Faster versions of the LSS-R stages of mcc/score.hpp (same results, bit for bit).
#pragma once

#include "mcc/score.hpp"

namespace fpm::cpu {

// The compatibility prefilter's limits, shared by both filtered paths.
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
  explicit PrefilterLimits(const mcc::ScoreTables& T) {
    const float l1 = (static_cast<float>(T.z1_support) - 0.5f) / mcc::kZ1Scale + 0.5f;
    dist_sq = l1 * l1;
    dist_4 = dist_sq * dist_sq;
    dist_sq2 = 2.0f * dist_sq;
    rot_lo = (static_cast<float>(T.z2_support) - 0.5f) / mcc::kZAngleScale + 1e-3f;
    rot_hi = mcc::kTwoPiF - rot_lo;
  }
};

void lssr_compatibility_avx512(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w);
// Portable, for the AVX2 path (lssr_filtered.cpp).
void lssr_compatibility_filtered(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w);
void lssr_relax_avx512(int nR, const mcc::Workspace& w);
float lssr_finish_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, int nR,
                         const mcc::ScoreTables& T, const mcc::Workspace& w);
int select_pairs_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, const float* lambda,
                        const mcc::Workspace& w);

}  // namespace fpm::cpu
