#include "cpu/cpu_search.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>

#include "access.hpp"
#include "fpmatch/error.hpp"
#include "index/first_stage_code.hpp"
#include "cpu/first_stage_scores.hpp"
#include "cpu/prepared_probe.hpp"
#include "cpu/thread_pool.hpp"

namespace fpm::detail {

using cpu::Shortlist;

Matcher& thread_matcher(SimdLevel level) {
  thread_local std::map<SimdLevel, Matcher> matchers;
  auto it = matchers.find(level);
  if (it == matchers.end()) it = matchers.emplace(level, Matcher(level)).first;
  return it->second;
}

namespace {

// Entries scored per call of the stage-1 scores (their codes stay in cache
// across the batch's probes).
constexpr std::size_t kStageOneBlock = 256;

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

// The first-stage codes of a search's probes (computed once per search).
struct ProbeCodes {
  std::vector<std::uint64_t> words;  // index::kCodeWords per probe (finger)
  std::vector<std::uint32_t> aux;
  void add(const mcc::CylinderSetView& v) {
    const std::size_t at = words.size();
    words.resize(at + index::kCodeWords);
    aux.push_back(index::make_code(v, words.data() + at));
  }
  const std::uint64_t* code(std::size_t i) const { return words.data() + i * index::kCodeWords; }
};

// Merges per-tile shortlists into one per probe.
std::vector<Shortlist> merge_shortlists(std::vector<std::vector<Shortlist>>& partial, std::size_t probes,
                                        std::size_t m) {
  std::vector<Shortlist> out(probes, Shortlist(m));
  for (std::size_t p = 0; p < probes; ++p)
    for (auto& t : partial)
      if (!t.empty()) out[p].merge(t[p]);
  return out;
}

// The items each probe's stage 2 scores: its shortlist, or what `filter`
// (SearchOptions::shortlist_filter) keeps of it; smallest first.
std::vector<std::vector<std::uint32_t>> shortlisted(const std::vector<Shortlist>& lists, const ShortlistFilter* filter) {
  std::vector<std::vector<std::uint32_t>> out(lists.size());
  if (!filter) {
    for (std::size_t p = 0; p < lists.size(); ++p) out[p] = lists[p].indices();
    return out;
  }
  std::vector<std::vector<ShortlistEntry>> entries(lists.size());
  for (std::size_t p = 0; p < lists.size(); ++p)
    for (std::uint64_t key : lists[p].sorted_keys())
      entries[p].push_back({static_cast<std::uint32_t>(key >> 32), index::shortlist_index(key)});
  const std::vector<std::vector<ShortlistEntry>> given = entries;
  (*filter)(entries);
  if (entries.size() != given.size())
    throw Error(ErrorCode::InvalidArgument, "shortlist_filter changed the number of lists");
  for (std::size_t p = 0; p < entries.size(); ++p) {
    if (entries[p].size() > given[p].size())
      throw Error(ErrorCode::InvalidArgument, "shortlist_filter lengthened a shortlist");
    for (std::size_t i = 0; i < entries[p].size(); ++i) {
      if (entries[p][i].index != given[p][i].index || entries[p][i].score != given[p][i].score)
        throw Error(ErrorCode::InvalidArgument, "shortlist_filter kept other than a prefix of a shortlist");
      out[p].push_back(static_cast<std::uint32_t>(entries[p][i].index));
    }
    std::sort(out[p].begin(), out[p].end());
  }
  return out;
}

// Stage 2: score(p, i) for every probe p and item i (entry or subject) of
// its shortlist; the top k per probe by score, then smaller key. The pairs
// run in item order, spread over the pool in chunks, so that the gallery is
// read in order and an item shortlisted by several probes of the batch is
// read once for all of them.
std::vector<TopK> rerank(ThreadPool& pool, unsigned threads, const std::vector<std::vector<std::uint32_t>>& lists,
                         std::size_t k, float min_score, std::atomic<std::uint64_t>& comparisons,
                         const std::function<float(std::size_t, std::uint32_t, std::uint64_t&)>& score) {
  const std::size_t P = lists.size();
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;  // (item, probe)
  for (std::size_t p = 0; p < P; ++p)
    for (std::uint32_t item : lists[p]) pairs.emplace_back(item, static_cast<std::uint32_t>(p));
  std::sort(pairs.begin(), pairs.end());
  const std::size_t parts = std::max<std::size_t>(1, std::min(pairs.size(), std::size_t(threads) * 8));
  const std::size_t chunk = (pairs.size() + parts - 1) / parts;
  std::vector<std::vector<TopK>> partial(parts);
  pool.parallel_for(parts, [&](std::size_t t) {
    const std::size_t first = t * chunk, last = std::min(pairs.size(), first + chunk);
    if (first >= last) return;
    std::vector<TopK> best(P, TopK(k));
    std::uint64_t count = 0;
    for (std::size_t i = first; i < last; ++i) {
      const auto [item, p] = pairs[i];
      const float s = score(p, item, count);
      if (s >= min_score) best[p].offer({s, item});
    }
    comparisons += count;
    partial[t] = std::move(best);
  });
  std::vector<TopK> out(P, TopK(k));
  for (auto& part : partial)
    if (!part.empty())
      for (std::size_t p = 0; p < P; ++p) out[p].merge(part[p]);
  return out;
}

}  // namespace

std::vector<TopK> CpuSearch::search(const std::vector<mcc::CylinderSetView>& probes, std::size_t k, float min_score,
                                    std::size_t shortlist, std::uint64_t* comparisons) {
  const std::size_t E = g_.size(), P = probes.size();
  if (P == 0 || E == 0) return std::vector<TopK>(P, TopK(k));
  const cpu::ScoreStages& stages = cpu::score_stages(level_);
  std::vector<cpu::PreparedProbe> prepared;
  prepared.reserve(P);
  for (const auto& p : probes) prepared.emplace_back(stages, p);
  std::atomic<std::uint64_t> n{0};
  if (shortlist != 0) {
    // Stage 1: every live entry's code against every probe's, the gallery
    // codes read once per batch; the best `shortlist` per probe.
    ProbeCodes codes;
    for (const auto& p : probes) codes.add(p);
    std::vector<cpu::FirstStageProbe> probe_codes;
    for (std::size_t p = 0; p < P; ++p) probe_codes.push_back(cpu::prepare_first_stage_probe(codes.code(p), codes.aux[p]));
    const std::size_t tiles = std::min<std::size_t>(E, std::size_t(threads_) * 8);
    const std::size_t per_tile = (E + tiles - 1) / tiles;
    std::vector<std::vector<Shortlist>> partial(tiles);
    pool_.parallel_for(tiles, [&](std::size_t t) {
      const std::size_t e0 = t * per_tile, e1 = std::min(E, e0 + per_tile);
      if (e0 >= e1) return;
      std::vector<Shortlist> best(P, Shortlist(shortlist));
      std::vector<std::uint32_t> s(kStageOneBlock);
      for (std::size_t b0 = e0; b0 < e1; b0 += kStageOneBlock) {
        const std::size_t nb = std::min(kStageOneBlock, e1 - b0);
        for (std::size_t p = 0; p < P; ++p) {
          cpu::first_stage_scores(level_, probe_codes[p], g_.code.data() + b0 * index::kCodeWords,
                                  g_.code_aux.data() + b0, nb, s.data());
          for (std::size_t i = 0; i < nb; ++i)
            if (!g_.removed(b0 + i)) best[p].offer(cpu::shortlist_key(s[i], static_cast<std::uint32_t>(b0 + i)));
        }
      }
      partial[t] = std::move(best);
    });
    const std::vector<Shortlist> lists = merge_shortlists(partial, P, shortlist);
    const std::vector<std::vector<std::uint32_t>> entries = shortlisted(lists, filter_);
    // Stage 2: the full matcher on the shortlisted entries.
    auto out = rerank(pool_, threads_, entries, k, min_score, n, [&](std::size_t p, std::uint32_t e, std::uint64_t& count) {
      ++count;
      return Access::match(thread_matcher(level_), prepared[p], g_.view(e));
    });
    *comparisons += n.load();
    return out;
  }
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
                                             float min_score, std::size_t shortlist, std::uint64_t* comparisons) {
  const std::size_t S = index_.subject_list.size(), P = probes.size();
  if (P == 0 || S == 0) return std::vector<TopK>(P, TopK(k));
  const cpu::ScoreStages& stages = cpu::score_stages(level_);
  std::vector<std::vector<cpu::PreparedProbe>> prepared(P);
  for (std::size_t p = 0; p < P; ++p) {
    prepared[p].reserve(probes[p].size());
    for (const FingerView& f : probes[p]) prepared[p].emplace_back(stages, f.view);
  }
  // The fused full score of probe p against subject si: the mean over the
  // probe's fingers of each finger's best score among the compatible entries.
  const auto fused = [&](Matcher& m, std::size_t p, std::size_t si, std::uint64_t& count) {
    const std::uint32_t* ent = index_.subject_entries.data() + index_.subject_offset[si];
    const std::size_t ne = index_.subject_offset[si + 1] - index_.subject_offset[si];
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
    return sum / static_cast<float>(probes[p].size());
  };
  std::atomic<std::uint64_t> n{0};
  if (shortlist != 0) {
    // Stage 1: per subject, the sum over the probe's fingers of each
    // finger's best stage-1 score among the compatible entries.
    std::vector<ProbeCodes> codes(P);
    for (std::size_t p = 0; p < P; ++p)
      for (const FingerView& f : probes[p]) codes[p].add(f.view);
    // Each probe finger prepared once for all the subjects' entries.
    std::vector<std::vector<cpu::FirstStageProbe>> prepared_codes(P);
    for (std::size_t p = 0; p < P; ++p)
      for (std::size_t f = 0; f < probes[p].size(); ++f)
        prepared_codes[p].push_back(cpu::prepare_first_stage_probe(codes[p].code(f), codes[p].aux[f]));
    const std::size_t tiles = std::min<std::size_t>(S, std::size_t(threads_) * 8);
    const std::size_t per_tile = (S + tiles - 1) / tiles;
    std::vector<std::vector<Shortlist>> partial(tiles);
    pool_.parallel_for(tiles, [&](std::size_t t) {
      const std::size_t s0 = t * per_tile, s1 = std::min(S, s0 + per_tile);
      if (s0 >= s1) return;
      std::vector<Shortlist> best(P, Shortlist(shortlist));
      std::uint32_t score = 0;
      for (std::size_t si = s0; si < s1; ++si) {
        const std::uint32_t* ent = index_.subject_entries.data() + index_.subject_offset[si];
        const std::size_t ne = index_.subject_offset[si + 1] - index_.subject_offset[si];
        for (std::size_t p = 0; p < P; ++p) {
          std::uint64_t sum = 0;
          for (std::size_t f = 0; f < probes[p].size(); ++f) {
            std::uint32_t finger_best = 0;
            for (std::size_t j = 0; j < ne; ++j) {
              if (!positions_compatible(probes[p][f].position, g_.position[ent[j]])) continue;
              cpu::first_stage_scores(level_, prepared_codes[p][f],
                                      g_.code.data() + std::size_t(ent[j]) * index::kCodeWords,
                                      g_.code_aux.data() + ent[j], 1, &score);
              finger_best = std::max(finger_best, score);
            }
            sum += finger_best;
          }
          // Scores are at most 2^15: the sum fits 32 bits up to 131072
          // fingers; beyond, it saturates (the subject rank breaks ties).
          const auto key_score = static_cast<std::uint32_t>(std::min<std::uint64_t>(sum, 0xFFFFFFFFu));
          best[p].offer(cpu::shortlist_key(key_score, static_cast<std::uint32_t>(si)));
        }
      }
      partial[t] = std::move(best);
    });
    const std::vector<Shortlist> lists = merge_shortlists(partial, P, shortlist);
    const std::vector<std::vector<std::uint32_t>> subjects = shortlisted(lists, filter_);
    // Stage 2: the fused full score of the shortlisted subjects.
    auto out = rerank(pool_, threads_, subjects, k, min_score, n, [&](std::size_t p, std::uint32_t si, std::uint64_t& count) {
      return fused(thread_matcher(level_), p, si, count);
    });
    *comparisons += n.load();
    return out;
  }
  auto out = tiled(pool_, threads_, S, P, k, n, [&](std::size_t s0, std::size_t s1, std::vector<TopK>& best) {
    Matcher& m = thread_matcher(level_);
    std::uint64_t count = 0;
    for (std::size_t si = s0; si < s1; ++si)
      for (std::size_t p = 0; p < P; ++p) {
        const float s = fused(m, p, si, count);
        if (s >= min_score) best[p].offer({s, static_cast<std::uint32_t>(si)});
      }
    return count;
  });
  *comparisons += n.load();
  return out;
}

}  // namespace fpm::detail
