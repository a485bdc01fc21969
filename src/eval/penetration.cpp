// evaluate_penetration: the first stage's hit rate against the share of the
// gallery it keeps (fpmatch/evaluation.hpp states the protocol).
#include <algorithm>
#include <cmath>
#include <map>

#include "access.hpp"
#include "cpu/cpu_search.hpp"
#include "cpu/thread_pool.hpp"
#include "eval/labelled_folders.hpp"
#include "fpmatch/error.hpp"
#include "fpmatch/evaluation.hpp"
#include "fpmatch/first_stage.hpp"
#include "gallery/gallery_data.hpp"
#include "index/first_stage_code.hpp"

namespace fpm {

namespace {

void check_options(const PenetrationOptions& o, std::size_t folders) {
  if (o.penetrations.empty()) throw Error(ErrorCode::InvalidArgument, "penetration: no penetrations given");
  for (double p : o.penetrations)
    if (!(p > 0.0 && p <= 1.0))
      throw Error(ErrorCode::InvalidArgument, "penetration: " + std::to_string(p) + " is outside (0, 1]");
  detail::same_finger_groups("penetration", o.same_fingers, folders);  // checks the pairs
}

// The shortlist at penetration p among g ranked entries.
std::size_t shortlist_size(double p, std::size_t g) {
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(p * static_cast<double>(g))));
}

}  // namespace

PenetrationEvaluation evaluate_penetration(const std::vector<std::string>& dirs, const DecodeOptions& options,
                                           const PenetrationOptions& po) {
  if (dirs.empty()) throw Error(ErrorCode::InvalidArgument, "penetration: no folders given");
  check_options(po, dirs.size());
  detail::LabelledTemplates lt = detail::read_labelled_folders(dirs, options);
  const std::size_t n = lt.files.size();

  // Gallery: the first file of each finger (files are in name order within
  // each folder); probes: the rest.
  std::map<std::string, std::size_t> entry_of;  // finger label -> gallery entry
  std::vector<std::size_t> gallery_file, probe_file, mate;
  for (std::size_t i = 0; i < n; ++i) {
    auto [it, first] = entry_of.emplace(lt.fingers[i], gallery_file.size());
    if (first)
      gallery_file.push_back(i);
    else {
      probe_file.push_back(i);
      mate.push_back(it->second);
    }
  }
  std::vector<std::size_t> folder_probes(dirs.size(), 0);
  for (std::size_t p : probe_file) ++folder_probes[lt.folder[p]];
  for (std::size_t f = 0; f < dirs.size(); ++f)
    if (folder_probes[f] == 0)
      throw Error(ErrorCode::InvalidArgument, "penetration: '" + dirs[f] +
                                                  "' gives no probe (every finger there has one file only)");
  // Which folders hold the same fingers as which.
  std::vector<std::vector<bool>> same(dirs.size(), std::vector<bool>(dirs.size(), false));
  for (const auto& [a, b] : po.same_fingers) same[a][b] = same[b][a] = true;

  // Stage-1 codes: the folders' entries, then the background's live entries.
  std::vector<FirstStageCode> codes;
  for (std::size_t g : gallery_file) codes.push_back(first_stage_code(lt.encoded[g]));
  std::size_t background = 0;
  if (!po.background.empty()) {
    const Gallery bg = Gallery::load(po.background);
    const Gallery::Data& d = detail::Access::data(bg);
    for (std::size_t i = 0; i < d.size(); ++i) {
      if (d.removed(i)) continue;
      codes.push_back(first_stage_code(d.view(i)));
      ++background;
    }
  }
  std::vector<FirstStageCode> probe_codes;
  for (std::size_t p : probe_file) probe_codes.push_back(first_stage_code(lt.encoded[p]));

  const std::size_t np = probe_file.size(), ng = gallery_file.size();
  std::vector<std::size_t> rank(np, 0), ranked(np, 0);
  std::vector<char> rank1_correct(np, 0);
  const unsigned workers = detail::evaluation_workers("penetration", po.threads, np, 4);
  detail::ThreadPool pool(workers - 1, detail::ThreadPool::OnStartFailure::DoWithout);
  pool.parallel_for(np, [&](std::size_t q) {
    const std::size_t pf = probe_file[q], m = mate[q];
    auto excluded = [&](std::size_t e) {
      const std::size_t gf = gallery_file[e];
      return e != m && same[lt.folder[pf]][lt.folder[gf]] && lt.names[gf] == lt.names[pf];
    };
    // Stage 1: entries that beat the mate (score, then smaller index).
    const std::uint32_t ms = first_stage_score(probe_codes[q], codes[m]);
    std::size_t beat = 0, count = 0;
    for (std::size_t e = 0; e < codes.size(); ++e) {
      if (e == m || (e < ng && excluded(e))) continue;
      ++count;
      const std::uint32_t s = first_stage_score(probe_codes[q], codes[e]);
      beat += (s > ms || (s == ms && e < m)) ? 1 : 0;
    }
    rank[q] = beat + 1;
    ranked[q] = count + 1;
    // The full matcher on the folders' entries: is the mate its rank 1?
    Matcher& matcher = detail::thread_matcher(best_simd_level());
    const float full_mate = matcher.match(lt.encoded[pf], lt.encoded[gallery_file[m]]);
    bool first = true;
    for (std::size_t e = 0; e < ng && first; ++e) {
      if (e == m || excluded(e)) continue;
      const float s = matcher.match(lt.encoded[pf], lt.encoded[gallery_file[e]]);
      if (s > full_mate || (s == full_mate && e < m)) first = false;
    }
    rank1_correct[q] = first ? 1 : 0;
  });

  PenetrationEvaluation out;
  out.gallery = ng;
  out.background = background;
  for (std::size_t q = 0; q < np; ++q) out.excluded += codes.size() - ranked[q];
  out.mate_rank = rank;
  for (std::size_t p : probe_file) out.probe_files.push_back(lt.files[p]);
  auto counts = [&](auto&& keep) {
    PenetrationCounts c;
    for (double p : po.penetrations) c.points.push_back({p, 0, 0, 0, 0});
    for (std::size_t q = 0; q < np; ++q) {
      if (!keep(q)) continue;
      ++c.probes;
      c.rank1_correct += rank1_correct[q] ? 1 : 0;
      for (PenetrationPoint& pt : c.points)
        if (rank[q] <= shortlist_size(pt.penetration, ranked[q])) {
          ++pt.hits;
          pt.rank1_hits += rank1_correct[q] ? 1 : 0;
        }
    }
    for (PenetrationPoint& pt : c.points) {
      pt.hit_rate = c.probes ? static_cast<double>(pt.hits) / static_cast<double>(c.probes) : 0.0;
      pt.rank1_hit_rate =
          c.rank1_correct ? static_cast<double>(pt.rank1_hits) / static_cast<double>(c.rank1_correct) : 0.0;
    }
    return c;
  };
  out.all = counts([](std::size_t) { return true; });
  for (std::size_t f = 0; f < dirs.size(); ++f)
    out.folders.push_back(counts([&](std::size_t q) { return lt.folder[probe_file[q]] == f; }));
  return out;
}

}  // namespace fpm
