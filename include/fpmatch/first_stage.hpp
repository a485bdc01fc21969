// fpmatch: the first-stage code of a two-stage search (docs/two-stage.md).
//
// A fixed-length, 256-byte summary of an encoded template's cylinders,
// invariant to rotation and translation, compared by popcounts (integer
// arithmetic only: the same score on every machine and backend). It ranks
// a gallery at a small fraction of the full matcher's cost, so that the
// full matcher needs to run only on the best-ranked part (the shortlist).
// Its ranking is much weaker than the full matcher's: docs/two-stage.md has
// the measured hit rate against the share of the gallery kept.
#pragma once

#include <array>
#include <cstdint>

#include "fpmatch/export.h"
#include "fpmatch/matcher.hpp"

namespace fpm {

struct FirstStageCode {
  static constexpr std::size_t kWords = 32;  // 2048 bits
  std::array<std::uint64_t, kWords> words{};
  std::uint32_t ones = 0;  // set bits of words
};

// The code of a template (deterministic: the same cylinders give the same
// code everywhere). An empty template gives an empty code.
FPM_API FirstStageCode first_stage_code(const EncodedTemplate& t);

// The stage-1 score: floor(65536 * |a AND b| / (|a| + |b|)) in [0, 32768]
// (0 when both codes are empty); higher is more alike. Symmetric.
FPM_API std::uint32_t first_stage_score(const FirstStageCode& a, const FirstStageCode& b) noexcept;

}  // namespace fpm
