// The score kernels: one block of 256 threads per gallery entry, which
// compares every probe of the batch with that entry (the entry stays in L1,
// so the gallery is read from device memory once per batch; the probes, a
// few hundred kilobytes, stay in L2). Every score is computed by the per-pair
// code shared with the CPU (src/mcc), compiled with -fmad=false, so that a
// device score equals the host score bit for bit.
//
// Two kernels give the same scores: score_kernel_compacted, the default,
// and score_kernel_maxima, the first version (baseline and fallback). Their
// block-level work is in phase functions (score_phases.cuh) that the tests
// also run on the host; what needs a whole warp or block at once (warp
// reductions, the selection by repeated maxima, the floor bin's suffix sum)
// is here, with summary_kernel, which summarises the probe batch's
// cylinders once for every block of the compacted kernel.
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

#include "entry_list.hpp"
#include "mcc/packed_sets.hpp"
#include "score_phases.cuh"

// The block's dynamic shared memory as `unsigned char name[]`.
#ifndef FPM_DYNAMIC_SHARED
#define FPM_DYNAMIC_SHARED(name) extern __shared__ __align__(16) unsigned char name[]
#endif

namespace fpm::kernels {

namespace {

// ---- Warp and block operations (kernel-only) ---------------------------------

// The largest of the warp's values, in every lane.
__device__ std::uint64_t warp_max(std::uint64_t v) {
  for (int o = 16; o > 0; o >>= 1) {
    const std::uint64_t u = __shfl_xor_sync(0xffffffffu, v, o);
    v = u > v ? u : v;
  }
  return v;
}

// The phases' shared-memory atomics on a device (score_phases.cuh): appends
// take consecutive slots with one atomic per warp. Every lane of the warp
// calls them (in a warp-uniform loop).
struct WarpAtomics {
  __device__ void add(int* p, int v) const { atomicAdd(p, v); }
  // Lanes with `take` get consecutive slots from `*counter`.
  __device__ int append(bool take, int* counter) const {
    const unsigned lane = threadIdx.x % 32;
    const unsigned mask = __ballot_sync(0xffffffffu, take);
    int base = 0;
    if (lane == 0 && mask != 0) base = atomicAdd(counter, __popc(mask));
    base = __shfl_sync(0xffffffffu, base, 0);
    return base + __popc(mask & ((1u << lane) - 1u));
  }
  // Two lists counted by one counter (`first`: the low 16 bits, else the
  // high ones), both with one atomic per warp; the slot within its list.
  __device__ int append_split(bool take, bool first, int* counter) const {
    const unsigned lane = threadIdx.x % 32;
    const unsigned mf = __ballot_sync(0xffffffffu, take && first), mo = __ballot_sync(0xffffffffu, take && !first);
    int slots = 0;
    if (lane == 0 && (mf | mo) != 0) slots = atomicAdd(counter, __popc(mf) | __popc(mo) << 16);
    slots = __shfl_sync(0xffffffffu, slots, 0);
    const unsigned below = (1u << lane) - 1u;
    return first ? (slots & 0xffff) + __popc(mf & below) : (slots >> 16) + __popc(mo & below);
  }
};

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
// barrier. Kernel-only: warp reductions and a barrier per selected pair.
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

// The n_rel relaxation steps, two phases each (score_phases.cuh).
__device__ void relax_block(int nR, const mcc::Workspace& w) {
  const int t = static_cast<int>(threadIdx.x), n = static_cast<int>(blockDim.x);
  for (int it = 0; it < mcc::kNRel; ++it) {
    phase_relax_sum(t, n, nR, w);
    __syncthreads();
    phase_relax_update(t, n, nR, w);
    __syncthreads();
  }
}


// ---- The maxima kernel ---------------------------------------------------------
//
// The first version of the kernel, kept as the baseline of measurements and
// as the fallback where a device has too little shared memory for the
// compacted kernel (FPM_CUDA_KERNEL=maxima selects it): the similarity
// matrix in full, the pairs selected by repeated block-wide maxima, every
// compatibility computed, the final step on one thread.

// Score of one comparison, by the whole block. Returns the score in every
// thread.
__device__ float block_score_maxima(mcc::CylinderSetView a, mcc::CylinderSetView b, const mcc::ScoreTables& T,
                                    float* lambda, const mcc::Workspace& w, std::uint64_t* reduce) {
  if (mcc::swap_roles(a, b)) {
    const mcc::CylinderSetView t = a;
    a = b;
    b = t;
  }
  if (!mcc::comparable(a, b)) return 0.0f;
  const int t = static_cast<int>(threadIdx.x), n = static_cast<int>(blockDim.x);
  phase_similarity_matrix(t, n, a, b, lambda);
  __syncthreads();
  const int nR = select_by_maxima(lambda, a.n * b.n, a.n < b.n ? a.n : b.n, w, reduce);
  if (nR == 0) return 0.0f;
  phase_gather_pairs(t, n, a, b, nR, w);
  // (w.rho_t aliases `lambda`.)
  __syncthreads();
  phase_full_compatibility(t, n, nR, T, w);
  __syncthreads();
  relax_block(nR, w);
  phase_lssr_finish(t, a, b, nR, T, w, reduce);
  __syncthreads();
  const float score = *score_slot(reduce);
  __syncthreads();  // every thread has read the slot before the next comparison writes it
  return score;
}

// At most 64 registers: 4 blocks of 256 threads per multiprocessor (the
// compiler would take 78 unbounded, which allows 3).
__global__ void __launch_bounds__(kThreads, 4)
    score_kernel_maxima(mcc::PackedSetsView probes, mcc::PackedSetsView entries, std::uint32_t e_begin,
                        std::uint32_t entry_count, bool check_positions, const mcc::ScoreTables* tables,
                        float* scores, EntryList list) {
  FPM_DYNAMIC_SHARED(smem);
  const MaximaLayout L(probes.max_cylinders, entries.max_cylinders);
  const std::uint32_t e = list.at(blockIdx.x, e_begin);
  float* lambda = reinterpret_cast<float*>(smem + L.lambda);
  // rho_t aliases the similarity matrix (see MaximaLayout).
  const mcc::Workspace w = mcc::make_workspace(reinterpret_cast<std::uint64_t*>(smem + L.pairs),
                                               reinterpret_cast<float*>(smem + L.floats), lambda);
  auto* reduce = reinterpret_cast<std::uint64_t*>(smem + L.reduce);
  const mcc::CylinderSetView g = entries.set(e);
  const std::uint8_t gpos = entries.position[e];
  for (std::uint32_t p = 0; p < probes.count; ++p) {
    const std::uint8_t ppos = probes.position[p];
    if ((check_positions && ppos != 0 && gpos != 0 && ppos != gpos) || !list.scores(blockIdx.x, p)) {
      if (threadIdx.x == 0) scores[std::size_t(p) * entry_count + blockIdx.x] = -1.0f;
      continue;
    }
    __syncthreads();  // the previous comparison is done with shared memory
    const mcc::CylinderSetView a = probes.set(p);
    const float s = block_score_maxima(a, g, *tables, lambda, w, reduce);
    if (threadIdx.x == 0) scores[std::size_t(p) * entry_count + blockIdx.x] = s;
  }
}

// ---- The compacted kernel --------------------------------------------------------
//
// The same comparison in fewer instructions (docs/cuda.md), the default:
// the cells that pass the direction test are compacted first, so that warps
// count bits only for those, and from per-cylinder summaries
// (mcc/summary.hpp); the best pairs are found by a histogram floor and ranks
// (mcc/parallel_select.hpp) instead of one block-wide maximum per pair; the
// compatibility matrix is computed exactly only for the pairs of pairs the
// prefilter lets through (mcc/prefilter.hpp), compacted; the final step
// ranks efficiencies in parallel. Every value is the maxima kernel's: the
// tests run these phases on the host (tests/test_kernel_steps.cpp) and this
// kernel itself on CPU threads (tests/test_kernel_emulation.cpp), against
// the CPU scores.

// 3. The floor bin, by warp 0: lane l scans bins 8l .. 8l+7 given the
// entries in the bins above (a suffix sum over the lanes); the highest lane
// that finds a floor has the block's. Kernel-only: warp shuffles.
__device__ void phase_floor_bin(int cap, const Shared& S) {
  if (threadIdx.x >= 32) return;
  const int lane = threadIdx.x % 32;
  const int own = lane_bin_count(S, lane);
  int suffix = own;  // entries in the bins of lanes >= lane
  for (int o = 1; o < 32; o <<= 1) {
    const int v = __shfl_down_sync(0xffffffffu, suffix, o);
    if (lane + o < 32) suffix += v;
  }
  int count = 0;
  const int bin = lane_floor_bin(S, lane, suffix - own, cap, &count);
  const unsigned found = __ballot_sync(0xffffffffu, bin >= 0);
  const int src = found ? 31 - __clz(static_cast<int>(found)) : 0;
  const int floor_bin = __shfl_sync(0xffffffffu, found ? bin : 0, src);
  const int floor_count = __shfl_sync(0xffffffffu, found ? count : suffix, src);  // lane 0's suffix: all
  if (lane == 0) {
    S.counters[kFloorBin] = floor_bin;
    S.counters[kFloorCount] = floor_count;
  }
}

// Score of probe p (its summaries `ps`, from the summary kernel) against
// the block's entry g (its summaries computed before the barrier that
// precedes the call), by the whole block, phase by phase (score_phases.cuh).
// Returns the score in every thread.
__device__ float block_score_compacted(const mcc::CylinderSetView& p, const Summaries& ps,
                                       const mcc::CylinderSetView& g, const mcc::ScoreTables& T, const Shared& S) {
  Comparison c;
  if (!begin_comparison(p, ps, g, S, &c)) return 0.0f;
  const int t = static_cast<int>(threadIdx.x), n = static_cast<int>(blockDim.x);
  const WarpAtomics atomics;
  phase_compact_cells(t, n, c, S, atomics);
  __syncthreads();
  phase_similarities(t, n, c, T, S, atomics);
  __syncthreads();
  phase_floor_bin(c.cap, S);
  __syncthreads();

  // 4. The selection: candidates at or above the floor placed by rank, or,
  // for large ties at the floor, repeated maxima.
  const int m = S.counters[kFloorCount];
  int nR;
  if (m == 0) {
    nR = 0;
    __syncthreads();  // every thread has read the counters
  } else if (m > kRankMax) {
    nR = select_by_maxima(S.lambda, c.total, c.cap, S.w, S.reduce);
  } else {
    phase_candidates(t, n, c, S, atomics);
    __syncthreads();
    phase_rank_pairs(t, n, c, m, S);
    nR = m < c.cap ? m : c.cap;
    __syncthreads();
  }
  if (nR == 0) {
    phase_clear_counters(t, n, S);  // every reader is past the barrier above
    return 0.0f;
  }

  phase_gather(t, n, c, nR, S);
  __syncthreads();
  phase_prefilter(t, n, nR, T, S, atomics);
  __syncthreads();
  phase_compatibility(t, n, nR, T, S);
  __syncthreads();
  relax_block(nR, S.w);
  phase_efficiencies(t, n, nR, S.w);
  __syncthreads();
  phase_rank_efficiencies(t, n, c, nR, T, S);
  __syncthreads();
  phase_finish(t, c, nR, T, S);
  __syncthreads();
  const float score = *score_slot(S.reduce);  // next written after many barriers
  phase_clear_counters(t, n, S);  // the next comparison's first barrier orders this before its appends
  return score;
}

// Which score kernel the environment asks for (FPM_CUDA_KERNEL, read once;
// host side): "maxima" (or "reference", its former name) for the maxima
// kernel, the baseline of measurements; "compacted" or unset for the
// default. Both give the same scores.
inline bool use_maxima_kernel() {
  static const bool maxima = [] {
    const char* v = std::getenv("FPM_CUDA_KERNEL");
    return v != nullptr && (std::strcmp(v, "maxima") == 0 || std::strcmp(v, "reference") == 0);
  }();
  return maxima;
}

// The summaries of every cylinder of the probe batch, into `planes` and
// `counts` at the cylinder's offset in the batch (probes.offset[p] + i):
// computed once per batch here instead of once per (entry, probe) pair in
// every block of the compacted kernel, which reads them from global memory
// (L2: 100 bytes per cylinder). A grid-stride loop, one cylinder per thread.
__global__ void summary_kernel(mcc::PackedSetsView probes, std::uint64_t* planes, std::uint32_t* counts) {
  const std::uint64_t c0 = probes.offset[0], c1 = probes.offset[probes.count];
  for (std::uint64_t c = c0 + blockIdx.x * std::uint64_t(blockDim.x) + threadIdx.x; c < c1;
       c += std::uint64_t(gridDim.x) * blockDim.x)
    summarise_cylinder(probes.bits + c * mcc::kCylinderWords, probes.valid + c * mcc::kValidityWords,
                       planes + c * mcc::kPlaneWords, counts + c);
}

// At most 64 registers: 4 blocks of 256 threads per multiprocessor.
// `summaries`: the probes' (summary_kernel, run on the batch before).
__global__ void __launch_bounds__(kThreads, 4)
    score_kernel_compacted(mcc::PackedSetsView probes, Summaries summaries, mcc::PackedSetsView entries,
                           std::uint32_t e_begin, std::uint32_t entry_count, bool check_positions,
                           const mcc::ScoreTables* tables, float* scores, EntryList list) {
  FPM_DYNAMIC_SHARED(smem);
  const CompactedLayout L(probes.max_cylinders, entries.max_cylinders);
  const Shared S = shared_pointers(smem, L);
  const int t = static_cast<int>(threadIdx.x), n = static_cast<int>(blockDim.x);
  const std::uint32_t e = list.at(blockIdx.x, e_begin);
  const mcc::CylinderSetView g = entries.set(e);
  const std::uint8_t gpos = entries.position[e];
  phase_summarise(t, n, g, S.planes_g, S.counts_g);
  phase_clear_counters(t, n, S);
  for (std::uint32_t p = 0; p < probes.count; ++p) {
    const std::uint8_t ppos = probes.position[p];
    if ((check_positions && ppos != 0 && gpos != 0 && ppos != gpos) || !list.scores(blockIdx.x, p)) {
      if (threadIdx.x == 0) scores[std::size_t(p) * entry_count + blockIdx.x] = -1.0f;
      continue;
    }
    const mcc::CylinderSetView probe = probes.set(p);
    __syncthreads();  // the previous comparison is done with shared memory
    const float s = block_score_compacted(probe, summaries.from(probes.offset[p]), g, *tables, S);
    if (threadIdx.x == 0) scores[std::size_t(p) * entry_count + blockIdx.x] = s;
  }
}

}  // namespace

}  // namespace fpm::kernels
