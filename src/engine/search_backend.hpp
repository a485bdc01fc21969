// The interface between fpm::Engine and the backends that search a gallery:
// the CPU (src/cpu/cpu_search.hpp) and CUDA (src/cuda/). A backend returns
// the top-K hits per probe; every backend returns the same hits (same
// scores, same order) for the same gallery, because every score comes from
// the same specification (src/mcc/score.hpp) and ties are broken by key.
// Engine owns the gallery, the locking and the Auto fallback between
// backends; a backend owns only what it needs to search (the CPU backend
// nothing, the CUDA one the device copy of the gallery).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/top_k.hpp"
#include "mcc/layout.hpp"

namespace fpm::detail {

// The engine's subject index: live entries grouped by subject, subjects in
// name order (their rank breaks ties between equal subject scores).
struct SubjectIndex {
  std::vector<std::uint32_t> subject_list;    // subject ids, by name
  std::vector<std::size_t> subject_offset;    // into subject_entries, per subject_list position (+1)
  std::vector<std::uint32_t> subject_entries; // entry indices
};

struct FingerView {
  mcc::CylinderSetView view;
  std::uint8_t position;  // 0 = unknown: compared with every entry of the subject
};

// Whether a probe finger and an entry may be the same finger.
inline bool positions_compatible(std::uint8_t probe, std::uint8_t entry) {
  return probe == 0 || entry == 0 || probe == entry;
}

class SearchBackend {
 public:
  virtual ~SearchBackend() = default;
  // Per template: hits keyed by gallery entry index; scores below
  // min_score are left out. Adds the full comparisons made to *comparisons.
  // shortlist == 0: every live entry gets the full matcher. shortlist = M
  // >= 1 (two-stage search, docs/two-stage.md): stage 1 scores every live
  // entry by its first-stage code (index/first_stage_code.hpp), keeps the
  // M best by (stage-1 score, then smaller index), and only those get the
  // full matcher. The engine passes 0 < M < live entries, M >= k.
  virtual std::vector<TopK> search(const std::vector<mcc::CylinderSetView>& probes, std::size_t k, float min_score,
                                   std::size_t shortlist, std::uint64_t* comparisons) = 0;
  // Per subject: a probe's score against a subject is the mean over the
  // probe's fingers of each finger's best score against the subject's
  // compatible entries (0 when none); hits keyed by position in
  // SubjectIndex::subject_list. shortlist = M >= 1: stage 1 scores every
  // subject by the sum over the probe's fingers of each finger's best
  // stage-1 score among the subject's compatible entries (0 when none),
  // keeps the M best subjects by (that sum, then subject rank), and only
  // their entries get the full matcher. The engine passes 0 < M < subjects.
  virtual std::vector<TopK> search_subjects(const std::vector<std::vector<FingerView>>& probes, std::size_t k,
                                            float min_score, std::size_t shortlist, std::uint64_t* comparisons) = 0;
};

}  // namespace fpm::detail
