// A cylinder set's per-cylinder summaries (mcc/summary.hpp explains them),
// computed once per set: the three layer-count bit planes, |bits| and
// |validity|, and which cylinders have the whole disc valid. The SIMD
// similarity stages read both sides' summaries instead of recounting them for
// every pair; a probe's summary is computed once per search and reused
// against every gallery entry (cpu/prepared_probe.hpp).
#pragma once

#include <cstdint>

#include "mcc/layout.hpp"
#include "mcc/params.hpp"
#include "mcc/summary.hpp"

namespace fpm::cpu {

struct SetSummary {
  // Words per cylinder's planes: p0, p1, p2 (4 words each), then padding, so
  // that each row starts on a 64-byte boundary for 512-bit loads.
  static constexpr int kPlaneStride = 16;
  static_assert(mcc::kPlaneWords <= kPlaneStride, "the planes fit a row");

  alignas(64) std::uint64_t planes[mcc::kMaxCylinders][kPlaneStride];
  std::uint32_t counts[mcc::kMaxCylinders];  // mcc::cylinder_counts
  std::uint64_t full[mcc::kMaxCylinders / 64];  // bit j % 64 of [j / 64]: the whole disc is valid
  int n = 0;

  // The whole-disc bits of cylinders j0 .. j0 + 7 / j0 + 15 (j0 a multiple of 8 / 16).
  std::uint32_t full8(int j0) const { return static_cast<std::uint32_t>(full[j0 / 64] >> (j0 % 64)) & 0xffu; }
  std::uint32_t full16(int j0) const { return static_cast<std::uint32_t>(full[j0 / 64] >> (j0 % 64)) & 0xffffu; }
};

// The specification's summaries (mcc::layer_count_planes,
// mcc::cylinder_counts, mcc::whole_disc), one cylinder at a time. The SIMD
// levels' own summarise functions give the same words.
inline void summarise_scalar(const mcc::CylinderSetView& s, SetSummary& out) {
  out.n = s.n;
  for (auto& w : out.full) w = 0;
  for (int j = 0; j < s.n; ++j) {
    mcc::layer_count_planes(s.bits + j * mcc::kCylinderWords, out.planes[j]);
    out.counts[j] = mcc::cylinder_counts(s.bits + j * mcc::kCylinderWords, s.valid + j * mcc::kValidityWords);
    if (mcc::whole_disc(out.counts[j])) out.full[j / 64] |= std::uint64_t{1} << (j % 64);
  }
}

}  // namespace fpm::cpu
