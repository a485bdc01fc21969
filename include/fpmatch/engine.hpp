// fpmatch: the 1:N search engine.
//
// An Engine owns a gallery and answers batches of searches on a backend:
// Backend::Cpu (all cores, SIMD), Backend::Cuda (the gallery held in GPU
// memory, docs/cuda.md), or Backend::Auto (CUDA when built and a device is
// usable, otherwise the CPU). Both give the same candidates and scores. Searches may run concurrently from several threads;
// add() and remove() wait for running searches and block new ones while they
// change the gallery.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fpmatch/export.h"
#include "fpmatch/gallery.hpp"
#include "fpmatch/matcher.hpp"

namespace fpm {

enum class Backend : std::uint8_t { Auto = 0, Cpu = 1, Cuda = 2 };
FPM_API const char* backend_name(Backend b) noexcept;  // "auto", "cpu", "cuda"
FPM_API Backend parse_backend_name(const std::string& name);  // throws InvalidArgument

// The most CPU threads an engine takes (EngineOptions::threads, C
// fpm_engine_options.threads, CLI --threads): more is refused up front as
// InvalidArgument. Threads the system cannot start make the constructor
// throw OutOfMemory (no engine is made), never abort the process.
constexpr int kMaxEngineThreads = 1024;

struct EngineOptions {
  Backend backend = Backend::Auto;
  int threads = 0;                  // CPU worker threads; 0 = all cores; at most kMaxEngineThreads
  SimdLevel simd = SimdLevel::Auto; // CPU matcher
  std::vector<int> devices;         // CUDA devices; empty = device 0. The gallery is split over them by
                                    // subject, in proportion to their free memory (docs/cuda.md).
  ProgressFn progress;              // gallery upload progress (bytes done, total; ends with done == total), CUDA only
};

// One entry of a stage-1 shortlist, as SearchOptions::shortlist_filter
// sees it.
struct ShortlistEntry {
  std::uint32_t score = 0;  // stage-1 score (per subject: summed over the probe's fingers)
  // The gallery entry; per subject, the subject's rank among the gallery's
  // subjects with a live entry, in subject-id (byte) order.
  std::size_t index = 0;
};
using ShortlistFilter = std::function<void(std::vector<std::vector<ShortlistEntry>>& lists)>;

struct SearchOptions {
  std::size_t top_k = 10;  // candidates per probe (at most); 0 is refused
  float min_score = 0.0f;  // candidates must score at least this; NaN is refused
  // Two-stage search (docs/two-stage.md). With both 0 (the default) the
  // search is exhaustive: every live entry gets the full matcher. Otherwise
  // stage 1 ranks every live entry (per-subject search: every subject) by
  // its first-stage code, and only the best M of them, the shortlist, get
  // the full matcher: M = shortlist, or ceil(shortlist_fraction * N) with
  // N the live entries (subjects); M is raised to top_k when smaller. An M
  // of N or more shortlists everything: the exhaustive answer. Setting
  // both, a fraction outside [0, 1] or NaN is refused (InvalidArgument).
  // Stage 1 misses mates the full matcher would find; docs/two-stage.md
  // has the measured share of mates kept against the fraction.
  std::size_t shortlist = 0;
  double shortlist_fraction = 0.0;
  // For engines that share one shortlist (a gallery split over several,
  // docs/scale-out.md): with a shortlist asked for, called once per search,
  // on the calling thread, between the stages, with every probe's stage-1
  // shortlist best first (score, then smaller index); it may shorten each
  // list, keeping a prefix (anything else is refused: InvalidArgument), and
  // stage 2 scores what is left. With a filter the engine runs stage 1 even
  // when M covers the whole gallery (M is then the live entries / subjects)
  // and calls the filter for every such search, an empty gallery or batch
  // included, so that the engines sharing it call it in step. Such searches
  // run on the CPU backend. Exceptions from the filter end the search.
  ShortlistFilter shortlist_filter;
};

// The shortlist M a two-stage search keeps of n live entries (per subject:
// n subjects): `shortlist`, or ceil(`shortlist_fraction` x n), raised to
// top_k; 0 for an exhaustive search, which includes an M of n or more (the
// same answer). Engines sharing one shortlist (docs/scale-out.md) compute
// the global M with it from the whole gallery's n.
FPM_API std::size_t shortlist_size(const SearchOptions& options, std::size_t n) noexcept;

// One gallery entry found for a probe.
struct Candidate {
  std::size_t index = 0;     // gallery entry
  std::string subject;
  std::uint8_t position = 0;
  float score = 0;
};

// One finger of a multi-finger probe.
struct FingerProbe {
  EncodedTemplate t;
  std::uint8_t position = 0;  // 0 = unknown: compared with every finger of a subject
};

// One subject found for a multi-finger probe.
struct SubjectCandidate {
  std::string subject;
  float score = 0;  // the fused score (see Engine::search_subjects)
  // Per probe finger: the best score among the subject's compatible entries
  // (0 when none) and that entry's index (SIZE_MAX when none).
  std::vector<float> finger_scores;
  std::vector<std::size_t> finger_entries;
};

class FPM_API Engine {
 public:
  // Takes over `gallery` (and, on CUDA, copies it to the devices). With
  // Backend::Cuda, throws fpm::Error(Unavailable) when CUDA is not built or
  // no listed device is usable, with the reason, and fpm::Error(OutOfMemory)
  // when the gallery does not fit the devices, naming the bytes needed and
  // free; Backend::Auto uses the CPU in both cases. A listed device that
  // fails (taken by another process, a fault, during construction or a
  // search) is left out by Backend::Auto, which goes on with the others
  // (re-uploading the gallery over them; a search that met the failure is
  // answered on the CPU) and moves to the CPU for good when none is left or
  // when add() makes the gallery outgrow the devices; Backend::Cuda reports
  // these as errors (docs/cuda.md).
  explicit Engine(Gallery gallery, const EngineOptions& options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Backend backend() const noexcept;  // the backend actually in use
  // Why a Backend::Auto engine does not use every listed device: devices it
  // left out (each with its error) and, when it runs on the CPU, why (CUDA
  // not built, no usable device, too little device memory, the last device
  // failed). Empty while every listed device serves, and when Backend::Cpu
  // was asked for.
  std::string fallback_reason() const;
  std::size_t threads() const noexcept;

  // Per-template search: for each probe, the best entries, highest score
  // first, equal scores by smaller entry index.
  std::vector<std::vector<Candidate>> search(const std::vector<EncodedTemplate>& probes,
                                             const SearchOptions& options = {}) const;

  // Per-subject search. A probe finger is compared with a subject's entry
  // when their positions match or either is 0 (unknown). Fusion rule: for
  // each probe finger, the best score among the subject's compatible
  // entries (0 when it has none); the subject's score is the mean of these
  // over the probe's fingers. Highest first, equal scores by subject id.
  std::vector<std::vector<SubjectCandidate>> search_subjects(const std::vector<std::vector<FingerProbe>>& probes,
                                                             const SearchOptions& options = {}) const;

  std::size_t add(const std::string& subject, std::uint8_t position, const EncodedTemplate& t);
  void remove(std::size_t index);
  std::size_t remove_subject(const std::string& subject);

  // Runs `f` with the gallery while no add/remove can happen.
  void with_gallery(const std::function<void(const Gallery&)>& f) const;
  // Number of template comparisons performed so far (all searches).
  std::uint64_t comparisons() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fpm
