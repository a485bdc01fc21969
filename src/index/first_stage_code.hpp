// The first-stage code of a two-stage search (docs/two-stage.md): a fixed
// 2048-bit summary of one template's cylinders, compared by popcounts. It
// ranks a gallery cheaply so that the full matcher (mcc/score.hpp) runs only
// on a shortlist. Integer arithmetic only: every backend gives the same
// stage-1 score, bit for bit, by construction.
//
// The code (MCC bit-sampling hashing folded into a Bloom-filter-like array,
// after the MCC indexing idea of Cappelli, Ferrara and Maltoni, IEEE TPAMI
// 2011): L fixed random subsets of h cylinder bits (cells inside the disc,
// all layers) are drawn once from a fixed seed; for each cylinder and each
// subset, the h sampled bits form a value, which (when at least two of its
// bits are set) is hashed with the subset's index to one of the 2048
// positions of the code, and that bit is set. Two templates sharing local
// structures share sampled values and so set bits. Cylinders are invariant
// to rotation and translation, and so is the code.
#pragma once

#include <cstdint>

#include "mcc/hd.hpp"
#include "mcc/layout.hpp"
#include "mcc/score.hpp"

namespace fpm::index {

constexpr int kCodeBits = 2048;
constexpr int kCodeWords = kCodeBits / 64;  // 256 bytes
// Which code this is; stored with codes so that a code of another
// definition is recognised (and recomputed) rather than compared.
constexpr std::uint32_t kCodeVersion = 1;

constexpr int kSampledBits = 12;   // h
constexpr int kSubsets = 24;       // L
constexpr int kMinSampledOnes = 2; // values with fewer set bits carry little and are skipped
constexpr std::uint64_t kSeed = 0x5EEDF00Dull;

// The stateless 64-bit mixer of SplitMix64 (Steele, Lea, Flood 2014).
FPM_HD_INLINE std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The code of one cylinder set into words[0, kCodeWords); returns its
// number of set bits.
std::uint32_t make_code(const mcc::CylinderSetView& s, std::uint64_t* words);

// The stage-1 score of two codes with `ones_a`, `ones_b` set bits:
// floor(2^16 * |a AND b| / (|a| + |b|)), 0 when both are empty: the Dice
// overlap in [0, 32768], which does not favour templates with many
// cylinders as a plain overlap count would. Higher is more alike.
FPM_HD_INLINE std::uint32_t code_score(const std::uint64_t* a, std::uint32_t ones_a, const std::uint64_t* b,
                                       std::uint32_t ones_b) {
  const std::uint32_t total = ones_a + ones_b;
  if (total == 0) return 0;
  std::uint32_t common = 0;
  for (int w = 0; w < kCodeWords; ++w) common += static_cast<std::uint32_t>(mcc::popcount64(a[w] & b[w]));
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(common) << 16) / total);
}

// Whether `aux` is what make_code returns with these words (a loaded
// code's structure check; a code that passes may still be damaged: the
// file's checksums see to that).
inline bool code_consistent(const std::uint64_t* words, std::uint32_t aux) {
  std::uint32_t ones = 0;
  for (int w = 0; w < kCodeWords; ++w) ones += static_cast<std::uint32_t>(mcc::popcount64(words[w]));
  return ones == aux;
}

}  // namespace fpm::index

namespace fpm {
struct FirstStageCode;
// The public code of cylinders held in place (a gallery entry's view).
FirstStageCode first_stage_code(const mcc::CylinderSetView& s);
}  // namespace fpm
