// The score kernels: one block of 256 threads per gallery entry, which
// compares every probe of the batch with that entry (the entry stays in L1,
// so the gallery is read from device memory once per batch; the probes, a
// few hundred kilobytes, stay in L2). Every score is computed by the per-pair
// code shared with the CPU (src/mcc), compiled with -fmad=false, so that a
// device score equals the host score bit for bit.
//
// Included by search_kernels.cu, and by the tests, which run these kernels
// on CPU threads (tests/cuda_emulation.hpp defines the few CUDA built-ins
// they use), so that the kernels' own code, barriers and warp operations
// included, is exercised by every build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "mcc/parallel_select.hpp"
#include "mcc/prefilter.hpp"
#include "mcc/score.hpp"
#include "mcc/summary.hpp"
#include "search_kernels.h"

// The block's dynamic shared memory as `unsigned char name[]`.
#ifndef FPM_DYNAMIC_SHARED
#define FPM_DYNAMIC_SHARED(name) extern __shared__ __align__(16) unsigned char name[]
#endif

namespace fpm::kernels {

namespace {

constexpr int kThreads = 256;
// Reduction slots: one per warp, in two alternating halves (pair selection),
// then one more for the block's score.
constexpr int kSelectSlots = 2 * (kThreads / 32);
static_assert(mcc::kMaxCylinders <= kThreads, "one thread per relaxed pair");

__host__ __device__ constexpr std::size_t align16(std::size_t v) { return (v + 15) & ~std::size_t{15}; }

// Dynamic shared memory of one block of the reference kernel: the similarity matrix (later reused for
// the compatibility matrix: nR^2 <= np * ng, and after selection the pairs'
// similarities travel in their keys), the selected pair keys, the LSS-R
// vectors and the reduction slots. The cylinder sets themselves are read
// from global memory through L1: staging them in shared memory adds no
// bandwidth (L1 and shared memory are the same hardware) and, at 30 KB per
// 128-cylinder set, would allow one block per multiprocessor on galleries
// with such templates.
struct ReferenceLayout {
  std::size_t lambda, pairs, floats, reduce, total;
  __host__ __device__ ReferenceLayout(int np, int ng) {
    lambda = 0;
    pairs = lambda + align16(std::size_t(np) * ng * 4);
    floats = pairs + mcc::kMaxCylinders * 8;
    reduce = floats + mcc::kWorkspaceVectors * mcc::kMaxCylinders * 4;
    total = reduce + (kSelectSlots + 1) * 8;
  }
};

// Set i of `s`, read in place.
__device__ mcc::CylinderSetView view_set(const PackedSets& s, std::uint32_t i) {
  const std::uint64_t c0 = s.offset[i];
  mcc::CylinderSetView v;
  v.n = static_cast<int>(s.offset[i + 1] - c0);
  v.hash = s.hash[i];
  v.bits = s.bits + c0 * mcc::kCylinderWords;
  v.valid = s.valid + c0 * mcc::kValidityWords;
  v.x = s.x + c0;
  v.y = s.y + c0;
  v.theta = s.theta + c0;
  return v;
}

// The largest of the warp's values, in every lane.
__device__ std::uint64_t warp_max(std::uint64_t v) {
  for (int o = 16; o > 0; o >>= 1) {
    const std::uint64_t u = __shfl_xor_sync(0xffffffffu, v, o);
    v = u > v ? u : v;
  }
  return v;
}

// This thread's largest pair key below `below` (0 if none): the keys of the
// matrix entries threadIdx.x, threadIdx.x + blockDim.x, ...
__device__ std::uint64_t thread_best_below(const float* lambda, int total, std::uint64_t below) {
  std::uint64_t best = 0;
  for (int idx = threadIdx.x; idx < total; idx += blockDim.x) {
    const float v = lambda[idx];
    if (v > 0.0f) {
      const std::uint64_t k = mcc::pair_key(v, static_cast<std::uint32_t>(idx));
      best = (k < below && k > best) ? k : best;
    }
  }
  return best;
}

// The best pairs, best first, into w.pairs; returns how many (at most
// `cap`). Repeated maxima of the unique keys (the same pairs in the same
// order as the CPU's heap): each thread holds its largest key not yet taken
// and each warp the largest of its threads'; a round takes the block
// maximum, and only the thread that held it looks for its next key and only
// its warp reduces again. Every other thread's key stays valid: it is below
// the maximum and was its largest below the previous one. One barrier per
// round: the warps' slots alternate between two halves, so a round's slots
// are not overwritten before every thread has read them. Ends with a
// barrier.
__device__ int select_by_maxima(const float* lambda, int total, int cap, const mcc::Workspace& w,
                                std::uint64_t* reduce) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  std::uint64_t mine = thread_best_below(lambda, total, ~std::uint64_t{0});
  std::uint64_t warp_best = warp_max(mine);
  int count = 0;
  for (; count < cap; ++count) {
    std::uint64_t* slots = reduce + (count & 1) * (kSelectSlots / 2);
    if (lane == 0) slots[warp] = warp_best;
    __syncthreads();
    std::uint64_t m = 0;
    for (int i = 0; i < kThreads / 32; ++i) m = slots[i] > m ? slots[i] : m;
    if (m == 0) break;
    if (threadIdx.x == 0) w.pairs[count] = m;
    if (warp_best == m) {  // the same in every lane of the warp
      if (mine == m) mine = thread_best_below(lambda, total, m);
      warp_best = warp_max(mine);
    }
  }
  __syncthreads();
  return count;
}

// The n_rel relaxation steps, one thread per pair, each sum in the CPU's order.
__device__ void relax_block(int nR, const mcc::Workspace& w) {
  const float c = nR > 1 ? (1.0f - mcc::kWR) / static_cast<float>(nR - 1) : 0.0f;
  const int t = static_cast<int>(threadIdx.x);
  for (int it = 0; it < mcc::kNRel; ++it) {
    float acc = 0.0f;
    if (t < nR)
      for (int k = 0; k < nR; ++k) acc += w.rho_t[k * nR + t] * w.l[k];
    __syncthreads();
    if (t < nR) w.l[t] = mcc::kWR * w.l[t] + c * acc;
    __syncthreads();
  }
}

// Score of one comparison, by the whole block, as the first version of the
// kernel computed it (kept as the baseline of measurements and as a fallback,
// FPM_CUDA_KERNEL=reference). Returns the score in every thread.
__device__ float block_score_reference(mcc::CylinderSetView a, mcc::CylinderSetView b, const mcc::ScoreTables& T,
                                       float* lambda, const mcc::Workspace& w, std::uint64_t* reduce) {
  if (mcc::swap_roles(a, b)) {
    const mcc::CylinderSetView t = a;
    a = b;
    b = t;
  }
  if (!mcc::comparable(a, b)) return 0.0f;
  const int total = a.n * b.n;
  for (int idx = threadIdx.x; idx < total; idx += blockDim.x)
    lambda[idx] = mcc::local_similarity(a, idx / b.n, b, idx % b.n);
  __syncthreads();
  const int nR = select_by_maxima(lambda, total, a.n < b.n ? a.n : b.n, w, reduce);
  if (nR == 0) return 0.0f;
  // w.pairs complete; nobody reads `lambda` any more.
  const int tid = static_cast<int>(threadIdx.x);
  if (tid < nR) mcc::lssr_gather_pair(a, b, mcc::gather_inverse(b.n), tid, w);
  // (w.rho_t aliases `lambda`.)
  __syncthreads();
  for (int idx = threadIdx.x; idx < nR * nR; idx += blockDim.x) {
    const int k = idx / nR, t = idx % nR;
    w.rho_t[idx] = t == k ? 0.0f : mcc::pair_compatibility(T, w, t, k);
  }
  __syncthreads();
  relax_block(nR, w);
  float* shared_score = reinterpret_cast<float*>(reduce + kSelectSlots);
  if (threadIdx.x == 0) *shared_score = mcc::lssr_finish(a, b, nR, T, w);
  __syncthreads();
  const float score = *shared_score;
  __syncthreads();
  return score;
}

// At most 64 registers: 4 blocks of 256 threads per multiprocessor (the
// compiler would take 78 unbounded, which allows 3).
__global__ void __launch_bounds__(kThreads, 4) score_kernel_reference(PackedSets probes, PackedSets entries, std::uint32_t e_begin,
                                                         std::uint32_t entry_count, bool check_positions,
                                                         const mcc::ScoreTables* tables, float* scores) {
  FPM_DYNAMIC_SHARED(smem);
  const ReferenceLayout L(probes.max_cylinders, entries.max_cylinders);
  const std::uint32_t e = e_begin + blockIdx.x;
  float* lambda = reinterpret_cast<float*>(smem + L.lambda);
  // rho_t aliases the similarity matrix (see Layout).
  const mcc::Workspace w = mcc::make_workspace(reinterpret_cast<std::uint64_t*>(smem + L.pairs),
                                               reinterpret_cast<float*>(smem + L.floats), lambda);
  auto* reduce = reinterpret_cast<std::uint64_t*>(smem + L.reduce);
  const mcc::CylinderSetView g = view_set(entries, e);
  const std::uint8_t gpos = entries.position[e];
  for (std::uint32_t p = 0; p < probes.count; ++p) {
    const std::uint8_t ppos = probes.position[p];
    if (check_positions && ppos != 0 && gpos != 0 && ppos != gpos) {
      if (threadIdx.x == 0) scores[std::size_t(p) * entry_count + blockIdx.x] = -1.0f;
      continue;
    }
    __syncthreads();  // the previous comparison is done with shared memory
    const mcc::CylinderSetView a = view_set(probes, p);
    const float s = block_score_reference(a, g, *tables, lambda, w, reduce);
    if (threadIdx.x == 0) scores[std::size_t(p) * entry_count + blockIdx.x] = s;
  }
}

// ---- The score kernel ------------------------------------------------------
//
// The same comparison in fewer instructions (docs/cuda.md): the cells that
// pass the direction test are compacted first, so that warps count bits
// only for those, and from per-cylinder summaries (mcc/summary.hpp); the
// best pairs are found by a histogram floor and ranks (mcc/parallel_select.hpp)
// instead of one block-wide maximum per pair; the compatibility matrix is
// computed exactly only for the pairs of pairs the prefilter lets through
// (mcc/prefilter.hpp), compacted; the final step ranks efficiencies in
// parallel. Every value is the reference's: the tests replay these phases
// with the same helpers on the host (tests/test_kernel_steps.cpp) and run
// this kernel itself on CPU threads (tests/test_kernel_emulation.cpp),
// against the CPU scores.

// Candidates ranked for the selection; more at the floor (large ties) go to
// select_by_maxima.
constexpr int kRankMax = mcc::kMaxRankedCandidates;
static_assert(mcc::kSimilarityBins == kThreads, "one histogram bin per thread");
static_assert(mcc::kSimilarityBins == 32 * 8, "warp 0 scans 8 bins per lane");

// Block-shared counters.
// kCells counts the two halves of the cell list at once: pairs of whole-disc
// cylinders in its low 16 bits, the others above (each at most 128 x 128).
enum Counter { kCells, kCandidates, kSurvivors, kFloorBin, kFloorCount, kCounters };

struct FastLayout {
  std::size_t lambda, list, keys, pairs, floats, hist, planes_p, planes_g, counts_p, counts_g, reduce, counters, total;
  __host__ __device__ FastLayout(int np, int ng) {
    const std::size_t cells = std::size_t(np) * ng;
    lambda = 0;                                           // similarities, then rho_t
    list = lambda + align16(cells * 4);                   // compacted cells, then pairs of pairs (16 bits)
    keys = list + align16(cells * 2);                     // candidate keys
    pairs = keys + kRankMax * 8;                          // selected pair keys
    floats = pairs + mcc::kMaxCylinders * 8;              // workspace vectors, phi, taken
    hist = floats + (mcc::kWorkspaceVectors + 2) * mcc::kMaxCylinders * 4;
    planes_p = hist + mcc::kSimilarityBins * 4;           // probe cylinders' planes
    planes_g = planes_p + std::size_t(np) * mcc::kPlaneWords * 8;  // entry cylinders' planes
    counts_p = planes_g + std::size_t(ng) * mcc::kPlaneWords * 8;
    counts_g = counts_p + align16(std::size_t(np) * 4);
    reduce = counts_g + align16(std::size_t(ng) * 4);
    counters = reduce + (kSelectSlots + 1) * 8;
    total = counters + align16(kCounters * 4);
  }
};

// Pointers into one block's shared memory.
struct Shared {
  float* lambda;
  std::uint16_t* list;
  std::uint64_t* keys;
  float* phi;
  float* taken;
  int* hist;
  std::uint64_t* planes_p;
  std::uint64_t* planes_g;
  std::uint32_t* counts_p;
  std::uint32_t* counts_g;
  std::uint64_t* reduce;
  int* counters;
  mcc::Workspace w;  // rho_t aliases lambda: nR^2 <= n_A n_B
};

__device__ Shared shared_pointers(unsigned char* smem, const FastLayout& L) {
  Shared s;
  s.lambda = reinterpret_cast<float*>(smem + L.lambda);
  s.list = reinterpret_cast<std::uint16_t*>(smem + L.list);
  s.keys = reinterpret_cast<std::uint64_t*>(smem + L.keys);
  float* vectors = reinterpret_cast<float*>(smem + L.floats);
  s.phi = vectors + mcc::kWorkspaceVectors * mcc::kMaxCylinders;
  s.taken = s.phi + mcc::kMaxCylinders;
  s.hist = reinterpret_cast<int*>(smem + L.hist);
  s.planes_p = reinterpret_cast<std::uint64_t*>(smem + L.planes_p);
  s.planes_g = reinterpret_cast<std::uint64_t*>(smem + L.planes_g);
  s.counts_p = reinterpret_cast<std::uint32_t*>(smem + L.counts_p);
  s.counts_g = reinterpret_cast<std::uint32_t*>(smem + L.counts_g);
  s.reduce = reinterpret_cast<std::uint64_t*>(smem + L.reduce);
  s.counters = reinterpret_cast<int*>(smem + L.counters);
  s.w = mcc::make_workspace(reinterpret_cast<std::uint64_t*>(smem + L.pairs), vectors, s.lambda);
  return s;
}

// Summaries (planes, counts) of the cylinders of `v`, by the block.
__device__ void summarise(const mcc::CylinderSetView& v, std::uint64_t* planes, std::uint32_t* counts) {
  for (int i = threadIdx.x; i < v.n; i += blockDim.x) {
    const std::uint64_t* c = v.bits + i * mcc::kCylinderWords;
    mcc::layer_count_planes(c, planes + i * mcc::kPlaneWords);
    counts[i] = mcc::cylinder_counts(c, v.valid + i * mcc::kValidityWords);
  }
}

// Zeroes the histogram and the counters for the next comparison; the caller
// has passed a barrier after their last reader.
__device__ void clear_counters(const Shared& S) {
  S.hist[threadIdx.x] = 0;
  if (threadIdx.x < kCounters) S.counters[threadIdx.x] = 0;
}

// Appends: every lane of the warp calls it (in a warp-uniform loop); lanes
// with `take` get consecutive slots from `*counter`, one atomic per warp.
__device__ int warp_append(bool take, int* counter) {
  const unsigned lane = threadIdx.x % 32;
  const unsigned mask = __ballot_sync(0xffffffffu, take);
  int base = 0;
  if (lane == 0 && mask != 0) base = atomicAdd(counter, __popc(mask));
  base = __shfl_sync(0xffffffffu, base, 0);
  return base + __popc(mask & ((1u << lane) - 1u));
}

// One side of cell (r, c): cylinder i of `v` with its summary.
__device__ mcc::CylinderRef cylinder_ref(const mcc::CylinderSetView& v, int i, const std::uint64_t* planes,
                                         const std::uint32_t* counts) {
  return {v.bits + i * mcc::kCylinderWords, v.valid + i * mcc::kValidityWords, planes + i * mcc::kPlaneWords,
          counts[i]};
}

// Score of probe p against the block's entry g (the summaries of both
// computed before the barrier that precedes the call), by the whole block.
// Returns the score in every thread.
__device__ float block_score(const mcc::CylinderSetView& p, const mcc::CylinderSetView& g, const mcc::ScoreTables& T,
                             const Shared& S) {
  const bool swapped = mcc::swap_roles(p, g);
  // Copies: a reference chosen at run time would put both sets in local memory.
  const mcc::CylinderSetView a = swapped ? g : p;
  const mcc::CylinderSetView b = swapped ? p : g;
  if (!mcc::comparable(a, b)) return 0.0f;
  const std::uint64_t* planes_a = swapped ? S.planes_g : S.planes_p;
  const std::uint64_t* planes_b = swapped ? S.planes_p : S.planes_g;
  const std::uint32_t* counts_a = swapped ? S.counts_g : S.counts_p;
  const std::uint32_t* counts_b = swapped ? S.counts_p : S.counts_g;
  const mcc::Workspace& w = S.w;
  const int total = a.n * b.n;
  const std::uint64_t inv_b = mcc::gather_inverse(b.n);
  const int lane = threadIdx.x % 32;

  // 1. The cells that pass the direction test, compacted (the others are
  // 0): pairs of whole-disc cylinders from the front of the list, the others
  // from the back, so that warps run one kind of count at a time.
  for (int base = threadIdx.x - lane; base < total; base += blockDim.x) {
    const int idx = base + lane;
    bool pass = false, whole = false;
    if (idx < total) {
      const int r = static_cast<int>((static_cast<std::uint64_t>(idx) * inv_b) >> 24), c = idx - r * b.n;
      pass = mcc::direction_compatible(a.theta[r], b.theta[c]);
      if (!pass) S.lambda[idx] = 0.0f;
      whole = mcc::whole_disc(counts_a[r]) && mcc::whole_disc(counts_b[c]);
    }
    // Both halves' slots with one atomic per warp.
    const unsigned mw = __ballot_sync(0xffffffffu, pass && whole), mo = __ballot_sync(0xffffffffu, pass && !whole);
    int slots = 0;
    if (lane == 0 && (mw | mo) != 0) slots = atomicAdd(&S.counters[kCells], __popc(mw) | __popc(mo) << 16);
    slots = __shfl_sync(0xffffffffu, slots, 0);
    const unsigned below = (1u << lane) - 1u;
    if (pass)
      S.list[whole ? (slots & 0xffff) + __popc(mw & below) : total - 1 - ((slots >> 16) + __popc(mo & below))] =
          static_cast<std::uint16_t>(idx);
  }
  __syncthreads();

  // 2. Their similarities, and the histogram of the positive ones.
  const int whole_cells = S.counters[kCells] & 0xffff, cells = whole_cells + (S.counters[kCells] >> 16);
  for (int i = threadIdx.x; i < cells; i += blockDim.x) {
    const bool whole = i < whole_cells;
    const int idx = S.list[whole ? i : total - cells + i];
    const int r = static_cast<int>((static_cast<std::uint64_t>(idx) * inv_b) >> 24), c = idx - r * b.n;
    const mcc::CylinderRef ca = cylinder_ref(a, r, planes_a, counts_a), cb = cylinder_ref(b, c, planes_b, counts_b);
    const float v = whole ? mcc::local_similarity_whole_discs(ca, cb, T.sqrt_count)
                          : mcc::local_similarity_summarised(ca, cb, T.sqrt_count);
    S.lambda[idx] = v;
    if (v > 0.0f) atomicAdd(&S.hist[mcc::similarity_bin(v)], 1);
  }
  __syncthreads();

  // 3. The floor bin, by warp 0: lane l scans bins 8l .. 8l+7 given the
  // entries in the bins above (a suffix sum over the lanes); the highest
  // lane that finds a floor has the block's.
  const int cap = a.n < b.n ? a.n : b.n;
  if (threadIdx.x < 32) {
    int own = 0;
    for (int k = 0; k < 8; ++k) own += S.hist[8 * lane + k];
    int suffix = own;  // entries in the bins of lanes >= lane
    for (int o = 1; o < 32; o <<= 1) {
      const int v = __shfl_down_sync(0xffffffffu, suffix, o);
      if (lane + o < 32) suffix += v;
    }
    int count = 0;
    const int bin = mcc::floor_bin_in_range(S.hist, 8 * lane, 8 * lane + 8, suffix - own, cap, &count);
    const unsigned found = __ballot_sync(0xffffffffu, bin >= 0);
    const int src = found ? 31 - __clz(static_cast<int>(found)) : 0;
    const int floor_bin = __shfl_sync(0xffffffffu, found ? bin : 0, src);
    const int floor_count = __shfl_sync(0xffffffffu, found ? count : suffix, src);  // lane 0's suffix: all
    if (lane == 0) {
      S.counters[kFloorBin] = floor_bin;
      S.counters[kFloorCount] = floor_count;
    }
  }
  __syncthreads();

  // 4. The selection: candidates at or above the floor placed by rank, or,
  // for large ties at the floor, repeated maxima.
  const int m = S.counters[kFloorCount];
  int nR;
  if (m == 0) {
    nR = 0;
    __syncthreads();  // every thread has read the counters
  } else if (m > kRankMax) {
    nR = select_by_maxima(S.lambda, total, cap, w, S.reduce);
  } else {
    // Only the listed cells can be positive.
    const int floor_bin = S.counters[kFloorBin];
    for (int base = threadIdx.x - lane; base < cells; base += blockDim.x) {
      const int i = base + lane;
      const int idx = i < cells ? S.list[i < whole_cells ? i : total - cells + i] : 0;
      const float v = i < cells ? S.lambda[idx] : 0.0f;
      const bool take = v > 0.0f && mcc::similarity_bin(v) >= floor_bin;
      const int slot = warp_append(take, &S.counters[kCandidates]);
      if (take && slot < kRankMax) S.keys[slot] = mcc::pair_key(v, static_cast<std::uint32_t>(idx));
    }
    __syncthreads();
    for (int i = threadIdx.x; i < m; i += blockDim.x) {
      const std::uint64_t key = S.keys[i];
      const int rank = mcc::key_rank(S.keys, m, key);
      if (rank < cap) w.pairs[rank] = key;
    }
    nR = m < cap ? m : cap;
    __syncthreads();
  }
  if (nR == 0) {
    clear_counters(S);  // every reader is past the barrier above
    return 0.0f;
  }

  // 5. The pairs' minutiae (nobody reads `lambda` any more: rho_t may
  // overwrite it) and rotations.
  const int tid = static_cast<int>(threadIdx.x);
  if (tid < nR) {
    mcc::lssr_gather_pair(a, b, inv_b, tid, w);
    S.phi[tid] = mcc::pair_rotation(w, tid);
  }
  __syncthreads();

  // 6. The compatibility matrix: zeros, and the exact values of the pairs of
  // pairs the prefilter lets through (upper triangle, both orders), compacted.
  const mcc::PrefilterLimits lim(T);
  const std::uint64_t inv_r = mcc::gather_inverse(nR);
  const int cells_r = nR * nR;
  for (int base = threadIdx.x - lane; base < cells_r; base += blockDim.x) {
    const int q = base + lane;
    bool keep = false;
    if (q < cells_r) {
      const int k = static_cast<int>((static_cast<std::uint64_t>(q) * inv_r) >> 24), t = q - k * nR;
      w.rho_t[q] = 0.0f;
      keep = t > k && mcc::compatibility_may_be_nonzero(lim, w, S.phi, t, k);
    }
    const int slot = warp_append(keep, &S.counters[kSurvivors]);
    if (keep) S.list[slot] = static_cast<std::uint16_t>(q);
  }
  __syncthreads();
  const int survivors = S.counters[kSurvivors];
  for (int i = threadIdx.x; i < survivors; i += blockDim.x) {
    const int q = S.list[i];
    const int k = static_cast<int>((static_cast<std::uint64_t>(q) * inv_r) >> 24), t = q - k * nR;
    w.rho_t[k * nR + t] = mcc::pair_compatibility(T, w, t, k);
    w.rho_t[t * nR + k] = mcc::pair_compatibility(T, w, k, t);
  }
  __syncthreads();

  // 7. Relaxation, then the final step: efficiencies ranked in parallel,
  // the taken similarities summed in taking order by one thread.
  relax_block(nR, w);
  if (tid < nR) w.acc[tid] = w.l[tid] / w.l0[tid];
  __syncthreads();
  const int np = T.np[cap];
  const int take = np < nR ? np : nR;
  if (tid < nR) {
    const int rank = mcc::efficiency_rank(w.acc, nR, tid);
    if (rank < take) S.taken[rank] = w.l[tid];
  }
  __syncthreads();
  float* shared_score = reinterpret_cast<float*>(S.reduce + kSelectSlots);
  if (threadIdx.x == 0) *shared_score = mcc::finish_from_taken(a, b, nR, T, S.taken);
  __syncthreads();
  const float score = *shared_score;
  clear_counters(S);  // the next comparison's first barrier orders this before its appends
  return score;
}

// Whether the first version of the score kernel is asked for instead
// (environment FPM_CUDA_KERNEL=reference, read once; host side): the
// baseline of measurements; both give the same scores.
inline bool use_reference_kernel() {
  static const bool reference = [] {
    const char* v = std::getenv("FPM_CUDA_KERNEL");
    return v != nullptr && std::strcmp(v, "reference") == 0;
  }();
  return reference;
}

// At most 64 registers: 4 blocks of 256 threads per multiprocessor.
__global__ void __launch_bounds__(kThreads, 4) score_kernel(PackedSets probes, PackedSets entries, std::uint32_t e_begin,
                                                         std::uint32_t entry_count, bool check_positions,
                                                         const mcc::ScoreTables* tables, float* scores) {
  FPM_DYNAMIC_SHARED(smem);
  const FastLayout L(probes.max_cylinders, entries.max_cylinders);
  const Shared S = shared_pointers(smem, L);
  const std::uint32_t e = e_begin + blockIdx.x;
  const mcc::CylinderSetView g = view_set(entries, e);
  const std::uint8_t gpos = entries.position[e];
  summarise(g, S.planes_g, S.counts_g);
  clear_counters(S);
  for (std::uint32_t p = 0; p < probes.count; ++p) {
    const std::uint8_t ppos = probes.position[p];
    if (check_positions && ppos != 0 && gpos != 0 && ppos != gpos) {
      if (threadIdx.x == 0) scores[std::size_t(p) * entry_count + blockIdx.x] = -1.0f;
      continue;
    }
    // Every reader of the previous probe's summaries has passed a barrier
    // since (the end of its phase 2).
    const mcc::CylinderSetView probe = view_set(probes, p);
    summarise(probe, S.planes_p, S.counts_p);
    __syncthreads();  // the previous comparison is done with shared memory
    const float s = block_score(probe, g, *tables, S);
    if (threadIdx.x == 0) scores[std::size_t(p) * entry_count + blockIdx.x] = s;
  }
}

}  // namespace

}  // namespace fpm::kernels
