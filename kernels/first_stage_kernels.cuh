// Stage 1 of the two-stage search on the device (docs/two-stage.md): the
// first-stage scores of a probe batch against a tile of the device
// gallery, as shortlist keys (index/shortlist_key.hpp), and the selection
// of each probe's best keys (a histogram per row, then the keys at or above
// its floor bin; the host keeps exactly the M largest). Integer
// arithmetic only, through index::code_score, so that every key equals the
// CPU's. Grid-stride loops, one entry (or subject) per thread, which reads
// its codes once and compares them with every probe of the batch (the
// probes' codes are the same for every thread). Included by
// search_kernels.cu, and by the tests' simulated devices, which run these
// kernels on the host.
#pragma once

#include <cstddef>
#include <cstdint>

#include "index/first_stage_code.hpp"
#include "index/shortlist_key.hpp"
#include "mcc/packed_sets.hpp"
#include "search_kernels.h"  // kSelectBins

namespace fpm::kernels {

namespace {

// keys[p * n + i] = shortlist_key(code_score(probe p, entry e_begin + i),
// entry_id[e_begin + i]) for the probes' and entries' codes (code, code_aux).
__global__ void code_keys_kernel(mcc::PackedSetsView probes, mcc::PackedSetsView entries, const std::uint32_t* entry_id,
                                 std::uint32_t e_begin, std::uint32_t n, std::uint64_t* keys) {
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n;
       i += std::size_t(gridDim.x) * blockDim.x) {
    const std::size_t e = e_begin + i;
    const std::uint64_t* code = entries.code + e * index::kCodeWords;
    const std::uint32_t aux = entries.code_aux[e], id = entry_id[e];
    for (std::uint32_t p = 0; p < probes.count; ++p)
      keys[std::size_t(p) * n + i] = index::shortlist_key(
          index::code_score(probes.code + std::size_t(p) * index::kCodeWords, probes.code_aux[p], code, aux), id);
  }
}

// Per (probe p, subject s_begin + j), j < n: keys[p * n + j] =
// shortlist_key(sum, subject_rank[s_begin + j]), the sum over the probe's
// fingers f (sets finger_offset[p] .. finger_offset[p+1] of `fingers`) of
// f's best code score among the subject's entries (subject_offset[s] ..
// subject_offset[s+1] of `entries`) with a compatible position, 0 when none.
// At most 640 fingers of at most 2^16: the sum fits 32 bits.
__global__ void subject_code_keys_kernel(mcc::PackedSetsView fingers, const std::uint32_t* finger_offset,
                                         std::uint32_t probes, mcc::PackedSetsView entries,
                                         const std::uint32_t* subject_offset, const std::uint32_t* subject_rank,
                                         std::uint32_t s_begin, std::uint32_t n, std::uint64_t* keys) {
  for (std::size_t j = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; j < n;
       j += std::size_t(gridDim.x) * blockDim.x) {
    const std::size_t s = s_begin + j;
    const std::uint32_t e0 = subject_offset[s], e1 = subject_offset[s + 1], rank = subject_rank[s];
    for (std::uint32_t p = 0; p < probes; ++p) {
      std::uint32_t sum = 0;
      for (std::uint32_t f = finger_offset[p]; f < finger_offset[p + 1]; ++f) {
        const std::uint8_t fpos = fingers.position[f];
        const std::uint64_t* fcode = fingers.code + std::size_t(f) * index::kCodeWords;
        std::uint32_t best = 0;
        for (std::uint32_t e = e0; e < e1; ++e) {
          const std::uint8_t epos = entries.position[e];
          if (fpos != 0 && epos != 0 && fpos != epos) continue;
          const std::uint32_t v = index::code_score(fcode, fingers.code_aux[f],
                                                    entries.code + std::size_t(e) * index::kCodeWords,
                                                    entries.code_aux[e]);
          best = v > best ? v : best;
        }
        sum += best;
      }
      keys[std::size_t(p) * n + j] = index::shortlist_key(sum, rank);
    }
  }
}

// The shortlist's selection per tile without a sort: a histogram of each
// row's stage-1 scores (bins of 2^shift scores, the top bin open-ended),
// from which the host finds each row's floor bin (the highest bin with at
// least M keys at or above it), then the keys at or above the floor
// compacted per row (in no particular order: the host's Shortlist keeps the
// M largest, which are among them, since bins grow with keys).
FPM_HD_INLINE std::uint32_t select_bin(std::uint64_t key, std::uint32_t shift) {
  const std::uint32_t b = static_cast<std::uint32_t>(key >> 32) >> shift;
  return b < kSelectBins - 1 ? b : kSelectBins - 1;
}

__global__ void zero_kernel(std::uint32_t* p, std::size_t n) {
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n;
       i += std::size_t(gridDim.x) * blockDim.x)
    p[i] = 0;
}

// hist[r * kSelectBins + b] += the keys of row r (of `rows` rows of n) in bin b.
__global__ void histogram_kernel(const std::uint64_t* keys, std::uint32_t rows, std::uint32_t n, std::uint32_t shift,
                                 std::uint32_t* hist) {
  const std::size_t total = std::size_t(rows) * n;
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < total;
       i += std::size_t(gridDim.x) * blockDim.x)
    atomicAdd(hist + (i / n) * kSelectBins + select_bin(keys[i], shift), 1u);
}

// The keys of row r in bins >= floor_bin[r], appended to out[r * n ...],
// their number counted in count[r] (zero before).
__global__ void select_kernel(const std::uint64_t* keys, std::uint32_t rows, std::uint32_t n, std::uint32_t shift,
                              const std::uint32_t* floor_bin, std::uint32_t* count, std::uint64_t* out) {
  const std::size_t total = std::size_t(rows) * n;
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < total;
       i += std::size_t(gridDim.x) * blockDim.x) {
    const std::size_t r = i / n;
    const std::uint64_t key = keys[i];
    if (select_bin(key, shift) >= floor_bin[r]) out[r * n + atomicAdd(count + r, 1u)] = key;
  }
}

}  // namespace

}  // namespace fpm::kernels
