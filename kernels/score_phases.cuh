// The block-level work of the score kernels (score_kernels.cuh), one
// function per phase: a phase is the work between two barriers, spread over
// the block as thread `t` of `n`, and the kernel calls the phases in order
// with a __syncthreads() between them. The functions are FPM_HD: the tests
// (tests/test_kernel_steps.cpp) call the same functions on the host, every
// thread of a phase in turn, and compare each phase's results with the
// scalar CPU specification (src/mcc/score.hpp), so that what they check is
// the kernel's own code, not a replica of it.
//
// Shared-memory atomics come through a policy object: on a device, appends
// to a compacted list take one atomic per warp (ballot and shuffle:
// WarpAtomics in score_kernels.cuh); the host's phase-by-phase runs use a
// plain counter. The order of a compacted list then differs, its contents
// do not, and no result depends on that order. What needs a whole warp or
// block at once stays in the kernel: the floor bin's suffix sum over warp
// 0's lanes and the selection by repeated block maxima.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mcc/hd.hpp"
#include "mcc/parallel_select.hpp"
#include "mcc/prefilter.hpp"
#include "mcc/score.hpp"
#include "mcc/summary.hpp"

namespace fpm::kernels {

namespace {

constexpr int kThreads = 256;
// Reduction slots: one per warp, in two alternating halves (pair selection),
// then one more for the block's score.
constexpr int kSelectSlots = 2 * (kThreads / 32);
static_assert(mcc::kMaxCylinders <= kThreads, "one thread per relaxed pair");

FPM_HD constexpr std::size_t align16(std::size_t v) { return (v + 15) & ~std::size_t{15}; }

// ---- Shared memory ----------------------------------------------------------

// Dynamic shared memory of one block of the maxima kernel: the similarity
// matrix (later reused for the compatibility matrix: nR^2 <= np * ng, and
// after selection the pairs' similarities travel in their keys), the
// selected pair keys, the LSS-R vectors and the reduction slots. The
// cylinder sets themselves are read from global memory through L1: staging
// them in shared memory adds no bandwidth (L1 and shared memory are the same
// hardware) and, at 30 KB per 128-cylinder set, would allow one block per
// multiprocessor on galleries with such templates.
struct MaximaLayout {
  std::size_t lambda, pairs, floats, reduce, total;
  FPM_HD MaximaLayout(int np, int ng) {
    lambda = 0;
    pairs = lambda + align16(std::size_t(np) * ng * 4);
    floats = pairs + mcc::kMaxCylinders * 8;
    reduce = floats + mcc::kWorkspaceVectors * mcc::kMaxCylinders * 4;
    total = reduce + (kSelectSlots + 1) * 8;
  }
};

// Candidates ranked for the selection; more at the floor (large ties) go to
// the selection by maxima.
constexpr int kRankMax = mcc::kMaxRankedCandidates;
static_assert(mcc::kSimilarityBins == kThreads, "one histogram bin per thread");
static_assert(mcc::kSimilarityBins == 32 * 8, "warp 0 scans 8 bins per lane");

// Block-shared counters.
// kCells counts the two halves of the cell list at once: pairs of whole-disc
// cylinders in its low 16 bits, the others above (each at most 128 x 128).
enum Counter { kCells, kCandidates, kSurvivors, kFloorBin, kFloorCount, kCounters };

// Dynamic shared memory of one block of the compacted kernel. Only the
// entry's summaries are here: the probes' are computed once per batch into
// global memory (summary_kernel in score_kernels.cuh) and read from there
// by every block.
struct CompactedLayout {
  std::size_t lambda, list, keys, pairs, floats, hist, planes_g, counts_g, reduce, counters, total;
  FPM_HD CompactedLayout(int np, int ng) {
    const std::size_t cells = std::size_t(np) * ng;
    lambda = 0;                                           // similarities, then rho_t
    list = lambda + align16(cells * 4);                   // compacted cells, then pairs of pairs (16 bits)
    keys = list + align16(cells * 2);                     // candidate keys
    pairs = keys + kRankMax * 8;                          // selected pair keys
    floats = pairs + mcc::kMaxCylinders * 8;              // workspace vectors, phi, taken
    hist = floats + (mcc::kWorkspaceVectors + 2) * mcc::kMaxCylinders * 4;
    planes_g = hist + mcc::kSimilarityBins * 4;           // entry cylinders' planes
    counts_g = planes_g + std::size_t(ng) * mcc::kPlaneWords * 8;
    reduce = counts_g + align16(std::size_t(ng) * 4);
    counters = reduce + (kSelectSlots + 1) * 8;
    total = counters + align16(kCounters * 4);
  }
};

// Pointers into one block's shared memory (compacted kernel).
struct Shared {
  float* lambda;
  std::uint16_t* list;
  std::uint64_t* keys;
  float* phi;
  float* taken;
  int* hist;
  std::uint64_t* planes_g;
  std::uint32_t* counts_g;
  std::uint64_t* reduce;
  int* counters;
  mcc::Workspace w;  // rho_t aliases lambda: nR^2 <= n_A n_B
};

FPM_HD_INLINE Shared shared_pointers(unsigned char* smem, const CompactedLayout& L) {
  Shared s;
  s.lambda = reinterpret_cast<float*>(smem + L.lambda);
  s.list = reinterpret_cast<std::uint16_t*>(smem + L.list);
  s.keys = reinterpret_cast<std::uint64_t*>(smem + L.keys);
  float* vectors = reinterpret_cast<float*>(smem + L.floats);
  s.phi = vectors + mcc::kWorkspaceVectors * mcc::kMaxCylinders;
  s.taken = s.phi + mcc::kMaxCylinders;
  s.hist = reinterpret_cast<int*>(smem + L.hist);
  s.planes_g = reinterpret_cast<std::uint64_t*>(smem + L.planes_g);
  s.counts_g = reinterpret_cast<std::uint32_t*>(smem + L.counts_g);
  s.reduce = reinterpret_cast<std::uint64_t*>(smem + L.reduce);
  s.counters = reinterpret_cast<int*>(smem + L.counters);
  s.w = mcc::make_workspace(reinterpret_cast<std::uint64_t*>(smem + L.pairs), vectors, s.lambda);
  return s;
}

// The slot of the block's score, after the reduction slots (both kernels).
FPM_HD_INLINE float* score_slot(std::uint64_t* reduce) { return reinterpret_cast<float*>(reduce + kSelectSlots); }

// ---- Phases shared by both kernels -------------------------------------------

// One relaxation step is two phases: every pair's sum (thread i sums over k
// ascending, as lssr_relax does), then every pair's update. The sums wait in
// w.acc, unused until the final step, so that no thread's value has to
// outlive the barrier between them.
FPM_HD_INLINE void phase_relax_sum(int t, int n, int nR, const mcc::Workspace& w) {
  for (int i = t; i < nR; i += n) {
    float acc = 0.0f;
    for (int k = 0; k < nR; ++k) acc += w.rho_t[k * nR + i] * w.l[k];
    w.acc[i] = acc;
  }
}
FPM_HD_INLINE void phase_relax_update(int t, int n, int nR, const mcc::Workspace& w) {
  const float c = nR > 1 ? (1.0f - mcc::kWR) / static_cast<float>(nR - 1) : 0.0f;
  for (int i = t; i < nR; i += n) w.l[i] = mcc::kWR * w.l[i] + c * w.acc[i];
}

// ---- Phases of the maxima kernel ----------------------------------------------

// The similarity matrix of a against b (row-major), in full.
FPM_HD_INLINE void phase_similarity_matrix(int t, int n, const mcc::CylinderSetView& a, const mcc::CylinderSetView& b,
                                           float* lambda) {
  const int total = a.n * b.n;
  for (int idx = t; idx < total; idx += n) lambda[idx] = mcc::local_similarity(a, idx / b.n, b, idx % b.n);
}

// The selected pairs' minutiae and initial similarities (w.pairs complete;
// nobody reads the similarity matrix any more).
FPM_HD_INLINE void phase_gather_pairs(int t, int n, const mcc::CylinderSetView& a, const mcc::CylinderSetView& b,
                                      int nR, const mcc::Workspace& w) {
  for (int i = t; i < nR; i += n) mcc::lssr_gather_pair(a, b, mcc::gather_inverse(b.n), i, w);
}

// Every compatibility rho(t, k), at rho_t[k * nR + t] (zero on the diagonal).
FPM_HD_INLINE void phase_full_compatibility(int t, int n, int nR, const mcc::ScoreTables& T, const mcc::Workspace& w) {
  for (int idx = t; idx < nR * nR; idx += n) {
    const int k = idx / nR, i = idx % nR;
    w.rho_t[idx] = i == k ? 0.0f : mcc::pair_compatibility(T, w, i, k);
  }
}

// The score, by thread 0, into the score slot.
FPM_HD_INLINE void phase_lssr_finish(int t, const mcc::CylinderSetView& a, const mcc::CylinderSetView& b, int nR,
                                     const mcc::ScoreTables& T, const mcc::Workspace& w, std::uint64_t* reduce) {
  if (t == 0) *score_slot(reduce) = mcc::lssr_finish(a, b, nR, T, w);
}

// ---- Phases of the compacted kernel -------------------------------------------

// Summaries (mcc/summary.hpp) of consecutive cylinders: cylinder i's planes
// at planes + i * kPlaneWords, its counts at counts[i]. The probe batch's
// are in global memory, indexed by the cylinder's offset in the batch
// (summary_kernel); the entry's in the block's shared memory.
struct Summaries {
  const std::uint64_t* planes;
  const std::uint32_t* counts;
  // The summaries from cylinder c on (e.g. c = probes.offset[p]: probe p's).
  FPM_HD_INLINE Summaries from(std::uint64_t c) const { return {planes + c * mcc::kPlaneWords, counts + c}; }
};

// The summary of one cylinder (bits, validity) into its planes and counts:
// the one definition that the summary kernel (the probes, once per batch)
// and phase_summarise (the entry, once per block) share.
FPM_HD_INLINE void summarise_cylinder(const std::uint64_t* bits, const std::uint64_t* valid, std::uint64_t* planes,
                                      std::uint32_t* counts) {
  mcc::layer_count_planes(bits, planes);
  *counts = mcc::cylinder_counts(bits, valid);
}

// One comparison of the compacted kernel: probe and entry in their scoring
// roles (mcc::swap_roles), with their summaries.
struct Comparison {
  // Copies: a reference chosen at run time would put both sets in local memory.
  mcc::CylinderSetView a, b;
  const std::uint64_t* planes_a;
  const std::uint64_t* planes_b;
  const std::uint32_t* counts_a;
  const std::uint32_t* counts_b;
  int total;  // cells: a.n * b.n
  int cap;    // n_R at most: min(a.n, b.n)
  std::uint64_t inv_b;
};

// Probe p (its summaries `ps`, precomputed) against the block's entry g (its
// summaries in S); false when the sets are too small to compare (score 0,
// nothing else to do).
FPM_HD_INLINE bool begin_comparison(const mcc::CylinderSetView& p, const Summaries& ps, const mcc::CylinderSetView& g,
                                    const Shared& S, Comparison* c) {
  const bool swapped = mcc::swap_roles(p, g);
  c->a = swapped ? g : p;
  c->b = swapped ? p : g;
  if (!mcc::comparable(c->a, c->b)) return false;
  c->planes_a = swapped ? S.planes_g : ps.planes;
  c->planes_b = swapped ? ps.planes : S.planes_g;
  c->counts_a = swapped ? S.counts_g : ps.counts;
  c->counts_b = swapped ? ps.counts : S.counts_g;
  c->total = c->a.n * c->b.n;
  c->cap = c->a.n < c->b.n ? c->a.n : c->b.n;
  c->inv_b = mcc::gather_inverse(c->b.n);
  return true;
}

// Row and column of cell idx (idx / b.n by multiply and shift).
FPM_HD_INLINE int cell_row(const Comparison& c, int idx) {
  return static_cast<int>((static_cast<std::uint64_t>(idx) * c.inv_b) >> 24);
}

// Summaries (planes, counts) of the cylinders of `v`: the entry's, once per
// block, into shared memory.
FPM_HD_INLINE void phase_summarise(int t, int n, const mcc::CylinderSetView& v, std::uint64_t* planes,
                                   std::uint32_t* counts) {
  for (int i = t; i < v.n; i += n)
    summarise_cylinder(v.bits + i * mcc::kCylinderWords, v.valid + i * mcc::kValidityWords,
                       planes + i * mcc::kPlaneWords, counts + i);
}

// Zeroes the histogram and the counters for the next comparison; the caller
// has passed a barrier after their last reader.
FPM_HD_INLINE void phase_clear_counters(int t, int n, const Shared& S) {
  for (int i = t; i < mcc::kSimilarityBins; i += n) S.hist[i] = 0;
  for (int i = t; i < kCounters; i += n) S.counters[i] = 0;
}

// The cells of the compacted list: the first `whole` pairs of whole-disc
// cylinders from the front, the others from the back.
FPM_HD_INLINE int listed_cells(const Shared& S, int* whole) {
  *whole = S.counters[kCells] & 0xffff;
  return *whole + (S.counters[kCells] >> 16);
}
FPM_HD_INLINE int listed_cell(const Comparison& c, const Shared& S, int whole, int cells, int i) {
  return S.list[i < whole ? i : c.total - cells + i];
}

// 1. The cells that pass the direction test, compacted (the others are 0):
// pairs of whole-disc cylinders from the front of the list, the others from
// the back, so that warps run one kind of count at a time. A warp-uniform
// loop: every lane of a warp runs the same iterations (the appends are warp
// operations on a device).
template <class Atomics>
FPM_HD_INLINE void phase_compact_cells(int t, int n, const Comparison& c, const Shared& S, const Atomics& atomics) {
  const int lane = t % 32;
  for (int base = t - lane; base < c.total; base += n) {
    const int idx = base + lane;
    bool pass = false, whole = false;
    if (idx < c.total) {
      const int r = cell_row(c, idx), col = idx - r * c.b.n;
      pass = mcc::direction_compatible(c.a.theta[r], c.b.theta[col]);
      if (!pass) S.lambda[idx] = 0.0f;
      whole = mcc::whole_disc(c.counts_a[r]) && mcc::whole_disc(c.counts_b[col]);
    }
    const int slot = atomics.append_split(pass, whole, &S.counters[kCells]);
    if (pass) S.list[whole ? slot : c.total - 1 - slot] = static_cast<std::uint16_t>(idx);
  }
}

// 2. The listed cells' similarities, and the histogram of the positive ones.
template <class Atomics>
FPM_HD_INLINE void phase_similarities(int t, int n, const Comparison& c, const mcc::ScoreTables& T, const Shared& S,
                                      const Atomics& atomics) {
  int whole_cells = 0;
  const int cells = listed_cells(S, &whole_cells);
  for (int i = t; i < cells; i += n) {
    const bool whole = i < whole_cells;
    const int idx = listed_cell(c, S, whole_cells, cells, i);
    const int r = cell_row(c, idx), col = idx - r * c.b.n;
    const mcc::CylinderRef ca = {c.a.bits + r * mcc::kCylinderWords, c.a.valid + r * mcc::kValidityWords,
                                 c.planes_a + r * mcc::kPlaneWords, c.counts_a[r]};
    const mcc::CylinderRef cb = {c.b.bits + col * mcc::kCylinderWords, c.b.valid + col * mcc::kValidityWords,
                                 c.planes_b + col * mcc::kPlaneWords, c.counts_b[col]};
    const float v = whole ? mcc::local_similarity_whole_discs(ca, cb, T.sqrt_count)
                          : mcc::local_similarity_summarised(ca, cb, T.sqrt_count);
    S.lambda[idx] = v;
    if (v > 0.0f) atomics.add(&S.hist[mcc::similarity_bin(v)], 1);
  }
}

// 3. The floor bin is found by warp 0 (score_kernels.cuh: a suffix sum over
// its lanes, then the highest lane that finds a floor). Lane l's part:
// the entries of its bins 8l .. 8l+7, and the floor among them given the
// `above` entries in the bins of the higher lanes.
FPM_HD_INLINE int lane_bin_count(const Shared& S, int lane) {
  int own = 0;
  for (int k = 0; k < 8; ++k) own += S.hist[8 * lane + k];
  return own;
}
FPM_HD_INLINE int lane_floor_bin(const Shared& S, int lane, int above, int cap, int* count) {
  return mcc::floor_bin_in_range(S.hist, 8 * lane, 8 * lane + 8, above, cap, count);
}

// 4a. The selection by rank, first phase: the candidates (listed cells at or
// above the floor bin; only listed cells can be positive), compacted.
// Warp-uniform, as phase 1.
template <class Atomics>
FPM_HD_INLINE void phase_candidates(int t, int n, const Comparison& c, const Shared& S, const Atomics& atomics) {
  const int lane = t % 32;
  int whole_cells = 0;
  const int cells = listed_cells(S, &whole_cells);
  const int floor_bin = S.counters[kFloorBin];
  for (int base = t - lane; base < cells; base += n) {
    const int i = base + lane;
    const int idx = i < cells ? listed_cell(c, S, whole_cells, cells, i) : 0;
    const float v = i < cells ? S.lambda[idx] : 0.0f;
    const bool take = v > 0.0f && mcc::similarity_bin(v) >= floor_bin;
    const int slot = atomics.append(take, &S.counters[kCandidates]);
    if (take && slot < kRankMax) S.keys[slot] = mcc::pair_key(v, static_cast<std::uint32_t>(idx));
  }
}

// 4b. Each of the m candidates placed by its rank among them: the best
// min(m, cap) pairs in w.pairs, best first.
FPM_HD_INLINE void phase_rank_pairs(int t, int n, const Comparison& c, int m, const Shared& S) {
  for (int i = t; i < m; i += n) {
    const std::uint64_t key = S.keys[i];
    const int rank = mcc::key_rank(S.keys, m, key);
    if (rank < c.cap) S.w.pairs[rank] = key;
  }
}

// 5. The pairs' minutiae (nobody reads `lambda` any more: rho_t may
// overwrite it) and rotations.
FPM_HD_INLINE void phase_gather(int t, int n, const Comparison& c, int nR, const Shared& S) {
  for (int i = t; i < nR; i += n) {
    mcc::lssr_gather_pair(c.a, c.b, c.inv_b, i, S.w);
    S.phi[i] = mcc::pair_rotation(S.w, i);
  }
}

// 6a. The compatibility matrix zeroed, and the pairs of pairs the
// prefilter lets through (upper triangle) compacted. Warp-uniform.
template <class Atomics>
FPM_HD_INLINE void phase_prefilter(int t, int n, int nR, const mcc::ScoreTables& T, const Shared& S,
                                   const Atomics& atomics) {
  const int lane = t % 32;
  const mcc::PrefilterLimits lim(T);
  const std::uint64_t inv_r = mcc::gather_inverse(nR);
  const int cells_r = nR * nR;
  for (int base = t - lane; base < cells_r; base += n) {
    const int q = base + lane;
    bool keep = false;
    if (q < cells_r) {
      const int k = static_cast<int>((static_cast<std::uint64_t>(q) * inv_r) >> 24), i = q - k * nR;
      S.w.rho_t[q] = 0.0f;
      keep = i > k && mcc::compatibility_may_be_nonzero(lim, S.w, S.phi, i, k);
    }
    const int slot = atomics.append(keep, &S.counters[kSurvivors]);
    if (keep) S.list[slot] = static_cast<std::uint16_t>(q);
  }
}

// 6b. The exact compatibilities of the survivors, in both orders.
FPM_HD_INLINE void phase_compatibility(int t, int n, int nR, const mcc::ScoreTables& T, const Shared& S) {
  const std::uint64_t inv_r = mcc::gather_inverse(nR);
  const int survivors = S.counters[kSurvivors];
  for (int j = t; j < survivors; j += n) {
    const int q = S.list[j];
    const int k = static_cast<int>((static_cast<std::uint64_t>(q) * inv_r) >> 24), i = q - k * nR;
    S.w.rho_t[k * nR + i] = mcc::pair_compatibility(T, S.w, i, k);
    S.w.rho_t[i * nR + k] = mcc::pair_compatibility(T, S.w, k, i);
  }
}

// 7. After the relaxation (phase_relax_*): the efficiencies, then the
// relaxed similarities of the n_P most efficient pairs placed in taking
// order by rank, then their sum by thread 0 (lssr_finish's order).
FPM_HD_INLINE void phase_efficiencies(int t, int n, int nR, const mcc::Workspace& w) {
  for (int i = t; i < nR; i += n) w.acc[i] = w.l[i] / w.l0[i];
}
FPM_HD_INLINE void phase_rank_efficiencies(int t, int n, const Comparison& c, int nR, const mcc::ScoreTables& T,
                                           const Shared& S) {
  const int np = T.np[c.cap];
  const int take = np < nR ? np : nR;
  for (int i = t; i < nR; i += n) {
    const int rank = mcc::efficiency_rank(S.w.acc, nR, i);
    if (rank < take) S.taken[rank] = S.w.l[i];
  }
}
FPM_HD_INLINE void phase_finish(int t, const Comparison& c, int nR, const mcc::ScoreTables& T, const Shared& S) {
  if (t == 0) *score_slot(S.reduce) = mcc::finish_from_taken(c.a, c.b, nR, T, S.taken);
}

}  // namespace

}  // namespace fpm::kernels
