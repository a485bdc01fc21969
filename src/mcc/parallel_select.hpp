// Pair selection and the final LSS-R step in the form a GPU thread block
// runs them: counting and ranking, which many threads do at once, instead of
// the CPU reference's heap and repeated scans (score.hpp). The results are
// the reference's exactly, and the tests check that by running these steps
// on the host over the shared and synthetic templates.
//
// Selection: every positive similarity falls into one of 256 bins by value
// (monotone: a higher similarity never lands in a lower bin). The floor bin
// is the highest bin such that at least n_R similarities lie in it or above
// (bin 0 when fewer than n_R are positive). Every entry below the floor is
// beaten by every entry at or above it, so the n_R best keys are among the
// candidates at or above the floor, and a candidate's place in the best-first
// list is the number of candidates whose key (pair_key) beats its own.
#pragma once

#include <cstdint>

#include "mcc/score.hpp"

namespace fpm::mcc {

constexpr int kSimilarityBins = 256;
// At most this many candidates are ranked; more (a large tie at the floor)
// go through the reference selection.
constexpr int kMaxRankedCandidates = 256;

// The bin of a similarity in (0, 1].
FPM_HD_INLINE int similarity_bin(float lambda) {
  const int b = static_cast<int>(lambda * static_cast<float>(kSimilarityBins));
  return b < kSimilarityBins ? b : kSimilarityBins - 1;
}

// Scans bins hi - 1 down to lo of `hist`, given `above` entries in bins >= hi:
// the highest bin b in [lo, hi) with at least `cap` entries in bins >= b, or
// -1 if none; *count receives the number of entries in bins >= b (when b is
// found) or in bins >= lo.
FPM_HD_INLINE int floor_bin_in_range(const int* hist, int lo, int hi, int above, int cap, int* count) {
  int run = above;
  for (int b = hi - 1; b >= lo; --b) {
    run += hist[b];
    if (run >= cap) {
      *count = run;
      return b;
    }
  }
  *count = run;
  return -1;
}

// The place of `key` among the m candidate keys (unique): how many beat it.
FPM_HD_INLINE int key_rank(const std::uint64_t* keys, int m, std::uint64_t key) {
  int r = 0;
  for (int i = 0; i < m; ++i) r += keys[i] > key ? 1 : 0;
  return r;
}

// lssr_finish takes pairs by decreasing efficiency (acc[t] = l[t] / l0[t]),
// the earlier pair first among equal ones, and sums their relaxed
// similarities in that order. Pair t's place in that order:
FPM_HD_INLINE int efficiency_rank(const float* efficiency, int nR, int t) {
  const float e = efficiency[t];
  int r = 0;
  for (int u = 0; u < nR; ++u) r += (efficiency[u] > e || (efficiency[u] == e && u < t)) ? 1 : 0;
  return r;
}

// The end of lssr_finish given the taken relaxed similarities in taking
// order (taken[0 .. min(n_P, nR))).
FPM_HD_INLINE float finish_from_taken(const CylinderSetView& A, const CylinderSetView& B, int nR, const ScoreTables& T,
                                      const float* taken) {
  const int np = T.np[A.n < B.n ? A.n : B.n];
  const int take = np < nR ? np : nR;
  float sum = 0.0f;
  for (int p = 0; p < take; ++p) sum += taken[p];
  return final_score(sum / static_cast<float>(np), np);
}

}  // namespace fpm::mcc
