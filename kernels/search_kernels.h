// Host-side declarations of the search kernels (no CUDA types), so that
// src/cuda can launch them from plain C++. All pointers are device pointers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "entry_list.hpp"
#include "mcc/packed_sets.hpp"

namespace fpm::mcc {
struct ScoreTables;
}

namespace fpm::kernels {

// Bytes of dynamic shared memory the compacted score kernel needs for these
// sizes.
std::size_t score_shared_bytes(int max_probe_cylinders, int max_entry_cylinders);

// The summaries (mcc/summary.hpp) of every cylinder c of the probe batch,
// c from probes.offset[0] to probes.offset[probes.count]: its layer-count
// planes at probe_planes[c * mcc::kPlaneWords ...] (mcc::kPlaneWords
// words), its packed counts at probe_counts[c]. Run once per probe batch,
// before the score launches that read them. Returns cudaError_t.
int launch_summarise_probes(const mcc::PackedSetsView& probes, std::uint64_t* probe_planes,
                            std::uint32_t* probe_counts, void* stream);

// scores[p * entry_count + e] = score of probe p against entry e_begin + e
// (with a list: entry list.entry[e], kernels/entry_list.hpp), or -1 when
// `check_positions` and their finger positions are incompatible (neither is
// 0 and they differ) or when the list's row mask leaves row p out. One block
// per entry. probe_planes and probe_counts: the probes' summaries
// (launch_summarise_probes on this batch). Returns cudaError_t.
int launch_score(const mcc::PackedSetsView& probes, const std::uint64_t* probe_planes,
                 const std::uint32_t* probe_counts, const mcc::PackedSetsView& entries, std::uint32_t e_begin,
                 std::uint32_t entry_count, bool check_positions, const mcc::ScoreTables* tables, float* scores,
                 void* stream, const EntryList& list = EntryList());

// keys[p * n + i] = mcc::sort_key(score, id[i]) for score >= min_score, else
// 0 (sorted descending: larger scores first, then smaller ids).
int launch_make_keys(const float* scores, std::uint32_t probes, std::uint32_t n, const std::uint32_t* id,
                     float min_score, std::uint64_t* keys, void* stream);

// Per (probe, subject): fused[p * subjects + s] = mean over the probe's
// fingers f (rows finger_offset[p] .. finger_offset[p+1] of `scores`) of the
// best score >= 0 among the subject's entries (columns subject_offset[s] -
// base .. subject_offset[s+1] - base of the tile), 0 when none; -1 (no
// candidate) where subject_mask is given and bit p of subject_mask[s] is 0.
int launch_fuse_subjects(const float* scores, std::uint32_t entry_count, const std::uint32_t* finger_offset,
                         std::uint32_t probes, const std::uint32_t* subject_offset, std::uint32_t base,
                         std::uint32_t subjects, float* fused, void* stream,
                         const std::uint64_t* subject_mask = nullptr);

// Stage 1 of a two-stage search (first_stage_kernels.cuh): keys[p * n + i]
// = index::shortlist_key(index::code_score(probe p, entry e_begin + i),
// entry_id[e_begin + i]) for the codes of `probes` and `entries`
// (PackedSetsView::code, code_aux: device arrays).
int launch_code_keys(const mcc::PackedSetsView& probes, const mcc::PackedSetsView& entries,
                     const std::uint32_t* entry_id, std::uint32_t e_begin, std::uint32_t n, std::uint64_t* keys,
                     void* stream);

// Per subject: keys[p * n + j] = index::shortlist_key(sum, subject_rank[s_begin
// + j]), the sum over probe p's fingers (sets finger_offset[p] ..
// finger_offset[p+1] of `fingers`, with codes and positions) of each
// finger's best code score among the compatible entries of subject s_begin +
// j (entries subject_offset[s] .. subject_offset[s+1] of `entries`), 0 when
// none.
int launch_subject_code_keys(const mcc::PackedSetsView& fingers, const std::uint32_t* finger_offset,
                             std::uint32_t probes, const mcc::PackedSetsView& entries,
                             const std::uint32_t* subject_offset, const std::uint32_t* subject_rank,
                             std::uint32_t s_begin, std::uint32_t n, std::uint64_t* keys, void* stream);

// The selection of stage 1's shortlists per tile (first_stage_kernels.cuh):
// bins of the histograms, and the launches. launch_select_histogram: zeroes
// hist[0, rows * kSelectBins) and count[0, rows), then counts each row's
// keys (rows of n) per bin (bins of 2^shift stage-1 scores, the last bin
// open-ended). launch_select_keys: the keys of row r in bins >= floor_bin[r]
// into out[r * n, ...), in no particular order, count[r] of them.
constexpr std::uint32_t kSelectBins = 4096;
int launch_select_histogram(const std::uint64_t* keys, std::uint32_t rows, std::uint32_t n, std::uint32_t shift,
                            std::uint32_t* hist, std::uint32_t* count, void* stream);
int launch_select_keys(const std::uint64_t* keys, std::uint32_t rows, std::uint32_t n, std::uint32_t shift,
                       const std::uint32_t* floor_bin, std::uint32_t* count, std::uint64_t* out, void* stream);

// Sorts `segments` segments of `n` keys each, descending, into keys_out.
// temp == nullptr: *temp_bytes receives the size needed.
int segmented_sort_desc(void* temp, std::size_t* temp_bytes, const std::uint64_t* keys_in, std::uint64_t* keys_out,
                        std::uint32_t segments, std::uint32_t n, const std::uint32_t* segment_offsets, void* stream);

}  // namespace fpm::kernels
