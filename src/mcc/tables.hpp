// Lookup tables for the sigmoids of LSS-R and for n_P. Built once on the host
// from the published parameters and copied as they are to the device, so
// that CPU and GPU read identical values (no exp() at match time).
#pragma once

#include <cstdint>

#include "mcc/hd.hpp"
#include "mcc/params.hpp"

namespace fpm::mcc {

constexpr int kZ1Steps = 8;            // table steps per pixel of distance difference
constexpr int kZ1Size = 64 * kZ1Steps; // covers [0, 64) px; beyond: 0
constexpr int kZAngleSize = 1024;      // steps over [0, pi]
constexpr float kZ1Scale = static_cast<float>(kZ1Steps);
constexpr float kZAngleScale = static_cast<float>(kZAngleSize / 3.14159265358979323846);

struct ScoreTables {
  float z1[kZ1Size];                // Z(d1; mu1, tau1) at d1 = i / kZ1Steps
  float z2[kZAngleSize + 1];        // Z(d2; mu2, tau2) at d2 = i * pi / kZAngleSize
  float z3[kZAngleSize + 1];        // Z(d3; mu3, tau3)
  std::uint8_t np[kMaxCylinders + 1];  // n_P for min(n_A, n_B)
  // One past the last nonzero entry of z1 and of z2 (the sigmoids decrease,
  // so every entry from there on is 0): the SIMD LSS-R skips pairs whose
  // table index lies beyond.
  int z1_support;
  int z2_support;
  // sqrtf(i) for every bit count a cylinder comparison can produce, so that
  // a GPU reads the three square roots of lambda_from_counts instead of
  // computing them (sqrtf is correctly rounded on both sides: the same bits).
  float sqrt_count[kCylinderWords * 64 + 1];
};

// The host copy, built on first use (thread-safe).
const ScoreTables& score_tables();

}  // namespace fpm::mcc
