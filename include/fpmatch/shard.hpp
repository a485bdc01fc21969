// fpmatch: a gallery split into shards, and the exact merge of the shards'
// answers (docs/scale-out.md).
//
// A split writes N ordinary gallery files, shard-<i>-of-<N>.fpg, each with
// a metadata file beside it (<shard>.fpg.shard). Shards hold whole
// subjects (a subject's fingers never straddle shards) and keep the source
// gallery's entry order, so a shard's tie-breaks (smaller entry index,
// subject id) agree with the source's: merging the shards' top-K lists by
// (score, global index) or (score, subject id) gives exactly the answer of
// one engine on the unsplit gallery. The library does no communication
// itself; fpmatch-mpi (docs/scale-out.md) moves the lists over MPI, and a
// host may use its own transport with the same merge functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fpmatch/engine.hpp"
#include "fpmatch/export.h"
#include "fpmatch/gallery.hpp"

namespace fpm {

// What a shard's metadata file records (docs/scale-out.md, "Shard files").
struct ShardInfo {
  std::string split_id;               // 32 hex digits, random per split: the same for all its shards
  std::uint32_t shard = 0;            // this shard, 0 .. shards - 1
  std::uint32_t shards = 0;           // shards of the split
  std::uint32_t source_crc = 0;       // the source gallery file's header CRC-32C (its identity)
  std::uint32_t shard_crc = 0;        // this shard file's header CRC-32C (binds the metadata to it)
  std::uint64_t source_entries = 0;   // entries of the source, removed ones included
  std::uint64_t source_live = 0;      // live entries of the source (all shards together)
  std::uint64_t source_subjects = 0;  // subjects of the source (all shards together)
  double weight = 1;                  // the relative share asked for this shard
  std::uint64_t entries = 0;          // entries of this shard (all live): global_index.size()
  std::uint64_t subjects = 0;         // subjects of this shard: subject_rank.size()
  // Per shard entry (in order): its entry index in the source gallery;
  // increasing, since a shard keeps the source's order.
  std::vector<std::uint64_t> global_index;
  // Per shard subject, in subject-id (byte) order: its rank in that order
  // among all the source's subjects; increasing.
  std::vector<std::uint64_t> subject_rank;
};

struct SplitOptions {
  std::size_t shards = 0;        // at least 1, at most 4096
  // Empty: equal shares of the live entries. Else one finite, positive
  // weight per shard: shard i gets about weights[i] / sum of the entries
  // (say, in proportion to the device memory of the rank that loads it).
  std::vector<double> weights;
  ProgressFn progress;           // (shards written, shards)
};

// "shard-<i>-of-<N>.fpg".
FPM_API std::string shard_file_name(std::uint32_t shard, std::uint32_t shards);
// The metadata file of a shard gallery file: the path with ".shard" added.
FPM_API std::string shard_info_path(const std::string& shard_gallery_path);

// Splits the gallery file `gallery_path` into `options.shards` shards in
// the folder `out_dir` (created if missing), each saved atomically with its
// metadata; returns the shard files in order. Subjects are assigned whole,
// largest first, each to the shard whose live entries divided by its weight
// are fewest (ties: the lower shard), so shares differ by at most one
// subject's entries from the asked ones. Removed entries are left out. A
// shard may be empty (more shards than subjects). Throws
// fpm::Error(InvalidArgument) for 0 or too many shards or bad weights,
// Error(Io) when a file cannot be written, and what Gallery::load throws
// for the source. Files already in `out_dir` under the shard names are
// replaced; other files are left alone.
FPM_API std::vector<std::string> split_gallery(const std::string& gallery_path, const std::string& out_dir,
                                               const SplitOptions& options);

// Reads and verifies the metadata of the shard gallery file `path` (its
// CRC, its structure, and that it belongs to `path`: the gallery file's
// header CRC is the one recorded). Error(Io) when a file cannot be read,
// Error(Corrupt) naming what is wrong otherwise.
FPM_API ShardInfo read_shard_info(const std::string& path);

struct Shard {
  Gallery gallery;
  ShardInfo info;
};
// Gallery::load of `path`, and read_shard_info, cross-checked (the entry
// and subject counts the metadata lists are the gallery's).
FPM_API Shard load_shard(const std::string& path, const ProgressFn& progress = {});

// Checks that `shards` (shard i at position i) are the whole of one split:
// the same split id, source and shard count, numbered 0 .. N-1, counts that
// add up to the source's. Reads the fixed fields only (a summary with empty
// lists will do). Throws Error(InvalidArgument) naming the first shard that
// does not belong and why.
FPM_API void check_complete_split(const std::vector<ShardInfo>& shards);

// A shard's search answers with the source gallery's entry indices (the
// candidates' `index`, the subject candidates' `finger_entries`) in place
// of the shard's. Throws Error(InvalidArgument) for an index the shard
// does not have.
FPM_API void to_source_indices(const ShardInfo& shard, std::vector<Candidate>& candidates);
FPM_API void to_source_indices(const ShardInfo& shard, std::vector<SubjectCandidate>& candidates);

// The top `top_k` of several shards' answers to one probe (each best first,
// with source indices): highest score first, equal scores by smaller entry
// index (per template) or subject id (per subject), as Engine orders them.
FPM_API std::vector<Candidate> merge_shard_candidates(const std::vector<std::vector<Candidate>>& lists,
                                                      std::size_t top_k);
FPM_API std::vector<SubjectCandidate> merge_shard_subjects(const std::vector<std::vector<SubjectCandidate>>& lists,
                                                           std::size_t top_k);

}  // namespace fpm
