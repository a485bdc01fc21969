// The kernels between scoring and the top-K sort: sort keys per candidate
// and per-subject fusion. Grid-stride loops, one element per thread, no
// shared memory. Included by search_kernels.cu, and by the tests' simulated
// devices (tests/simulated_cuda), which run them on the host.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mcc/sort_key.hpp"

namespace fpm::kernels {

// Blocks of 256 threads for a grid-stride loop over `total` elements.
inline int rank_grid(std::size_t total) {
  const std::size_t blocks = (total + 255) / 256;
  return static_cast<int>(blocks < 65535 ? (blocks ? blocks : 1) : 65535);
}

namespace {

__global__ void keys_kernel(const float* scores, std::uint32_t probes, std::uint32_t n, const std::uint32_t* id,
                            float min_score, std::uint64_t* keys) {
  const std::size_t total = std::size_t(probes) * n;
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < total;
       i += std::size_t(gridDim.x) * blockDim.x) {
    const float s = scores[i];
    const std::uint32_t k = static_cast<std::uint32_t>(i % n);
    keys[i] = (s >= 0.0f && s >= min_score) ? mcc::sort_key(s, id[k]) : 0;
  }
}

__global__ void fuse_kernel(const float* scores, std::uint32_t entry_count, const std::uint32_t* finger_offset,
                            std::uint32_t probes, const std::uint32_t* subject_offset, std::uint32_t base,
                            std::uint32_t subjects, const std::uint64_t* subject_mask, float* fused) {
  const std::size_t total = std::size_t(probes) * subjects;
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < total;
       i += std::size_t(gridDim.x) * blockDim.x) {
    const std::uint32_t p = static_cast<std::uint32_t>(i / subjects), s = static_cast<std::uint32_t>(i % subjects);
    if (subject_mask != nullptr && ((subject_mask[s] >> p) & 1u) == 0) {
      fused[i] = -1.0f;  // not on this probe's shortlist: no candidate
      continue;
    }
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

}  // namespace

}  // namespace fpm::kernels
