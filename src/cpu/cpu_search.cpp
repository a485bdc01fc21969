#include "cpu/cpu_search.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>

#include "access.hpp"
#include "cpu/prepared_probe.hpp"
#include "cpu/thread_pool.hpp"

namespace fpm::detail {

Matcher& thread_matcher(SimdLevel level) {
  thread_local std::map<SimdLevel, Matcher> matchers;
  auto it = matchers.find(level);
  if (it == matchers.end()) it = matchers.emplace(level, Matcher(level)).first;
  return it->second;
}

namespace {

// Splits `items` into tiles (several per thread, so that uneven tiles even
// out), runs tile(first, last, best) on the pool with one top-K list per
// probe, and merges the tiles' lists.
std::vector<TopK> tiled(ThreadPool& pool, unsigned threads, std::size_t items, std::size_t probes, std::size_t k,
                        std::atomic<std::uint64_t>& comparisons,
                        const std::function<std::uint64_t(std::size_t, std::size_t, std::vector<TopK>&)>& tile) {
  const std::size_t tiles = std::min<std::size_t>(items, std::max<std::size_t>(std::size_t(threads) * 8, 1));
  const std::size_t per_tile = (items + tiles - 1) / tiles;
  std::vector<std::vector<TopK>> partial(tiles);
  pool.parallel_for(tiles, [&](std::size_t t) {
    std::vector<TopK> best(probes, TopK(k));
    const std::size_t first = t * per_tile, last = std::min(items, first + per_tile);
    comparisons += first < last ? tile(first, last, best) : 0;
    partial[t] = std::move(best);
  });
  std::vector<TopK> out(probes, TopK(k));
  for (std::size_t p = 0; p < probes; ++p)
    for (std::size_t t = 0; t < tiles; ++t)
      if (!partial[t].empty()) out[p].merge(partial[t][p]);
  return out;
}

}  // namespace

std::vector<TopK> CpuSearch::search(const std::vector<mcc::CylinderSetView>& probes, std::size_t k, float min_score,
                                    std::uint64_t* comparisons) {
  const std::size_t E = g_.size(), P = probes.size();
  if (P == 0 || E == 0) return std::vector<TopK>(P, TopK(k));
  const cpu::ScoreStages& stages = cpu::score_stages(level_);
  std::vector<cpu::PreparedProbe> prepared;
  prepared.reserve(P);
  for (const auto& p : probes) prepared.emplace_back(stages, p);
  std::atomic<std::uint64_t> n{0};
  // Each tile compares all probes of the batch with its entries, so an
  // entry's cylinders are read once per batch.
  auto out = tiled(pool_, threads_, E, P, k, n, [&](std::size_t e0, std::size_t e1, std::vector<TopK>& best) {
    Matcher& m = thread_matcher(level_);
    std::uint64_t count = 0;
    for (std::size_t e = e0; e < e1; ++e) {
      if (g_.removed(e)) continue;
      const mcc::CylinderSetView entry = g_.view(e);
      for (std::size_t p = 0; p < P; ++p) {
        const float s = Access::match(m, prepared[p], entry);
        ++count;
        if (s >= min_score) best[p].offer({s, static_cast<std::uint32_t>(e)});
      }
    }
    return count;
  });
  *comparisons += n.load();
  return out;
}

std::vector<TopK> CpuSearch::search_subjects(const std::vector<std::vector<FingerView>>& probes, std::size_t k,
                                             float min_score, std::uint64_t* comparisons) {
  const std::size_t S = index_.subject_list.size(), P = probes.size();
  if (P == 0 || S == 0) return std::vector<TopK>(P, TopK(k));
  const cpu::ScoreStages& stages = cpu::score_stages(level_);
  std::vector<std::vector<cpu::PreparedProbe>> prepared(P);
  for (std::size_t p = 0; p < P; ++p) {
    prepared[p].reserve(probes[p].size());
    for (const FingerView& f : probes[p]) prepared[p].emplace_back(stages, f.view);
  }
  std::atomic<std::uint64_t> n{0};
  auto out = tiled(pool_, threads_, S, P, k, n, [&](std::size_t s0, std::size_t s1, std::vector<TopK>& best) {
    Matcher& m = thread_matcher(level_);
    std::uint64_t count = 0;
    for (std::size_t si = s0; si < s1; ++si) {
      const std::uint32_t* ent = index_.subject_entries.data() + index_.subject_offset[si];
      const std::size_t ne = index_.subject_offset[si + 1] - index_.subject_offset[si];
      for (std::size_t p = 0; p < P; ++p) {
        float sum = 0.0f;
        for (std::size_t f = 0; f < probes[p].size(); ++f) {
          float finger_best = 0.0f;
          for (std::size_t j = 0; j < ne; ++j) {
            if (!positions_compatible(probes[p][f].position, g_.position[ent[j]])) continue;
            finger_best = std::max(finger_best, Access::match(m, prepared[p][f], g_.view(ent[j])));
            ++count;
          }
          sum += finger_best;
        }
        const float fused = sum / static_cast<float>(probes[p].size());
        if (fused >= min_score) best[p].offer({fused, static_cast<std::uint32_t>(si)});
      }
    }
    return count;
  });
  *comparisons += n.load();
  return out;
}

}  // namespace fpm::detail
