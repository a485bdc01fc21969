// 1:N search kernels. Every score is computed by the per-pair code shared
// with the CPU (src/mcc/score.hpp), compiled here with -fmad=false, so that a
// device score equals the host score bit for bit.
//
// score_kernel: one block of 256 threads per gallery entry, which compares
// every probe of the batch with that entry (the entry stays in L1, so the
// gallery is read from device memory once per batch; the probes, a few
// hundred kilobytes, stay in L2). Per comparison the block computes the
// similarity matrix in shared memory, selects the best pairs by repeated
// block-wide maxima of the unique pair keys (the same pairs, in the same
// order, as the CPU heap), and runs LSS-R with one thread per pair for the
// relaxation sums (each sum in the CPU's order).
#include <cub/device/device_segmented_radix_sort.cuh>

#include "mcc/score.hpp"
#include "search_kernels.h"

namespace fpm::kernels {

namespace {

constexpr int kThreads = 256;
// Reduction slots: one per warp, in two alternating halves (pair selection),
// then one more for the block's score.
constexpr int kSelectSlots = 2 * (kThreads / 32);
static_assert(mcc::kMaxCylinders <= kThreads, "one thread per relaxed pair");

__host__ __device__ constexpr std::size_t align16(std::size_t v) { return (v + 15) & ~std::size_t{15}; }

// Dynamic shared memory of one block: the similarity matrix (later reused for
// the compatibility matrix: nR^2 <= np * ng, and after selection the pairs'
// similarities travel in their keys), the selected pair keys, the LSS-R
// vectors and the reduction slots. The cylinder sets themselves are read
// from global memory through L1: staging them in shared memory adds no
// bandwidth (L1 and shared memory are the same hardware) and, at 30 KB per
// 128-cylinder set, would allow one block per multiprocessor on galleries
// with such templates.
struct Layout {
  std::size_t lambda, pairs, floats, reduce, total;
  __host__ __device__ Layout(int np, int ng) {
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

// Score of one comparison, by the whole block. Returns the score in every thread.
__device__ float block_score(mcc::CylinderSetView a, mcc::CylinderSetView b, const mcc::ScoreTables& T, float* lambda,
                             const mcc::Workspace& w, std::uint64_t* reduce) {
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

  // The best pairs, best first: repeated maxima of the unique keys (the
  // same pairs in the same order as the CPU's heap). Each thread holds its
  // largest key not yet taken and each warp the largest of its threads';
  // a round takes the block maximum, and only the thread that held it looks
  // for its next key and only its warp reduces again. Every other thread's
  // key stays valid: it is below the maximum and was its largest below the
  // previous one. One barrier per round: the warps' slots alternate between
  // two halves, so a round's slots are not overwritten before every thread
  // has read them.
  const int cap = a.n < b.n ? a.n : b.n;
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
  const int nR = count;
  if (nR == 0) return 0.0f;
  __syncthreads();  // w.pairs complete; nobody reads `lambda` any more

  if (threadIdx.x < nR) mcc::lssr_gather_pair(a, b, mcc::gather_inverse(b.n), threadIdx.x, w);
  // (w.rho_t aliases `lambda`.)
  __syncthreads();
  for (int idx = threadIdx.x; idx < nR * nR; idx += blockDim.x) {
    const int k = idx / nR, t = idx % nR;
    w.rho_t[idx] = t == k ? 0.0f : mcc::pair_compatibility(T, w, t, k);
  }
  __syncthreads();
  const float c = nR > 1 ? (1.0f - mcc::kWR) / static_cast<float>(nR - 1) : 0.0f;
  const int t = threadIdx.x;
  for (int it = 0; it < mcc::kNRel; ++it) {
    float acc = 0.0f;
    if (t < nR)
      for (int k = 0; k < nR; ++k) acc += w.rho_t[k * nR + t] * w.l[k];
    __syncthreads();
    if (t < nR) w.l[t] = mcc::kWR * w.l[t] + c * acc;
    __syncthreads();
  }
  float* shared_score = reinterpret_cast<float*>(reduce + kSelectSlots);
  if (threadIdx.x == 0) *shared_score = mcc::lssr_finish(a, b, nR, T, w);
  __syncthreads();
  const float score = *shared_score;
  __syncthreads();
  return score;
}

// At most 64 registers: 4 blocks of 256 threads per multiprocessor (the
// compiler would take 78 unbounded, which allows 3).
__global__ void __launch_bounds__(kThreads, 4) score_kernel(PackedSets probes, PackedSets entries, std::uint32_t e_begin,
                                                         std::uint32_t entry_count, bool check_positions,
                                                         const mcc::ScoreTables* tables, float* scores) {
  extern __shared__ __align__(16) unsigned char smem[];
  const Layout L(probes.max_cylinders, entries.max_cylinders);
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
    const float s = block_score(a, g, *tables, lambda, w, reduce);
    if (threadIdx.x == 0) scores[std::size_t(p) * entry_count + blockIdx.x] = s;
  }
}

__global__ void keys_kernel(const float* scores, std::uint32_t probes, std::uint32_t n, const std::uint32_t* id,
                            float min_score, std::uint64_t* keys) {
  const std::size_t total = std::size_t(probes) * n;
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < total;
       i += std::size_t(gridDim.x) * blockDim.x) {
    const float s = scores[i];
    const std::uint32_t k = static_cast<std::uint32_t>(i % n);
    keys[i] = (s >= 0.0f && s >= min_score)
                  ? (static_cast<std::uint64_t>(__float_as_uint(s)) << 32) | (0xffffffffu - id[k])
                  : 0;
  }
}

__global__ void fuse_kernel(const float* scores, std::uint32_t entry_count, const std::uint32_t* finger_offset,
                            std::uint32_t probes, const std::uint32_t* subject_offset, std::uint32_t base,
                            std::uint32_t subjects, float* fused) {
  const std::size_t total = std::size_t(probes) * subjects;
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < total;
       i += std::size_t(gridDim.x) * blockDim.x) {
    const std::uint32_t p = static_cast<std::uint32_t>(i / subjects), s = static_cast<std::uint32_t>(i % subjects);
    const std::uint32_t f0 = finger_offset[p], f1 = finger_offset[p + 1];
    const std::uint32_t e0 = subject_offset[s] - base, e1 = subject_offset[s + 1] - base;
    float sum = 0.0f;
    for (std::uint32_t f = f0; f < f1; ++f) {
      float best = 0.0f;
      for (std::uint32_t e = e0; e < e1; ++e) {
        const float v = scores[std::size_t(f) * entry_count + e];
        if (v >= 0.0f && v > best) best = v;
      }
      sum += best;
    }
    fused[i] = sum / static_cast<float>(f1 - f0);
  }
}

int grid_for(std::size_t total) {
  const std::size_t blocks = (total + 255) / 256;
  return static_cast<int>(blocks < 65535 ? (blocks ? blocks : 1) : 65535);
}

}  // namespace

std::size_t score_shared_bytes(int max_probe_cylinders, int max_entry_cylinders) {
  return Layout(max_probe_cylinders, max_entry_cylinders).total;
}

int launch_score(const PackedSets& probes, const PackedSets& entries, std::uint32_t e_begin, std::uint32_t entry_count,
                 bool check_positions, const mcc::ScoreTables* tables, float* scores, void* stream) {
  if (entry_count == 0 || probes.count == 0) return 0;
  const std::size_t smem = score_shared_bytes(probes.max_cylinders, entries.max_cylinders);
  cudaError_t e = cudaFuncSetAttribute(score_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
  if (e != cudaSuccess) return static_cast<int>(e);
  score_kernel<<<entry_count, kThreads, smem, static_cast<cudaStream_t>(stream)>>>(probes, entries, e_begin, entry_count,
                                                                                   check_positions, tables, scores);
  return static_cast<int>(cudaGetLastError());
}

int launch_make_keys(const float* scores, std::uint32_t probes, std::uint32_t n, const std::uint32_t* id,
                     float min_score, std::uint64_t* keys, void* stream) {
  keys_kernel<<<grid_for(std::size_t(probes) * n), 256, 0, static_cast<cudaStream_t>(stream)>>>(scores, probes, n, id,
                                                                                                min_score, keys);
  return static_cast<int>(cudaGetLastError());
}

int launch_fuse_subjects(const float* scores, std::uint32_t entry_count, const std::uint32_t* finger_offset,
                         std::uint32_t probes, const std::uint32_t* subject_offset, std::uint32_t base,
                         std::uint32_t subjects, float* fused, void* stream) {
  fuse_kernel<<<grid_for(std::size_t(probes) * subjects), 256, 0, static_cast<cudaStream_t>(stream)>>>(
      scores, entry_count, finger_offset, probes, subject_offset, base, subjects, fused);
  return static_cast<int>(cudaGetLastError());
}

int segmented_sort_desc(void* temp, std::size_t* temp_bytes, const std::uint64_t* keys_in, std::uint64_t* keys_out,
                        std::uint32_t segments, std::uint32_t n, const std::uint32_t* segment_offsets, void* stream) {
  return static_cast<int>(cub::DeviceSegmentedRadixSort::SortKeysDescending(
      temp, *temp_bytes, keys_in, keys_out, static_cast<int>(std::size_t(segments) * n), static_cast<int>(segments),
      segment_offsets, segment_offsets + 1, 0, 64, static_cast<cudaStream_t>(stream)));
}

}  // namespace fpm::kernels
