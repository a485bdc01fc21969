// 1:N search kernels: the score kernels (score_kernels.cuh, their phases in
// score_phases.cuh), sort keys and per-subject fusion (rank_kernels.cuh),
// the two-stage search's stage 1 (first_stage_kernels.cuh), the segmented
// sort, and their launches.
#include <cub/device/device_segmented_radix_sort.cuh>

#include "first_stage_kernels.cuh"
#include "rank_kernels.cuh"
#include "score_kernels.cuh"
#include "search_kernels.h"

namespace fpm::kernels {

std::size_t score_shared_bytes(int max_probe_cylinders, int max_entry_cylinders) {
  return CompactedLayout(max_probe_cylinders, max_entry_cylinders).total;
}

int launch_summarise_probes(const mcc::PackedSetsView& probes, std::uint64_t* probe_planes,
                            std::uint32_t* probe_counts, void* stream) {
  if (probes.count == 0) return 0;
  // Sized by the host's bound on the batch's cylinders (the offsets are on
  // the device); the loop runs to the last offset.
  const std::size_t bound = std::size_t(probes.count) * static_cast<std::size_t>(probes.max_cylinders);
  summary_kernel<<<rank_grid(bound), 256, 0, static_cast<cudaStream_t>(stream)>>>(probes, probe_planes,
                                                                                 probe_counts);
  return static_cast<int>(cudaGetLastError());
}

int launch_score(const mcc::PackedSetsView& probes, const std::uint64_t* probe_planes,
                 const std::uint32_t* probe_counts, const mcc::PackedSetsView& entries, std::uint32_t e_begin,
                 std::uint32_t entry_count, bool check_positions, const mcc::ScoreTables* tables, float* scores,
                 void* stream, const EntryList& list) {
  if (entry_count == 0 || probes.count == 0) return 0;
  // The compacted kernel needs more shared memory per block than the maxima
  // kernel (6 bytes per cell instead of 4, plus the entry's summaries; the
  // probes' are in global memory); where the device has too little for
  // these sets (e.g. 99 KB on sm_86 with 128-cylinder templates), the
  // maxima kernel runs: the same scores.
  int device = 0, limit = 0;
  cudaError_t e = cudaGetDevice(&device);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
  if (e != cudaSuccess) return static_cast<int>(e);
  const std::size_t compacted_smem = score_shared_bytes(probes.max_cylinders, entries.max_cylinders);
  const bool maxima = use_maxima_kernel() || compacted_smem > static_cast<std::size_t>(limit);
  const auto cuda_stream = static_cast<cudaStream_t>(stream);
  if (maxima) {
    const std::size_t smem = MaximaLayout(probes.max_cylinders, entries.max_cylinders).total;
    e = cudaFuncSetAttribute(score_kernel_maxima, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
    if (e != cudaSuccess) return static_cast<int>(e);
    score_kernel_maxima<<<entry_count, kThreads, smem, cuda_stream>>>(probes, entries, e_begin, entry_count,
                                                                      check_positions, tables, scores, list);
  } else {
    e = cudaFuncSetAttribute(score_kernel_compacted, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             static_cast<int>(compacted_smem));
    if (e != cudaSuccess) return static_cast<int>(e);
    const Summaries summaries = {probe_planes, probe_counts};
    score_kernel_compacted<<<entry_count, kThreads, compacted_smem, cuda_stream>>>(
        probes, summaries, entries, e_begin, entry_count, check_positions, tables, scores, list);
  }
  return static_cast<int>(cudaGetLastError());
}

int launch_make_keys(const float* scores, std::uint32_t probes, std::uint32_t n, const std::uint32_t* id,
                     float min_score, std::uint64_t* keys, void* stream) {
  keys_kernel<<<rank_grid(std::size_t(probes) * n), 256, 0, static_cast<cudaStream_t>(stream)>>>(scores, probes, n, id,
                                                                                                min_score, keys);
  return static_cast<int>(cudaGetLastError());
}

int launch_fuse_subjects(const float* scores, std::uint32_t entry_count, const std::uint32_t* finger_offset,
                         std::uint32_t probes, const std::uint32_t* subject_offset, std::uint32_t base,
                         std::uint32_t subjects, float* fused, void* stream, const std::uint64_t* subject_mask) {
  fuse_kernel<<<rank_grid(std::size_t(probes) * subjects), 256, 0, static_cast<cudaStream_t>(stream)>>>(
      scores, entry_count, finger_offset, probes, subject_offset, base, subjects, subject_mask, fused);
  return static_cast<int>(cudaGetLastError());
}

int launch_code_keys(const mcc::PackedSetsView& probes, const mcc::PackedSetsView& entries,
                     const std::uint32_t* entry_id, std::uint32_t e_begin, std::uint32_t n, std::uint64_t* keys,
                     void* stream) {
  if (n == 0 || probes.count == 0) return 0;
  code_keys_kernel<<<rank_grid(n), 256, 0, static_cast<cudaStream_t>(stream)>>>(probes, entries, entry_id, e_begin, n,
                                                                               keys);
  return static_cast<int>(cudaGetLastError());
}

int launch_subject_code_keys(const mcc::PackedSetsView& fingers, const std::uint32_t* finger_offset,
                             std::uint32_t probes, const mcc::PackedSetsView& entries,
                             const std::uint32_t* subject_offset, const std::uint32_t* subject_rank,
                             std::uint32_t s_begin, std::uint32_t n, std::uint64_t* keys, void* stream) {
  if (n == 0 || probes == 0) return 0;
  subject_code_keys_kernel<<<rank_grid(n), 256, 0, static_cast<cudaStream_t>(stream)>>>(
      fingers, finger_offset, probes, entries, subject_offset, subject_rank, s_begin, n, keys);
  return static_cast<int>(cudaGetLastError());
}

int launch_select_histogram(const std::uint64_t* keys, std::uint32_t rows, std::uint32_t n, std::uint32_t shift,
                            std::uint32_t* hist, std::uint32_t* count, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  zero_kernel<<<rank_grid(std::size_t(rows) * kSelectBins), 256, 0, s>>>(hist, std::size_t(rows) * kSelectBins);
  zero_kernel<<<1, 256, 0, s>>>(count, rows);
  histogram_kernel<<<rank_grid(std::size_t(rows) * n), 256, 0, s>>>(keys, rows, n, shift, hist);
  return static_cast<int>(cudaGetLastError());
}

int launch_select_keys(const std::uint64_t* keys, std::uint32_t rows, std::uint32_t n, std::uint32_t shift,
                       const std::uint32_t* floor_bin, std::uint32_t* count, std::uint64_t* out, void* stream) {
  select_kernel<<<rank_grid(std::size_t(rows) * n), 256, 0, static_cast<cudaStream_t>(stream)>>>(keys, rows, n, shift,
                                                                                                floor_bin, count, out);
  return static_cast<int>(cudaGetLastError());
}

int segmented_sort_desc(void* temp, std::size_t* temp_bytes, const std::uint64_t* keys_in, std::uint64_t* keys_out,
                        std::uint32_t segments, std::uint32_t n, const std::uint32_t* segment_offsets, void* stream) {
  return static_cast<int>(cub::DeviceSegmentedRadixSort::SortKeysDescending(
      temp, *temp_bytes, keys_in, keys_out, static_cast<int>(std::size_t(segments) * n), static_cast<int>(segments),
      segment_offsets, segment_offsets + 1, 0, 64, static_cast<cudaStream_t>(stream)));
}

}  // namespace fpm::kernels
