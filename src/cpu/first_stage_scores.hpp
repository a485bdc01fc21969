// Stage 1 of the two-stage search on the CPU: first-stage scores of one
// probe code against a run of gallery codes, per SIMD level (the same
// integers as index::code_score on every level: popcounts are exact), and
// the shortlist's selection.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "fpmatch/matcher.hpp"
#include "index/first_stage_code.hpp"
#include "index/shortlist_key.hpp"

namespace fpm::cpu {

// out[i] = index::code_score(probe, probe_aux, codes + i * kCodeWords,
// aux[i]) for i in [0, n). `level`: resolved and supported.
void first_stage_scores(SimdLevel level, const std::uint64_t* probe, std::uint32_t probe_aux,
                        const std::uint64_t* codes, const std::uint32_t* aux, std::size_t n, std::uint32_t* out);

// A probe code prepared once for all the gallery runs it meets: its slots'
// signature words split and masked (what every vector call needed to redo
// per call, and the per-subject search calls once per entry). `code` is
// borrowed: it must outlive the probe.
struct FirstStageProbe {
  const std::uint64_t* code = nullptr;
  std::uint32_t aux = 0;
  std::uint32_t slots = 0;  // min(aux, kCodeCylinders)
  std::uint64_t w0[index::kCodeCylinders] = {};
  std::uint64_t w1[index::kCodeCylinders] = {};
};
FirstStageProbe prepare_first_stage_probe(const std::uint64_t* probe, std::uint32_t probe_aux);

// The same scores as above for a prepared probe.
void first_stage_scores(SimdLevel level, const FirstStageProbe& probe, const std::uint64_t* codes,
                        const std::uint32_t* aux, std::size_t n, std::uint32_t* out);

// A stage-1 candidate as one sortable key (index/shortlist_key.hpp, shared
// with the device): a larger key is a higher score, then a smaller index.
using index::shortlist_index;
using index::shortlist_key;

// The m largest keys offered (a min-heap of the kept ones).
class Shortlist {
 public:
  explicit Shortlist(std::size_t m = 0) : m_(m) { keys_.reserve(m); }
  void offer(std::uint64_t key) {
    if (keys_.size() < m_) {
      keys_.push_back(key);
      std::push_heap(keys_.begin(), keys_.end(), std::greater<>());
    } else if (m_ > 0 && key > keys_.front()) {
      std::pop_heap(keys_.begin(), keys_.end(), std::greater<>());
      keys_.back() = key;
      std::push_heap(keys_.begin(), keys_.end(), std::greater<>());
    }
  }
  void merge(const Shortlist& o) {
    for (std::uint64_t k : o.keys_) offer(k);
  }
  // The kept keys, best first.
  std::vector<std::uint64_t> sorted_keys() const {
    std::vector<std::uint64_t> v = keys_;
    std::sort(v.begin(), v.end(), std::greater<>());
    return v;
  }
  // The kept candidates' indices, smallest first (the order stage 2 reads
  // the gallery in).
  std::vector<std::uint32_t> indices() const {
    std::vector<std::uint32_t> v;
    v.reserve(keys_.size());
    for (std::uint64_t k : keys_) v.push_back(shortlist_index(k));
    std::sort(v.begin(), v.end());
    return v;
  }

 private:
  std::size_t m_;
  std::vector<std::uint64_t> keys_;
};

}  // namespace fpm::cpu
