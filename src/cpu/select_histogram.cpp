// mcc::select_pairs by histogram floor and ranks (mcc/parallel_select.hpp)
// for the AVX2 path: the steps the CUDA kernel spreads over a thread block,
// run in order, the two passes over the matrix 8 similarities at a time (a
// heap takes a mispredicted branch at most of its steps). Large ties at the
// floor go through the heap. The pairs and their order are the scalar
// selection's (the parity tests compare them on every shared template pair
// and on fresh synthetic ones).
#include <immintrin.h>

#include "cpu/simd_targets.hpp"

#include "cpu/stage_variants.hpp"
#include "mcc/parallel_select.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {


namespace {

// mcc::similarity_bin of 8 lanes (the same conversion: truncation).
FPM_AVX2 inline __m256i v_bins(__m256 v) {
  return _mm256_min_epi32(_mm256_cvttps_epi32(_mm256_mul_ps(v, _mm256_set1_ps(static_cast<float>(mcc::kSimilarityBins)))),
                          _mm256_set1_epi32(mcc::kSimilarityBins - 1));
}

// mcc::key_rank over keys[0, m) (padded with zeros to a multiple of 4): how
// many keys beat `key`, 4 at a time. AVX2 compares 64-bit lanes as signed
// integers, so both sides have their top bit flipped (an order-preserving
// map of unsigned to signed); the flipped keys are stored once.
FPM_AVX2 inline int rank_of(const std::uint64_t* flipped, int m, std::uint64_t key) {
  const __m256i k = _mm256_set1_epi64x(static_cast<long long>(key ^ (std::uint64_t{1} << 63)));
  __m256i n = _mm256_setzero_si256();
  for (int j0 = 0; j0 < m; j0 += 4)
    n = _mm256_sub_epi64(n, _mm256_cmpgt_epi64(_mm256_load_si256(reinterpret_cast<const __m256i*>(flipped + j0)), k));
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(n), _mm256_extracti128_si256(n, 1));
  return static_cast<int>(_mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1));
}

}  // namespace

FPM_AVX2 int select_pairs_histogram(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, const float* lambda,
                                    const mcc::Workspace& w) {
  const int cap = A.n < B.n ? A.n : B.n;
  const int total = A.n * B.n;
  const int whole = total & ~7;
  const __m256 zero = _mm256_setzero_ps();
  // The histogram of the positive similarities.
  int hist[mcc::kSimilarityBins] = {};
  alignas(32) int bins[8];
  for (int i0 = 0; i0 < whole; i0 += 8) {
    const __m256 v = _mm256_loadu_ps(lambda + i0);
    unsigned pos = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(v, zero, _CMP_GT_OQ)));
    if (!pos) continue;
    _mm256_store_si256(reinterpret_cast<__m256i*>(bins), v_bins(v));
    for (; pos; pos &= pos - 1) ++hist[bins[__builtin_ctz(pos)]];
  }
  for (int i = whole; i < total; ++i)
    if (lambda[i] > 0.0f) ++hist[mcc::similarity_bin(lambda[i])];
  int m = 0;
  int floor_bin = mcc::floor_bin_in_range(hist, 0, mcc::kSimilarityBins, 0, cap, &m);
  if (floor_bin < 0) floor_bin = 0;  // fewer positive similarities than n_R: all of them (m counts them)
  if (m == 0) return 0;
  if (m > mcc::kMaxRankedCandidates) return mcc::select_pairs(A, B, lambda, w);
  // The candidates' keys: positive and at or above the floor bin.
  std::uint64_t keys[mcc::kMaxRankedCandidates];
  int k = 0;
  const __m256i below = _mm256_set1_epi32(floor_bin - 1);
  for (int i0 = 0; i0 < whole; i0 += 8) {
    const __m256 v = _mm256_loadu_ps(lambda + i0);
    const __m256 take = _mm256_and_ps(_mm256_cmp_ps(v, zero, _CMP_GT_OQ),
                                      _mm256_castsi256_ps(_mm256_cmpgt_epi32(v_bins(v), below)));
    for (unsigned t = static_cast<unsigned>(_mm256_movemask_ps(take)); t; t &= t - 1) {
      const int i = i0 + __builtin_ctz(t);
      keys[k++] = mcc::pair_key(lambda[i], static_cast<std::uint32_t>(i));
    }
  }
  for (int i = whole; i < total; ++i)
    if (lambda[i] > 0.0f && mcc::similarity_bin(lambda[i]) >= floor_bin)
      keys[k++] = mcc::pair_key(lambda[i], static_cast<std::uint32_t>(i));
  // Each candidate's place: how many keys beat it (zero keys pad the last
  // vector: flipped, they are below every real key and beat none).
  alignas(32) std::uint64_t flipped[mcc::kMaxRankedCandidates + 4];
  for (int i = 0; i < m; ++i) flipped[i] = keys[i] ^ (std::uint64_t{1} << 63);
  for (int i = m; i < ((m + 3) & ~3); ++i) flipped[i] = std::uint64_t{1} << 63;
  for (int i = 0; i < m; ++i) {
    const int rank = rank_of(flipped, m, keys[i]);
    if (rank < cap) w.pairs[rank] = keys[i];
  }
  return m < cap ? m : cap;
}

}  // namespace fpm::cpu
