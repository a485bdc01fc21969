// split_gallery: a gallery file into shards of whole subjects, each shard
// keeping the source's entry order (docs/scale-out.md).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "fpmatch/error.hpp"
#include "fpmatch/shard.hpp"
#include "shard/shard_info_file.hpp"

namespace fpm {

namespace {

constexpr std::size_t kMaxShards = 4096;

std::string random_split_id() {
  std::random_device rd;
  static const char* digits = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 8; ++i) {
    const std::uint32_t v = rd();
    for (int k = 0; k < 4; ++k) id.push_back(digits[(v >> (4 * k)) & 15]);
  }
  return id;
}

struct SubjectEntries {
  std::string name;
  std::vector<std::size_t> entries;  // source indices, increasing
};

// Shard of each subject: largest first (then by name, for a split that
// depends only on the gallery), each to the shard with the fewest entries
// per unit of weight so far (the lower shard on ties).
std::vector<std::size_t> assign(const std::vector<SubjectEntries>& subjects, const std::vector<double>& weights) {
  std::vector<std::size_t> order(subjects.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (subjects[a].entries.size() != subjects[b].entries.size())
      return subjects[a].entries.size() > subjects[b].entries.size();
    return subjects[a].name < subjects[b].name;
  });
  std::vector<double> load(weights.size(), 0.0);
  std::vector<std::size_t> shard_of(subjects.size());
  for (std::size_t s : order) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < weights.size(); ++i)
      if (load[i] / weights[i] < load[best] / weights[best]) best = i;
    shard_of[s] = best;
    load[best] += static_cast<double>(subjects[s].entries.size());
  }
  return shard_of;
}

}  // namespace

std::vector<std::string> split_gallery(const std::string& gallery_path, const std::string& out_dir,
                                       const SplitOptions& options) {
  const std::size_t N = options.shards;
  if (N == 0 || N > kMaxShards)
    throw Error(ErrorCode::InvalidArgument, "split: shards must be 1 to " + std::to_string(kMaxShards) + ", not " +
                                                std::to_string(N));
  std::vector<double> weights = options.weights;
  if (weights.empty()) weights.assign(N, 1.0);
  if (weights.size() != N)
    throw Error(ErrorCode::InvalidArgument, "split: " + std::to_string(weights.size()) + " weights for " +
                                                std::to_string(N) + " shards");
  for (double w : weights)
    if (!(std::isfinite(w) && w > 0)) throw Error(ErrorCode::InvalidArgument, "split: weights must be positive numbers");

  const Gallery source = Gallery::load(gallery_path);
  const std::uint32_t source_crc = detail::gallery_header_crc(gallery_path);
  std::map<std::string, std::size_t> by_name;  // sorted: the subject ranks
  std::vector<SubjectEntries> subjects;
  for (std::size_t i = 0; i < source.size(); ++i) {
    const GalleryEntryInfo e = source.entry(i);
    if (e.removed) continue;
    auto it = by_name.emplace(e.subject, subjects.size()).first;
    if (it->second == subjects.size()) subjects.push_back({e.subject, {}});
    subjects[it->second].entries.push_back(i);
  }
  std::vector<std::uint64_t> rank(subjects.size());
  {
    std::uint64_t r = 0;
    for (const auto& [name, s] : by_name) rank[s] = r++;
  }
  const std::vector<std::size_t> shard_of = assign(subjects, weights);

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw Error(ErrorCode::Io, "split: cannot create '" + out_dir + "': " + ec.message());

  const std::string split_id = random_split_id();
  std::vector<std::string> files;
  for (std::size_t k = 0; k < N; ++k) {
    ShardInfo info;
    info.split_id = split_id;
    info.shard = static_cast<std::uint32_t>(k);
    info.shards = static_cast<std::uint32_t>(N);
    info.source_crc = source_crc;
    info.source_entries = source.size();
    info.source_live = source.live_size();
    info.source_subjects = subjects.size();
    info.weight = weights[k];
    // Entries in source order (the global indices increase), subjects by name.
    std::vector<std::size_t> entries;
    for (const auto& [name, s] : by_name)
      if (shard_of[s] == k) info.subject_rank.push_back(rank[s]);
    for (std::size_t s = 0; s < subjects.size(); ++s)
      if (shard_of[s] == k) entries.insert(entries.end(), subjects[s].entries.begin(), subjects[s].entries.end());
    std::sort(entries.begin(), entries.end());
    Gallery g;
    for (std::size_t i : entries) {
      const GalleryEntryInfo e = source.entry(i);
      g.add(e.subject, e.position, source.encoded(i));
      info.global_index.push_back(i);
    }
    info.entries = info.global_index.size();
    info.subjects = info.subject_rank.size();
    const std::string path = (std::filesystem::path(out_dir) / shard_file_name(info.shard, info.shards)).string();
    g.save(path);
    info.shard_crc = detail::gallery_header_crc(path);
    detail::write_shard_info(shard_info_path(path), info);
    files.push_back(path);
    if (options.progress) options.progress(k + 1, N);
  }
  return files;
}

}  // namespace fpm
