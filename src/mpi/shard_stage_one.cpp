// Stage-1 keys of one shard (shard_stage_one.hpp).
#include "mpi/shard_stage_one.hpp"

#include <algorithm>
#include <map>

#include "fpmatch/error.hpp"

namespace fpm::mpi {

namespace {

// The best m of `keys`, best first.
std::vector<ShortlistKey> best_m(std::vector<ShortlistKey> keys, std::size_t m) {
  const std::size_t k = std::min(m, keys.size());
  std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(k), keys.end(), better);
  keys.resize(k);
  return keys;
}

bool compatible(std::uint8_t a, std::uint8_t b) { return a == 0 || b == 0 || a == b; }

}  // namespace

ShardStageOne::ShardStageOne(const Gallery& g, const ShardInfo& info) {
  if (g.size() != info.global_index.size() || g.subjects() != info.subject_rank.size())
    throw Error(ErrorCode::Internal, "stage 1 over a shard: its gallery and metadata disagree");
  std::map<std::string, std::vector<std::size_t>> by_subject;  // by id: the order of subject_rank
  codes_.reserve(g.size());
  for (std::size_t i = 0; i < g.size(); ++i) {
    const GalleryEntryInfo e = g.entry(i);
    codes_.push_back(first_stage_code(g.encoded(i)));
    position_.push_back(e.position);
    entry_rank_.push_back(info.global_index[i]);
    by_subject[e.subject].push_back(i);
  }
  for (auto& [name, entries] : by_subject) subject_entries_.push_back(std::move(entries));
  subject_rank_ = info.subject_rank;
}

std::vector<std::vector<ShortlistKey>> ShardStageOne::entry_keys(const std::vector<EncodedTemplate>& probes,
                                                                 std::size_t m) const {
  std::vector<std::vector<ShortlistKey>> out;
  std::vector<ShortlistKey> keys(codes_.size());
  for (const EncodedTemplate& p : probes) {
    const FirstStageCode code = first_stage_code(p);
    for (std::size_t i = 0; i < codes_.size(); ++i) keys[i] = {first_stage_score(code, codes_[i]), entry_rank_[i]};
    out.push_back(best_m(keys, m));
  }
  return out;
}

std::vector<std::vector<ShortlistKey>> ShardStageOne::subject_keys(
    const std::vector<std::vector<FingerProbe>>& probes, std::size_t m) const {
  std::vector<std::vector<ShortlistKey>> out;
  std::vector<ShortlistKey> keys(subject_entries_.size());
  for (const auto& fingers : probes) {
    std::vector<FirstStageCode> codes;
    for (const FingerProbe& f : fingers) codes.push_back(first_stage_code(f.t));
    for (std::size_t s = 0; s < subject_entries_.size(); ++s) {
      std::uint64_t sum = 0;
      for (std::size_t f = 0; f < fingers.size(); ++f) {
        std::uint32_t best = 0;
        for (std::size_t e : subject_entries_[s])
          if (compatible(fingers[f].position, position_[e])) best = std::max(best, first_stage_score(codes[f], codes_[e]));
        sum += best;
      }
      // Saturated at 32 bits as the engine's key is (docs/two-stage.md).
      keys[s] = {static_cast<std::uint32_t>(std::min<std::uint64_t>(sum, 0xFFFFFFFFu)), subject_rank_[s]};
    }
    out.push_back(best_m(keys, m));
  }
  return out;
}

}  // namespace fpm::mpi
