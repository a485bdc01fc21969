// The first-stage code of a two-stage search (docs/two-stage.md): a fixed
// 512-byte summary of one template's cylinders, compared by popcounts and a
// little integer geometry. It ranks a gallery cheaply so that the full
// matcher (mcc/score.hpp) runs only on a shortlist. Integer arithmetic
// only: every backend gives the same stage-1 score, bit for bit, by
// construction.
//
// The code (version 2) is a reduced MCC comparison (Cappelli, Ferrara,
// Maltoni, TPAMI 2010): local similarities of cylinder signatures, then a
// check that the best-matching pairs agree on the geometry.
//
// - Up to kCodeCylinders cylinders are kept: those with the most valid cells
//   first (the ones least cut by the template's border, so the likeliest to
//   lie inside another impression's area too); equal counts, the one nearest
//   the centroid of the template's cylinders first, then the earlier one.
// - Each kept cylinder gets a kSignatureBits-bit signature, a sparse random
//   projection of its 1536 cell bits thresholded at zero (random-hyperplane
//   hashing, Charikar's SimHash, with weights +1, -1 and 0): bit k is set
//   when more of the cylinder's set cells lie in a fixed random set P_k than
//   in a disjoint one Q_k, each about 1/8 of the cells inside the disc. The
//   Hamming distance of two signatures estimates the angle between the two
//   cylinders' cell vectors.
// - With it, the minutia's position relative to that centroid (kPosStep-pixel
//   units, 9 bits each, clamped) and its direction (64 steps): 24 bits, so
//   that a cylinder takes two words.
//
// The score: sim(i, j) = kSignatureBits - Hamming(a_i, b_j). Every cylinder
// of either side is paired with its most similar cylinder on the other side;
// the kCandidates best such pairs of each side (at most twice that many
// distinct pairs) are the candidates. Two candidates (i, j), (i', j') with
// i != i', j != j' agree when the distances |a_i a_i'| and |b_j b_j'| differ
// by at most kDistanceTolerance units and the rotations they imply
// (direction of a_i minus that of b_j) by at most kAngleTolerance steps. The
// score is the largest, over the candidates, of its similarity plus those of
// the candidates that agree with it (each counted above kChanceSimilarity,
// the level of chance matches), scaled to [0, 32768]. Distances and
// direction differences do not change when a template is rotated or
// translated, and cylinders do not either: the score is invariant.
#pragma once

#include <cstdint>

#include "mcc/hd.hpp"
#include "mcc/layout.hpp"
#include "mcc/score.hpp"

namespace fpm::index {

constexpr int kCodeCylinders = 32;  // K: cylinders kept
constexpr int kSlotWords = 2;       // words per kept cylinder
constexpr int kCodeWords = kCodeCylinders * kSlotWords;  // 64 words: 512 bytes
constexpr int kSignatureBits = 104;                      // word 0, and bits 0-39 of word 1
constexpr std::uint64_t kSignatureMask1 = (std::uint64_t{1} << (kSignatureBits - 64)) - 1;
constexpr int kPosShiftX = 40, kPosShiftY = 49, kAngleShift = 58;  // 9, 9 and 6 bits of word 1
constexpr int kPosBits = 9;
constexpr int kPosStep = 2;          // pixels per position unit
constexpr int kAngleSteps = 64;      // direction steps per turn
constexpr int kCandidates = 12;      // best pairs per side (MCC's n_P range is 4-12)
constexpr int kDistanceTolerance = 12 / kPosStep;  // position units (12 px: about 1.4 cylinder cells)
constexpr int kAngleTolerance = kAngleSteps / 16;  // steps (pi/8)
// What a candidate contributes is its similarity above this: the expected
// best similarity of a cylinder among kCodeCylinders unrelated ones (half
// the bits, 52, plus about two standard deviations, 2 * sqrt(104) / 2), so
// that chance matches add about nothing.
constexpr int kChanceSimilarity = 62;
constexpr std::uint32_t kMaxCodeScore = 32768;
// Which code this is; stored with codes so that a code of another
// definition is recognised (and recomputed) rather than compared.
constexpr std::uint32_t kCodeVersion = 2;

constexpr std::uint64_t kSeed = 0x5EEDF00Dull;

static_assert(kSignatureBits > 64 && kSignatureBits - 64 <= kPosShiftX, "signature in word 0 and the low bits of word 1");
static_assert(kPosShiftY == kPosShiftX + kPosBits && kAngleShift == kPosShiftY + kPosBits && kAngleShift + 6 == 64,
              "geometry fills word 1");
static_assert(kAngleSteps == 64, "6-bit directions");
static_assert(kCodeCylinders <= 32, "candidate keys hold 8-bit indices and a 32-bit set of rows");

// The stateless 64-bit mixer of SplitMix64 (Steele, Lea, Flood 2014).
FPM_HD_INLINE std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The code of one cylinder set into words[0, kCodeWords): the kept
// cylinders' slots, in selection order, then zero words. Returns the number
// of slots filled (min(n, kCodeCylinders)).
std::uint32_t make_code(const mcc::CylinderSetView& s, std::uint64_t* words);

// Whether this CPU has a popcount instruction (x86: the faster builds of
// make_code and of the public score are used; the results are the same).
bool cpu_has_popcnt();

FPM_HD_INLINE int slot_x(std::uint64_t w1) {
  const int v = static_cast<int>((w1 >> kPosShiftX) & ((1u << kPosBits) - 1));
  return v >= (1 << (kPosBits - 1)) ? v - (1 << kPosBits) : v;
}
FPM_HD_INLINE int slot_y(std::uint64_t w1) {
  const int v = static_cast<int>((w1 >> kPosShiftY) & ((1u << kPosBits) - 1));
  return v >= (1 << (kPosBits - 1)) ? v - (1 << kPosBits) : v;
}
FPM_HD_INLINE int slot_angle(std::uint64_t w1) { return static_cast<int>(w1 >> kAngleShift); }

// Whether two distances whose squares are d1, d2 differ by at most t:
// (d1' - d2')^2 <= t^2 for d' = sqrt(d), i.e. 2 d1' d2' >= d1 + d2 - t^2,
// decided exactly in 64-bit integers.
FPM_HD_INLINE bool distances_agree(std::int64_t d1, std::int64_t d2, std::int64_t t) {
  const std::int64_t s = d1 + d2 - t * t;
  return static_cast<bool>(static_cast<int>(s <= 0) | static_cast<int>(4 * d1 * d2 >= s * s));
}

// A similarity's excess over kChanceSimilarity (0 when below).
FPM_HD_INLINE std::uint32_t excess(std::uint32_t sim) {
  return sim > static_cast<std::uint32_t>(kChanceSimilarity) ? sim - static_cast<std::uint32_t>(kChanceSimilarity) : 0u;
}

// The stage-1 score of codes with `na`, `nb` slots (the header above has
// the definition); 0 when either is empty. Symmetric: swapping the codes
// swaps rows and columns and gives the same candidates. Higher is more
// alike.
//
// The score in two stages, so that a faster variant of the first (the
// similarity maxima, most of the cost) can share the second:
// code_maxima, then code_score_from_maxima. na, nb: 1 to kCodeCylinders.
//
// Stage 1: row and column maxima of the similarities with their first
// arguments, as keys (1 + similarity) << 8 | (255 - argument): the largest
// key is the largest similarity at the smallest argument.
FPM_HD_INLINE void code_maxima(const std::uint64_t* a, std::uint32_t na, const std::uint64_t* b, std::uint32_t nb,
                               std::uint32_t* row, std::uint32_t* col) {
  for (std::uint32_t j = 0; j < nb; ++j) col[j] = 0;
  for (std::uint32_t i = 0; i < na; ++i) {
    const std::uint64_t x0 = a[i * kSlotWords], x1 = a[i * kSlotWords + 1] & kSignatureMask1;
    std::uint32_t r = 0;
    for (std::uint32_t j = 0; j < nb; ++j) {
      const std::uint64_t y0 = b[j * kSlotWords], y1 = b[j * kSlotWords + 1];
      const std::uint32_t sim = static_cast<std::uint32_t>(kSignatureBits) + 1u -
                                static_cast<std::uint32_t>(mcc::popcount64(x0 ^ y0) +
                                                           mcc::popcount64((x1 ^ y1) & kSignatureMask1));
      const std::uint32_t rk = (sim << 8) | (255u - j), ck = (sim << 8) | (255u - i);
      r = rk > r ? rk : r;
      col[j] = ck > col[j] ? ck : col[j];
    }
    row[i] = r;
  }
}

// The kCandidates-th largest of n >= 1 distinct keys (the smallest when
// n < kCandidates): a key is among the kCandidates largest exactly when it
// is at least this. `keys` holds kCodeCylinders entries, those from n on 0
// (below every key: a key holds a similarity + 1 above its low byte). Found
// by counting, for each key, the keys above it, over all kCodeCylinders
// entries at once for each key in turn: fixed-length loops without a
// branch, which compilers vectorise (faster here than one pass of
// insertions, whose branches depend on the data). A 0 entry's count is n,
// never the target's, so it is never the answer.
FPM_HD_INLINE std::uint32_t candidate_threshold(const std::uint32_t* keys, std::uint32_t n) {
  const std::uint32_t target =
      (n < static_cast<std::uint32_t>(kCandidates) ? n : static_cast<std::uint32_t>(kCandidates)) - 1u;
  std::uint32_t rank[kCodeCylinders];
  for (int i = 0; i < kCodeCylinders; ++i) rank[i] = 0;
  for (std::uint32_t k = 0; k < n; ++k)
    for (int i = 0; i < kCodeCylinders; ++i) rank[i] += keys[k] > keys[i] ? 1u : 0u;
  std::uint32_t threshold = 0;
  for (int i = 0; i < kCodeCylinders; ++i) threshold = rank[i] == target ? keys[i] : threshold;
  return threshold;
}

// Stage 2a: the candidates, from the maxima: the pairs of the kCandidates
// best rows (largest similarity, then smallest index: rank by keys with
// the index in them), then those of the kCandidates best columns not
// already there, each with its similarity's excess.
//
// Written without branches on the data (each slot is written, and the
// count advances only for a candidate): which rows and columns qualify is
// as good as random, so branches on it would mostly be mispredicted. One
// spare slot takes the writes after the last candidate.
struct CodeCandidates {
  std::uint32_t count = 0;
  std::uint32_t ci[2 * kCandidates + 1], cj[2 * kCandidates + 1], cs[2 * kCandidates + 1];
};

FPM_HD_INLINE void code_candidates(std::uint32_t na, std::uint32_t nb, const std::uint32_t* row, const std::uint32_t* col,
                                   CodeCandidates& c) {
  std::uint32_t* ci = c.ci;
  std::uint32_t* cj = c.cj;
  std::uint32_t* cs = c.cs;
  std::uint32_t keys[kCodeCylinders];
  std::uint32_t m = 0;
  std::uint32_t rows_in = 0;
  for (std::uint32_t i = 0; i < static_cast<std::uint32_t>(kCodeCylinders); ++i)
    keys[i] = i < na ? (row[i] & ~0xFFu) | (255u - i) : 0u;
  const std::uint32_t row_floor = candidate_threshold(keys, na);
  for (std::uint32_t i = 0; i < na; ++i) {
    const std::uint32_t take = keys[i] >= row_floor ? 1u : 0u;
    ci[m] = i;
    cj[m] = 255u - (row[i] & 0xFFu);
    cs[m] = excess((row[i] >> 8) - 1u);
    rows_in |= take << i;
    m += take;
  }
  for (std::uint32_t j = 0; j < static_cast<std::uint32_t>(kCodeCylinders); ++j)
    keys[j] = j < nb ? (col[j] & ~0xFFu) | (255u - j) : 0u;
  const std::uint32_t col_floor = candidate_threshold(keys, nb);
  for (std::uint32_t j = 0; j < nb; ++j) {
    const std::uint32_t i = 255u - (col[j] & 0xFFu);
    // A column whose pair is a row candidate's already is not taken twice.
    const std::uint32_t twin = ((rows_in >> i) & 1u) & (255u - (row[i] & 0xFFu) == j ? 1u : 0u);
    const std::uint32_t take = (keys[j] >= col_floor ? 1u : 0u) & (twin ^ 1u);
    ci[m] = i;
    cj[m] = j;
    cs[m] = excess((col[j] >> 8) - 1u);
    m += take;
  }
  c.count = m;
}

// The candidates' geometry: per candidate the two minutiae's positions and
// the rotation the pair implies (direction of a_i minus that of b_j).
struct CandidateGeometry {
  int ax[2 * kCandidates], ay[2 * kCandidates], bx[2 * kCandidates], by[2 * kCandidates], rot[2 * kCandidates];
};

FPM_HD_INLINE void candidate_geometry(const std::uint64_t* a, const std::uint64_t* b, const CodeCandidates& c,
                                      CandidateGeometry& g) {
  for (int p = 0; p < static_cast<int>(c.count); ++p) {
    const std::uint64_t wa = a[c.ci[p] * kSlotWords + 1], wb = b[c.cj[p] * kSlotWords + 1];
    g.ax[p] = slot_x(wa);
    g.ay[p] = slot_y(wa);
    g.bx[p] = slot_x(wb);
    g.by[p] = slot_y(wb);
    g.rot[p] = (slot_angle(wa) - slot_angle(wb)) & (kAngleSteps - 1);
  }
}

// Whether candidates p and q agree, given that their rotations are within
// kAngleTolerance: distinct minutiae on both sides, and distances that
// differ by at most kDistanceTolerance. 1 or 0, without a branch.
FPM_HD_INLINE std::uint32_t candidates_agree(const CodeCandidates& c, const CandidateGeometry& g, int p, int q) {
  const std::int64_t dax = g.ax[p] - g.ax[q], day = g.ay[p] - g.ay[q], dbx = g.bx[p] - g.bx[q], dby = g.by[p] - g.by[q];
  return static_cast<std::uint32_t>(c.ci[p] != c.ci[q]) & static_cast<std::uint32_t>(c.cj[p] != c.cj[q]) &
         static_cast<std::uint32_t>(distances_agree(dax * dax + day * day, dbx * dbx + dby * dby, kDistanceTolerance));
}

// The score from the best candidate's total (its similarity plus those of
// the candidates that agree with it), scaled to [0, kMaxCodeScore].
FPM_HD_INLINE std::uint32_t code_score_of_best(std::uint32_t best) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(best) * kMaxCodeScore) /
                                    (2u * kCandidates * (kSignatureBits - kChanceSimilarity)));
}

// Stage 2b: each candidate's similarity plus those of the candidates that
// agree with it; the score from the largest.
FPM_HD_INLINE std::uint32_t code_score_of_candidates(const std::uint64_t* a, const std::uint64_t* b,
                                                     const CodeCandidates& c) {
  const int count = static_cast<int>(c.count);
  CandidateGeometry g;
  candidate_geometry(a, b, c, g);
  std::uint32_t value[2 * kCandidates];
  for (int p = 0; p < count; ++p) value[p] = c.cs[p];
  // Candidates by implied rotation (bit p of by_rot[r]: candidate p has
  // rotation r), so that each candidate is checked only against those
  // within kAngleTolerance of its rotation.
  std::uint32_t by_rot[kAngleSteps];
  for (int r = 0; r < kAngleSteps; ++r) by_rot[r] = 0;
  for (int p = 0; p < count; ++p) by_rot[g.rot[p]] |= 1u << p;
  for (int p = 0; p < count; ++p) {
    std::uint32_t near = 0;
    for (int d = -kAngleTolerance; d <= kAngleTolerance; ++d) near |= by_rot[(g.rot[p] + d) & (kAngleSteps - 1)];
    near &= ~((2u << p) - 1u);  // the later candidates only: each pair once
    while (near != 0) {
      const int q = mcc::popcount64(static_cast<std::uint64_t>((near & (0u - near)) - 1u));  // lowest set bit
      near &= near - 1u;
      // Without branches, as above: agreement is as good as random.
      const std::uint32_t agree = candidates_agree(c, g, p, q);
      value[p] += c.cs[q] & (0u - agree);
      value[q] += c.cs[p] & (0u - agree);
    }
  }
  std::uint32_t best = 0;
  for (int p = 0; p < count; ++p) best = value[p] > best ? value[p] : best;
  return code_score_of_best(best);
}

// Stage 2: the candidates and their geometric agreement, from the maxima.
FPM_HD_INLINE std::uint32_t code_score_from_maxima(const std::uint64_t* a, std::uint32_t na, const std::uint64_t* b,
                                                   std::uint32_t nb, const std::uint32_t* row,
                                                   const std::uint32_t* col) {
  CodeCandidates c;
  code_candidates(na, nb, row, col, c);
  return code_score_of_candidates(a, b, c);
}

// The slots a score reads of a code whose slot count is `aux`: at most
// kCodeCylinders (a larger count reads no further).
FPM_HD_INLINE std::uint32_t code_slots(std::uint32_t aux) {
  return aux < static_cast<std::uint32_t>(kCodeCylinders) ? aux : static_cast<std::uint32_t>(kCodeCylinders);
}

FPM_HD_INLINE std::uint32_t code_score(const std::uint64_t* a, std::uint32_t na, const std::uint64_t* b,
                                       std::uint32_t nb) {
  na = code_slots(na);
  nb = code_slots(nb);
  if (na == 0 || nb == 0) return 0;
  std::uint32_t row[kCodeCylinders], col[kCodeCylinders];
  code_maxima(a, na, b, nb, row, col);
  return code_score_from_maxima(a, na, b, nb, row, col);
}

// Whether a loaded code has the shape make_code gives: at most
// kCodeCylinders slots filled (`aux`), the slots after them zero. (A code
// that passes may still be damaged: the file's checksums see to that.)
inline bool code_consistent(const std::uint64_t* words, std::uint32_t aux) {
  if (aux > static_cast<std::uint32_t>(kCodeCylinders)) return false;
  for (int w = static_cast<int>(aux) * kSlotWords; w < kCodeWords; ++w)
    if (words[w] != 0) return false;
  return true;
}

}  // namespace fpm::index

namespace fpm {
struct FirstStageCode;
// The public code of cylinders held in place (a gallery entry's view).
FirstStageCode first_stage_code(const mcc::CylinderSetView& s);
}  // namespace fpm
