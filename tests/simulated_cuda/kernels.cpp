// The launches of kernels/search_kernels.h and kernels/selftest.h on
// simulated devices. Each launch is queued on its stream and, when it runs,
// first checks that every array the kernel would read or write lies inside
// the device's allocations (an illegal address on a device), then runs:
//  * the rank kernels (sort keys, per-subject fusion): the library's own
//    kernels, rank_kernels.cuh, thread by thread on the host;
//  * the probe summaries: the library's summary kernel (score_kernels.cuh),
//    thread by thread on the host;
//  * scores: the CPU matcher, i.e. the per-pair code the score kernels share
//    (they are checked against it on CPU threads by
//    tests/test_kernel_emulation.cpp), or the score kernel itself on CPU
//    threads when fpm_simcuda::use_score_kernel(true);
//  * stage 1 of two-stage searches: the library's own first-stage kernels
//    (first_stage_kernels.cuh), thread by thread on the host;
//  * the segmented sort: each segment sorted descending, as CUB does.
// Score launches with an entry list (two-stage searches) check the list's
// entries and row masks too, and score only the rows the masks name.
#include "cuda_emulation.hpp"  // first: the CUDA built-ins for the kernels
#include "first_stage_kernels.cuh"
#include "rank_kernels.cuh"
#include "score_kernels.cuh"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <vector>

#include "access.hpp"
#include "fpmatch/matcher.hpp"
#include "mcc/tables.hpp"
#include "search_kernels.h"
#include "selftest.h"
#include "simulated_cuda.hpp"

namespace fpm::kernels {

namespace {

// Emulated launches share globals (cuda_emulation.hpp).
std::mutex emulation;

using fpm_simcuda::device_range;

// Reads offset[begin .. end] of `s` and checks the per-set and per-cylinder
// arrays of sets [begin, end) and that every set fits max_cylinders (the
// score kernels size their shared memory by it).
bool sets_readable(int dev, const mcc::PackedSetsView& s, std::uint32_t begin, std::uint32_t end, const char* what) {
  if (!device_range(dev, s.offset + begin, (std::size_t(end) - begin + 1) * 8, what) ||
      !device_range(dev, s.hash + begin, (std::size_t(end) - begin) * 8, what) ||
      !device_range(dev, s.position + begin, std::size_t(end) - begin, what))
    return false;
  const std::uint64_t c0 = s.offset[begin], c1 = s.offset[end];
  for (std::uint32_t i = begin; i < end; ++i)
    if (s.offset[i + 1] < s.offset[i] || s.offset[i + 1] - s.offset[i] > std::uint64_t(s.max_cylinders) ||
        s.offset[i + 1] - s.offset[i] > std::uint64_t(mcc::kMaxCylinders)) {
      std::fprintf(stderr, "simulated CUDA: %s: set %u has more cylinders than max_cylinders\n", what, i);
      return false;
    }
  const std::size_t n = c1 - c0;
  // The score kernels read cylinder bits in 16-byte loads (mcc::and_count
  // on a device): every set's bits must be 16-byte aligned, which holds
  // when the array's start is (a cylinder is 192 bytes).
  if (reinterpret_cast<std::uintptr_t>(s.bits) % 16 != 0) {
    std::fprintf(stderr, "simulated CUDA: %s: cylinder bits not 16-byte aligned\n", what);
    return false;
  }
  return device_range(dev, s.bits + c0 * mcc::kCylinderWords, n * mcc::kCylinderWords * 8, what) &&
         device_range(dev, s.valid + c0 * mcc::kValidityWords, n * mcc::kValidityWords * 8, what) &&
         device_range(dev, s.x + c0, n * 4, what) && device_range(dev, s.y + c0, n * 4, what) &&
         device_range(dev, s.theta + c0, n * 4, what);
}

cudaError_t illegal() { return cudaErrorIllegalAddress; }

// The first-stage codes of sets [begin, end) of `s` (and their positions)
// lie on the device.
bool codes_readable(int dev, const mcc::PackedSetsView& s, std::uint32_t begin, std::uint32_t end, const char* what) {
  const std::size_t n = std::size_t(end) - begin;
  return device_range(dev, s.code + std::size_t(begin) * index::kCodeWords, n * index::kCodeWords * 8, what) &&
         device_range(dev, s.code_aux + begin, n * 4, what) && device_range(dev, s.position + begin, n, what);
}

// A score launch's entry list: its entries and row masks on the device,
// each entry inside the device gallery's sets.
bool list_readable(int dev, const EntryList& list, const mcc::PackedSetsView& entries, std::uint32_t n,
                   std::uint32_t rows) {
  if (list.entry == nullptr) return list.rows == nullptr;
  if (!device_range(dev, list.entry, std::size_t(n) * 4, "score kernel: entry list")) return false;
  if (list.rows != nullptr &&
      (list.row_words * 64 < rows ||
       !device_range(dev, list.rows, std::size_t(n) * list.row_words * 8, "score kernel: row masks"))) {
    std::fprintf(stderr, "simulated CUDA: score kernel: row masks outside their array\n");
    return false;
  }
  for (std::uint32_t i = 0; i < n; ++i)
    if (list.entry[i] >= entries.count) {
      std::fprintf(stderr, "simulated CUDA: score kernel: list entry %u is not on the device\n", list.entry[i]);
      return false;
    }
  return true;
}

// Checks that the probe summaries a compacted score launch reads lie on the
// device and are those of this probe batch: a search that launched no
// summary kernel after uploading the batch (or launched it on another
// stream, or on an earlier batch) would score against stale summaries on a
// device, which no illegal address reveals.
bool summaries_current(int dev, const mcc::PackedSetsView& probes, const std::uint64_t* planes,
                       const std::uint32_t* counts) {
  const std::uint64_t c0 = probes.offset[0], c1 = probes.offset[probes.count];
  if (!device_range(dev, planes + c0 * mcc::kPlaneWords, (c1 - c0) * mcc::kPlaneWords * 8,
                    "score kernel: probe planes") ||
      !device_range(dev, counts + c0, (c1 - c0) * 4, "score kernel: probe counts"))
    return false;
  for (std::uint64_t c = c0; c < c1; ++c) {
    std::uint64_t want[mcc::kPlaneWords];
    std::uint32_t want_counts = 0;
    summarise_cylinder(probes.bits + c * mcc::kCylinderWords, probes.valid + c * mcc::kValidityWords, want,
                       &want_counts);
    if (counts[c] != want_counts || std::memcmp(planes + c * mcc::kPlaneWords, want, sizeof want) != 0) {
      std::fprintf(stderr, "simulated CUDA: score kernel: the summary of probe cylinder %llu is not this batch's\n",
                   static_cast<unsigned long long>(c));
      return false;
    }
  }
  return true;
}

}  // namespace

std::size_t score_shared_bytes(int max_probe_cylinders, int max_entry_cylinders) {
  return CompactedLayout(max_probe_cylinders, max_entry_cylinders).total;
}

int launch_summarise_probes(const mcc::PackedSetsView& probes, std::uint64_t* probe_planes,
                            std::uint32_t* probe_counts, void* stream) {
  if (probes.count == 0) return 0;
  return fpm_simcuda::launch(static_cast<cudaStream_t>(stream), [=](int dev) {
    if (!sets_readable(dev, probes, 0, probes.count, "summary kernel: probes")) return illegal();
    const std::uint64_t c0 = probes.offset[0], c1 = probes.offset[probes.count];
    if (!device_range(dev, probe_planes + c0 * mcc::kPlaneWords, (c1 - c0) * mcc::kPlaneWords * 8,
                      "summary kernel: planes") ||
        !device_range(dev, probe_counts + c0, (c1 - c0) * 4, "summary kernel: counts"))
      return illegal();
    std::lock_guard<std::mutex> g(emulation);
    fpm_emu::launch_sequential(summary_kernel, rank_grid(std::size_t(probes.count) * probes.max_cylinders), 256,
                               probes, probe_planes, probe_counts);
    return cudaSuccess;
  });
}

int launch_score(const mcc::PackedSetsView& probes, const std::uint64_t* probe_planes,
                 const std::uint32_t* probe_counts, const mcc::PackedSetsView& entries, std::uint32_t e_begin,
                 std::uint32_t entry_count, bool check_positions, const mcc::ScoreTables* tables, float* scores,
                 void* stream, const EntryList& list) {
  if (entry_count == 0 || probes.count == 0) return 0;
  const bool by_kernel = fpm_simcuda::score_kernel_used();
  // The kernel the device launcher picks (FPM_CUDA_KERNEL=maxima: the
  // maxima kernel, which reads no summaries).
  const bool maxima = use_maxima_kernel();
  return fpm_simcuda::launch(static_cast<cudaStream_t>(stream), [=](int dev) {
    if (!list_readable(dev, list, entries, entry_count, probes.count)) return illegal();
    const bool listed = list.entry != nullptr;
    if (!sets_readable(dev, probes, 0, probes.count, "score kernel: probes") ||
        (listed ? !sets_readable(dev, entries, 0, entries.count, "score kernel: entries")
                : !sets_readable(dev, entries, e_begin, e_begin + entry_count, "score kernel: entries")) ||
        !device_range(dev, tables, sizeof(mcc::ScoreTables), "score kernel: tables") ||
        !device_range(dev, scores, std::size_t(probes.count) * entry_count * 4, "score kernel: scores"))
      return illegal();
    if (!maxima && !summaries_current(dev, probes, probe_planes, probe_counts)) return illegal();
    if (by_kernel) {
      std::lock_guard<std::mutex> g(emulation);
      if (maxima)
        fpm_emu::launch(score_kernel_maxima, entry_count, kThreads,
                        MaximaLayout(probes.max_cylinders, entries.max_cylinders).total, probes, entries, e_begin,
                        entry_count, check_positions, tables, scores, list);
      else
        fpm_emu::launch(score_kernel_compacted, entry_count, kThreads,
                        score_shared_bytes(probes.max_cylinders, entries.max_cylinders), probes,
                        Summaries{probe_planes, probe_counts}, entries, e_begin, entry_count, check_positions, tables,
                        scores, list);
      return cudaSuccess;
    }
    fpm::Matcher matcher;
    for (std::uint32_t p = 0; p < probes.count; ++p) {
      const mcc::CylinderSetView a = probes.set(p);
      for (std::uint32_t e = 0; e < entry_count; ++e) {
        const std::uint32_t ge = list.at(e, e_begin);
        const std::uint8_t pp = probes.position[p], gp = entries.position[ge];
        float s = -1.0f;
        if (!(check_positions && pp != 0 && gp != 0 && pp != gp) && list.scores(e, p))
          s = fpm::detail::Access::match(matcher, a, entries.set(ge));
        scores[std::size_t(p) * entry_count + e] = s;
      }
    }
    return cudaSuccess;
  });
}

int launch_make_keys(const float* scores, std::uint32_t probes, std::uint32_t n, const std::uint32_t* id,
                     float min_score, std::uint64_t* keys, void* stream) {
  return fpm_simcuda::launch(static_cast<cudaStream_t>(stream), [=](int dev) {
    const std::size_t total = std::size_t(probes) * n;
    if (!device_range(dev, scores, total * 4, "key kernel: scores") ||
        !device_range(dev, id, std::size_t(n) * 4, "key kernel: ids") ||
        !device_range(dev, keys, total * 8, "key kernel: keys"))
      return illegal();
    std::lock_guard<std::mutex> g(emulation);
    fpm_emu::launch_sequential(keys_kernel, rank_grid(total), 256, scores, probes, n, id, min_score, keys);
    return cudaSuccess;
  });
}

int launch_fuse_subjects(const float* scores, std::uint32_t entry_count, const std::uint32_t* finger_offset,
                         std::uint32_t probes, const std::uint32_t* subject_offset, std::uint32_t base,
                         std::uint32_t subjects, float* fused, void* stream, const std::uint64_t* subject_mask) {
  return fpm_simcuda::launch(static_cast<cudaStream_t>(stream), [=](int dev) {
    if (subject_mask != nullptr && !device_range(dev, subject_mask, std::size_t(subjects) * 8, "fusion kernel: mask"))
      return illegal();
    if (!device_range(dev, finger_offset, (std::size_t(probes) + 1) * 4, "fusion kernel: finger offsets") ||
        !device_range(dev, subject_offset, (std::size_t(subjects) + 1) * 4, "fusion kernel: subject offsets") ||
        !device_range(dev, scores, std::size_t(finger_offset[probes]) * entry_count * 4, "fusion kernel: scores") ||
        !device_range(dev, fused, std::size_t(probes) * subjects * 4, "fusion kernel: fused"))
      return illegal();
    for (std::uint32_t s = 0; s < subjects; ++s)
      if (subject_offset[s] < base || subject_offset[s + 1] < subject_offset[s] ||
          subject_offset[s + 1] - base > entry_count) {
        std::fprintf(stderr, "simulated CUDA: fusion kernel: subject %u lies outside the tile\n", s);
        return illegal();
      }
    std::lock_guard<std::mutex> g(emulation);
    fpm_emu::launch_sequential(fuse_kernel, rank_grid(std::size_t(probes) * subjects), 256, scores, entry_count,
                               finger_offset, probes, subject_offset, base, subjects, subject_mask, fused);
    return cudaSuccess;
  });
}

int launch_code_keys(const mcc::PackedSetsView& probes, const mcc::PackedSetsView& entries,
                     const std::uint32_t* entry_id, std::uint32_t e_begin, std::uint32_t n, std::uint64_t* keys,
                     void* stream) {
  if (n == 0 || probes.count == 0) return 0;
  return fpm_simcuda::launch(static_cast<cudaStream_t>(stream), [=](int dev) {
    if (std::size_t(e_begin) + n > entries.count) {
      std::fprintf(stderr, "simulated CUDA: stage-1 kernel: entries past the device gallery\n");
      return illegal();
    }
    if (!codes_readable(dev, probes, 0, probes.count, "stage-1 kernel: probe codes") ||
        !codes_readable(dev, entries, e_begin, e_begin + n, "stage-1 kernel: entry codes") ||
        !device_range(dev, entry_id + e_begin, std::size_t(n) * 4, "stage-1 kernel: ids") ||
        !device_range(dev, keys, std::size_t(probes.count) * n * 8, "stage-1 kernel: keys"))
      return illegal();
    std::lock_guard<std::mutex> g(emulation);
    fpm_emu::launch_sequential(code_keys_kernel, rank_grid(n), 256, probes, entries, entry_id, e_begin, n, keys);
    return cudaSuccess;
  });
}

int launch_subject_code_keys(const mcc::PackedSetsView& fingers, const std::uint32_t* finger_offset,
                             std::uint32_t probes, const mcc::PackedSetsView& entries,
                             const std::uint32_t* subject_offset, const std::uint32_t* subject_rank,
                             std::uint32_t s_begin, std::uint32_t n, std::uint64_t* keys, void* stream) {
  if (n == 0 || probes == 0) return 0;
  return fpm_simcuda::launch(static_cast<cudaStream_t>(stream), [=](int dev) {
    if (!device_range(dev, finger_offset, (std::size_t(probes) + 1) * 4, "stage-1 kernel: finger offsets") ||
        !device_range(dev, subject_offset + s_begin, (std::size_t(n) + 1) * 4, "stage-1 kernel: subject offsets") ||
        !device_range(dev, subject_rank + s_begin, std::size_t(n) * 4, "stage-1 kernel: subject ranks") ||
        !device_range(dev, keys, std::size_t(probes) * n * 8, "stage-1 kernel: keys"))
      return illegal();
    if (finger_offset[0] != 0 || finger_offset[probes] > fingers.count ||
        !codes_readable(dev, fingers, 0, finger_offset[probes], "stage-1 kernel: probe codes"))
      return illegal();
    for (std::uint32_t p = 0; p < probes; ++p)
      if (finger_offset[p + 1] < finger_offset[p]) return illegal();
    const std::uint32_t e0 = subject_offset[s_begin], e1 = subject_offset[s_begin + n];
    for (std::uint32_t j = 0; j < n; ++j)
      if (subject_offset[s_begin + j + 1] < subject_offset[s_begin + j]) return illegal();
    if (e1 > entries.count || !codes_readable(dev, entries, e0, e1, "stage-1 kernel: entry codes")) {
      std::fprintf(stderr, "simulated CUDA: stage-1 kernel: subjects' entries outside the device gallery\n");
      return illegal();
    }
    std::lock_guard<std::mutex> g(emulation);
    fpm_emu::launch_sequential(subject_code_keys_kernel, rank_grid(n), 256, fingers, finger_offset, probes, entries,
                               subject_offset, subject_rank, s_begin, n, keys);
    return cudaSuccess;
  });
}

int launch_select_histogram(const std::uint64_t* keys, std::uint32_t rows, std::uint32_t n, std::uint32_t shift,
                            std::uint32_t* hist, std::uint32_t* count, void* stream) {
  return fpm_simcuda::launch(static_cast<cudaStream_t>(stream), [=](int dev) {
    if (!device_range(dev, keys, std::size_t(rows) * n * 8, "selection histogram: keys") ||
        !device_range(dev, hist, std::size_t(rows) * kSelectBins * 4, "selection histogram: bins") ||
        !device_range(dev, count, std::size_t(rows) * 4, "selection histogram: counts"))
      return illegal();
    std::lock_guard<std::mutex> g(emulation);
    fpm_emu::launch_sequential(zero_kernel, rank_grid(std::size_t(rows) * kSelectBins), 256, hist,
                               std::size_t(rows) * kSelectBins);
    fpm_emu::launch_sequential(zero_kernel, 1, 256, count, std::size_t(rows));
    fpm_emu::launch_sequential(histogram_kernel, rank_grid(std::size_t(rows) * n), 256, keys, rows, n, shift, hist);
    return cudaSuccess;
  });
}

int launch_select_keys(const std::uint64_t* keys, std::uint32_t rows, std::uint32_t n, std::uint32_t shift,
                       const std::uint32_t* floor_bin, std::uint32_t* count, std::uint64_t* out, void* stream) {
  return fpm_simcuda::launch(static_cast<cudaStream_t>(stream), [=](int dev) {
    if (!device_range(dev, keys, std::size_t(rows) * n * 8, "selection: keys") ||
        !device_range(dev, floor_bin, std::size_t(rows) * 4, "selection: floor bins") ||
        !device_range(dev, count, std::size_t(rows) * 4, "selection: counts") ||
        !device_range(dev, out, std::size_t(rows) * n * 8, "selection: out"))
      return illegal();
    for (std::uint32_t r = 0; r < rows; ++r)
      if (count[r] != 0) {
        std::fprintf(stderr, "simulated CUDA: selection: count of row %u not zeroed\n", r);
        return illegal();
      }
    std::lock_guard<std::mutex> g(emulation);
    fpm_emu::launch_sequential(select_kernel, rank_grid(std::size_t(rows) * n), 256, keys, rows, n, shift, floor_bin,
                               count, out);
    return cudaSuccess;
  });
}

int segmented_sort_desc(void* temp, std::size_t* temp_bytes, const std::uint64_t* keys_in, std::uint64_t* keys_out,
                        std::uint32_t segments, std::uint32_t n, const std::uint32_t* segment_offsets, void* stream) {
  // Some workspace, as CUB asks for, so that its allocation is exercised.
  const std::size_t need = 256 + std::size_t(segments) * 16;
  if (temp == nullptr) {
    *temp_bytes = need;
    return 0;
  }
  if (*temp_bytes < need) return cudaErrorInvalidValue;
  return fpm_simcuda::launch(static_cast<cudaStream_t>(stream), [=](int dev) {
    const std::size_t total = std::size_t(segments) * n;
    if (!device_range(dev, temp, need, "sort: workspace") ||
        !device_range(dev, segment_offsets, (std::size_t(segments) + 1) * 4, "sort: offsets") ||
        !device_range(dev, keys_in, total * 8, "sort: keys in") ||
        !device_range(dev, keys_out, total * 8, "sort: keys out"))
      return illegal();
    for (std::uint32_t s = 0; s < segments; ++s) {
      const std::uint32_t b = segment_offsets[s], e = segment_offsets[s + 1];
      if (b > e || e > total) return illegal();
      std::copy(keys_in + b, keys_in + e, keys_out + b);
      std::sort(keys_out + b, keys_out + e, std::greater<std::uint64_t>());
    }
    return cudaSuccess;
  });
}

int launch_popcount_selftest(const std::uint32_t* in, std::uint32_t* out, int n) {
  if (n <= 0) return 0;
  return fpm_simcuda::launch(nullptr, [=](int dev) {
    if (!device_range(dev, in, std::size_t(n) * 4, "self test: in") ||
        !device_range(dev, out, std::size_t(n) * 4, "self test: out"))
      return illegal();
    for (int i = 0; i < n; ++i) out[i] = static_cast<std::uint32_t>(__builtin_popcount(in[i]));
    return cudaSuccess;
  });
}

}  // namespace fpm::kernels
