// fpmatch: the first-stage code of a two-stage search (docs/two-stage.md).
//
// A fixed-length, 512-byte summary of an encoded template's cylinders
// (version 2: for up to 32 of its cylinders, a 104-bit signature and the
// minutia's quantised position and direction), compared by popcounts and a
// geometric consistency check of the best-matching pairs; invariant to
// rotation and translation, integer arithmetic only (the same score on
// every machine and backend). It ranks a gallery at a fraction of the full
// matcher's cost (about a tenth), so that the full matcher needs to run
// only on the best-ranked part (the shortlist). Its ranking is weaker than
// the full matcher's: docs/two-stage.md has the measured hit rate against
// the share of the gallery kept.
#pragma once

#include <array>
#include <cstdint>

#include "fpmatch/export.h"
#include "fpmatch/matcher.hpp"

namespace fpm {

struct FirstStageCode {
  static constexpr std::size_t kWords = 64;  // 32 slots of 2 words
  std::array<std::uint64_t, kWords> words{};
  std::uint32_t aux = 0;  // slots filled (0 to 32: the template's kept cylinders; the rest is zero)
};

// The code of a template (deterministic: the same cylinders give the same
// code everywhere). An empty template gives an empty code.
FPM_API FirstStageCode first_stage_code(const EncodedTemplate& t);

// The stage-1 score in [0, 32768] (src/index/first_stage_code.hpp has the
// definition): the summed signature similarity of the largest group of
// geometrically consistent best-matching cylinder pairs; a code of at least
// 12 slots scores 16384 against itself; 0 when either code is empty. Higher
// is more alike. Symmetric.
FPM_API std::uint32_t first_stage_score(const FirstStageCode& a, const FirstStageCode& b) noexcept;

}  // namespace fpm
