// The exact merge of shards' answers: source indices in, top K out, in the
// order Engine gives (docs/scale-out.md, "Why the merge is exact").
#include <algorithm>

#include "fpmatch/error.hpp"
#include "fpmatch/shard.hpp"

namespace fpm {

namespace {

std::size_t source_index(const ShardInfo& shard, std::size_t local) {
  if (local >= shard.global_index.size())
    throw Error(ErrorCode::InvalidArgument, "shard " + std::to_string(shard.shard) + ": entry " +
                                                std::to_string(local) + " past its " +
                                                std::to_string(shard.global_index.size()) + " entries");
  return static_cast<std::size_t>(shard.global_index[local]);
}

// The best `top_k` of lists that are each sorted by `better`.
template <class T, class Better>
std::vector<T> merge_sorted(const std::vector<std::vector<T>>& lists, std::size_t top_k, Better better) {
  std::vector<T> all;
  for (const auto& l : lists) all.insert(all.end(), l.begin(), l.end());
  const std::size_t k = std::min(top_k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(), better);
  all.resize(k);
  return all;
}

}  // namespace

void to_source_indices(const ShardInfo& shard, std::vector<Candidate>& candidates) {
  for (Candidate& c : candidates) c.index = source_index(shard, c.index);
}

void to_source_indices(const ShardInfo& shard, std::vector<SubjectCandidate>& candidates) {
  for (SubjectCandidate& c : candidates)
    for (std::size_t& e : c.finger_entries)
      if (e != static_cast<std::size_t>(-1)) e = source_index(shard, e);
}

std::vector<Candidate> merge_shard_candidates(const std::vector<std::vector<Candidate>>& lists, std::size_t top_k) {
  return merge_sorted(lists, top_k, [](const Candidate& a, const Candidate& b) {
    return a.score != b.score ? a.score > b.score : a.index < b.index;
  });
}

std::vector<SubjectCandidate> merge_shard_subjects(const std::vector<std::vector<SubjectCandidate>>& lists,
                                                   std::size_t top_k) {
  // Subject ids are unique across shards (a subject lives in one), so the
  // id breaks every tie, as the engine's subject order (by id) does.
  return merge_sorted(lists, top_k, [](const SubjectCandidate& a, const SubjectCandidate& b) {
    return a.score != b.score ? a.score > b.score : a.subject < b.subject;
  });
}

}  // namespace fpm
