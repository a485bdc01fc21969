// 1:N search kernels. Every score is computed by the per-pair code shared
// with the CPU (src/mcc/score.hpp), compiled here with -fmad=false, so that a
// device score equals the host score bit for bit.
//
// score_kernel: one block of 256 threads per gallery entry. The entry's
// cylinders are loaded into shared memory once and every probe of the batch
// is compared with it (the gallery is read once per batch; the probes, a few
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
static_assert(mcc::kMaxCylinders <= kThreads, "one thread per relaxed pair");

__host__ __device__ constexpr std::size_t align16(std::size_t v) { return (v + 15) & ~std::size_t{15}; }
__host__ __device__ constexpr std::size_t set_bytes(int n) {
  return align16(std::size_t(n) * mcc::kCylinderWords * 8) + align16(std::size_t(n) * mcc::kValidityWords * 8) +
         3 * align16(std::size_t(n) * 4);
}

struct Layout {
  std::size_t probe, entry, lambda, rho, pairs, floats, reduce, total;
  __host__ __device__ Layout(int np, int ng) {
    const int m = np < ng ? np : ng;
    probe = 0;
    entry = probe + set_bytes(np);
    lambda = entry + set_bytes(ng);
    // The compatibility matrix (nR^2 <= m^2 <= np * ng) reuses the
    // similarity matrix's space: after the pairs are selected, their
    // similarities travel in the pair keys.
    rho = lambda;
    (void)m;
    pairs = lambda + align16(std::size_t(np) * ng * 4);
    floats = pairs + mcc::kMaxCylinders * 8;
    reduce = floats + 9 * mcc::kMaxCylinders * 4;
    total = reduce + 16 * 8;
  }
};

// Copies set i of `s` into shared memory and describes it.
__device__ mcc::CylinderSetView load_set(const PackedSets& s, std::uint32_t i, unsigned char* base, int capacity) {
  const std::uint64_t c0 = s.offset[i];
  const int n = static_cast<int>(s.offset[i + 1] - c0);
  auto* bits = reinterpret_cast<std::uint64_t*>(base);
  auto* valid = reinterpret_cast<std::uint64_t*>(base + align16(std::size_t(capacity) * mcc::kCylinderWords * 8));
  float* x = reinterpret_cast<float*>(reinterpret_cast<unsigned char*>(valid) +
                                      align16(std::size_t(capacity) * mcc::kValidityWords * 8));
  float* y = x + align16(std::size_t(capacity) * 4) / 4;
  float* t = y + align16(std::size_t(capacity) * 4) / 4;
  for (int k = threadIdx.x; k < n * mcc::kCylinderWords; k += blockDim.x) bits[k] = s.bits[c0 * mcc::kCylinderWords + k];
  for (int k = threadIdx.x; k < n * mcc::kValidityWords; k += blockDim.x)
    valid[k] = s.valid[c0 * mcc::kValidityWords + k];
  for (int k = threadIdx.x; k < n; k += blockDim.x) {
    x[k] = s.x[c0 + k];
    y[k] = s.y[c0 + k];
    t[k] = s.theta[c0 + k];
  }
  mcc::CylinderSetView v;
  v.n = n;
  v.hash = s.hash[i];
  v.bits = bits;
  v.valid = valid;
  v.x = x;
  v.y = y;
  v.theta = t;
  return v;
}

__device__ std::uint64_t warp_max(std::uint64_t v) {
  for (int o = 16; o > 0; o >>= 1) {
    const std::uint64_t u = __shfl_down_sync(0xffffffffu, v, o);
    v = u > v ? u : v;
  }
  return v;
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

  // The best pairs, best first: repeated maxima of the unique keys.
  const int cap = a.n < b.n ? a.n : b.n;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  int count = 0;
  for (; count < cap; ++count) {
    std::uint64_t best = 0;
    for (int idx = threadIdx.x; idx < total; idx += blockDim.x) {
      const float v = lambda[idx];
      if (v > 0.0f) {
        const std::uint64_t k = mcc::pair_key(v, static_cast<std::uint32_t>(idx));
        best = k > best ? k : best;
      }
    }
    best = warp_max(best);
    if (lane == 0) reduce[warp] = best;
    __syncthreads();
    if (threadIdx.x == 0) {
      std::uint64_t m = 0;
      for (int i = 0; i < kThreads / 32; ++i) m = reduce[i] > m ? reduce[i] : m;
      reduce[8] = m;
      if (m != 0) {
        w.pairs[count] = m;
        lambda[mcc::key_index(m)] = 0.0f;  // taken
      }
    }
    __syncthreads();
    const bool none = reduce[8] == 0;
    __syncthreads();
    if (none) break;
  }
  const int nR = count;
  if (nR == 0) return 0.0f;

  if (threadIdx.x == 0) mcc::lssr_gather(a, b, nR, w);
  // (w.rho_t aliases `lambda`, which is no longer read.)
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
  if (threadIdx.x == 0) reinterpret_cast<float*>(reduce)[18] = mcc::lssr_finish(a, b, nR, T, w);
  __syncthreads();
  const float score = reinterpret_cast<float*>(reduce)[18];
  __syncthreads();
  return score;
}

__global__ void __launch_bounds__(kThreads) score_kernel(PackedSets probes, PackedSets entries, std::uint32_t e_begin,
                                                         std::uint32_t entry_count, bool check_positions,
                                                         const mcc::ScoreTables* tables, float* scores) {
  extern __shared__ __align__(16) unsigned char smem[];
  const Layout L(probes.max_cylinders, entries.max_cylinders);
  const std::uint32_t e = e_begin + blockIdx.x;
  mcc::Workspace w;
  w.pairs = reinterpret_cast<std::uint64_t*>(smem + L.pairs);
  float* f = reinterpret_cast<float*>(smem + L.floats);
  w.l0 = f;
  w.l = f + 1 * mcc::kMaxCylinders;
  w.acc = f + 2 * mcc::kMaxCylinders;
  w.xa = f + 3 * mcc::kMaxCylinders;
  w.ya = f + 4 * mcc::kMaxCylinders;
  w.ta = f + 5 * mcc::kMaxCylinders;
  w.xb = f + 6 * mcc::kMaxCylinders;
  w.yb = f + 7 * mcc::kMaxCylinders;
  w.tb = f + 8 * mcc::kMaxCylinders;
  w.rho_t = reinterpret_cast<float*>(smem + L.rho);
  float* lambda = reinterpret_cast<float*>(smem + L.lambda);
  auto* reduce = reinterpret_cast<std::uint64_t*>(smem + L.reduce);
  const mcc::CylinderSetView g = load_set(entries, e, smem + L.entry, entries.max_cylinders);
  const std::uint8_t gpos = entries.position[e];
  for (std::uint32_t p = 0; p < probes.count; ++p) {
    const std::uint8_t ppos = probes.position[p];
    if (check_positions && ppos != 0 && gpos != 0 && ppos != gpos) {
      if (threadIdx.x == 0) scores[std::size_t(p) * entry_count + blockIdx.x] = -1.0f;
      continue;
    }
    __syncthreads();  // the previous comparison is done with shared memory
    const mcc::CylinderSetView a = load_set(probes, p, smem + L.probe, probes.max_cylinders);
    __syncthreads();
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
