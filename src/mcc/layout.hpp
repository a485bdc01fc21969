// The encoded form of one template as the scoring code reads it: n valid
// cylinders, each a 1536-bit cell vector (6 directional layers of 16x16
// spatial cells, layer-major, 4 words per layer; cell (i, j) of a layer is
// bit (j*16 + i) % 64 of word (j*16 + i) / 64), a 256-bit spatial validity
// mask, and the minutia's position and direction. Arrays are separate
// (structure of arrays) so that a gallery can pack many templates into the
// same arrays and copy them to a GPU as they are.
#pragma once

#include <cstdint>

#include "mcc/hd.hpp"
#include "mcc/params.hpp"

namespace fpm::mcc {

struct CylinderSetView {
  int n = 0;
  std::uint64_t hash = 0;                // content hash, orders the two roles of a comparison
  const std::uint64_t* bits = nullptr;   // n * kCylinderWords
  const std::uint64_t* valid = nullptr;  // n * kValidityWords
  const float* x = nullptr;              // n, canonical pixels
  const float* y = nullptr;              // n
  const float* theta = nullptr;          // n, radians in [0, 2*pi)
};

// Bytes one cylinder occupies in the encoded layout (bits, validity, x, y, theta).
constexpr int kBytesPerCylinder = (kCylinderWords + kValidityWords) * 8 + 3 * 4;

// Whether spatial cell `cell` (j * kNs + i) has its centre within R of the
// minutia: the "cells inside the disc" that minVC and minME are shares of,
// and the only cells an encoded cylinder may mark valid.
constexpr bool cell_in_disc(int cell) {
  const double step = 2.0 * kRadius / kNs;
  const double u = (cell % kNs + 1 - (kNs + 1) / 2.0) * step;
  const double v = (cell / kNs + 1 - (kNs + 1) / 2.0) * step;
  return u * u + v * v <= static_cast<double>(kRadius) * kRadius;
}
constexpr int disc_cell_count() {
  int count = 0;
  for (int cell = 0; cell < kCellsPerLayer; ++cell) count += cell_in_disc(cell) ? 1 : 0;
  return count;
}
// Word w of the validity mask with every cell of the disc valid.
constexpr std::uint64_t disc_mask_word(int w) {
  std::uint64_t m = 0;
  for (int b = 0; b < 64; ++b)
    if (cell_in_disc(w * 64 + b)) m |= std::uint64_t{1} << b;
  return m;
}
constexpr int kDiscCells = disc_cell_count();
// The validity mask with every cell of the disc valid (evaluated at compile
// time: the functions above are too slow to run per cylinder).
inline constexpr std::uint64_t kDiscMask[kValidityWords] = {disc_mask_word(0), disc_mask_word(1), disc_mask_word(2),
                                                           disc_mask_word(3)};
static_assert(kValidityWords == 4, "kDiscMask lists one word per validity word");

constexpr int ceil_positive(double v) {
  const int i = static_cast<int>(v);
  return static_cast<double>(i) < v ? i + 1 : i;
}
// A cylinder is valid with at least this many valid spatial cells.
constexpr int kMinValidCells = ceil_positive(kMinVC * kDiscCells);
// Two cylinders are comparable with at least this many spatial cells valid in
// both (the Nd layers share validity, so the share is the same per layer).
constexpr int kMinMatchableCells = ceil_positive(kMinME * kDiscCells);

// Scores are computed with the two templates in a canonical role order
// (fewer cylinders first, then the smaller content hash), which makes
// score(A, B) == score(B, A) exactly: ties between equal similarities are
// broken by matrix index, and the index depends on the roles.
FPM_HD_INLINE bool swap_roles(const CylinderSetView& a, const CylinderSetView& b) {
  return b.n < a.n || (b.n == a.n && b.hash < a.hash);
}

}  // namespace fpm::mcc
