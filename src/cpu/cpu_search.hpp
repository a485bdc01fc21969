// The CPU backend: searches the gallery in host memory on the engine's
// thread pool, each probe prepared once per search (cpu/prepared_probe.hpp),
// gallery tiles spread over the threads, per-tile top-K lists merged. A
// two-stage search ranks the gallery by first-stage codes the same way
// (cpu/first_stage_scores.hpp) and re-ranks the shortlists with the full
// matcher.
#pragma once

#include "engine/search_backend.hpp"
#include "fpmatch/engine.hpp"
#include "fpmatch/matcher.hpp"
#include "gallery/gallery_data.hpp"

namespace fpm::detail {

class ThreadPool;

class CpuSearch final : public SearchBackend {
 public:
  // Reads `gallery` and `index` in place: both must stay unchanged while
  // the backend searches (the engine's lock sees to it). `level`: resolved
  // (not Auto) and supported. `threads`: the pool's workers and the caller.
  // `filter` (may be null): SearchOptions::shortlist_filter, applied to the
  // shortlists of two-stage searches between the stages.
  CpuSearch(const Gallery::Data& gallery, const SubjectIndex& index, SimdLevel level, ThreadPool& pool,
            unsigned threads, const ShortlistFilter* filter = nullptr)
      : g_(gallery), index_(index), level_(level), pool_(pool), threads_(threads), filter_(filter) {}

  std::vector<TopK> search(const std::vector<mcc::CylinderSetView>& probes, std::size_t k, float min_score,
                           std::size_t shortlist, std::uint64_t* comparisons) override;
  std::vector<TopK> search_subjects(const std::vector<std::vector<FingerView>>& probes, std::size_t k,
                                    float min_score, std::size_t shortlist, std::uint64_t* comparisons) override;

 private:
  const Gallery::Data& g_;
  const SubjectIndex& index_;
  SimdLevel level_;
  ThreadPool& pool_;
  unsigned threads_;
  const ShortlistFilter* filter_;
};

// One Matcher (scratch memory) per thread and SIMD level.
Matcher& thread_matcher(SimdLevel level);

}  // namespace fpm::detail
