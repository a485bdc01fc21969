// fpmatch penetration DIR...: how often the first stage of a two-stage
// search keeps a probe's mate, against the share of the gallery it keeps.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace cli {

namespace {

struct PenetrationArgs {
  InputFlags in;
  std::vector<std::string> dirs;
  std::vector<std::string> same_fingers;  // "I,J" (1-based folder numbers)
  std::vector<double> penetrations;
  std::string background;
  bool json = false;
  int threads = 0;
};

nlohmann::json counts_json(const fpm::PenetrationCounts& c) {
  nlohmann::json j = {{"probes", c.probes}, {"full_rank1_correct", c.rank1_correct}, {"points", nlohmann::json::array()}};
  for (const fpm::PenetrationPoint& p : c.points)
    j["points"].push_back({{"penetration", p.penetration},
                           {"hits", p.hits},
                           {"hit_rate", p.hit_rate},
                           {"rank1_hits", p.rank1_hits},
                           {"rank1_hit_rate", p.rank1_hit_rate}});
  return j;
}

void print_counts(const std::string& what, const fpm::PenetrationCounts& c) {
  std::printf("%s: %zu probes, %zu at full-matcher rank 1\n  penetration  ", what.c_str(), c.probes, c.rank1_correct);
  for (const fpm::PenetrationPoint& p : c.points) std::printf(" %7.1f%%", 100 * p.penetration);
  std::printf("\n  hit rate     ");
  for (const fpm::PenetrationPoint& p : c.points) std::printf(" %7.1f%%", 100 * p.hit_rate);
  std::printf("\n  of rank 1    ");
  for (const fpm::PenetrationPoint& p : c.points) std::printf(" %7.1f%%", 100 * p.rank1_hit_rate);
  std::printf("\n");
}

int run_penetration(const PenetrationArgs& a) {
  fpm::PenetrationOptions po;
  if (!a.penetrations.empty()) {
    po.penetrations.clear();
    for (double p : a.penetrations) po.penetrations.push_back(p / 100.0);
  }
  po.same_fingers = folder_pairs(a.same_fingers, a.dirs.size());
  po.background = a.background;
  po.threads = a.threads;
  const fpm::PenetrationEvaluation ev = fpm::evaluate_penetration(a.dirs, a.in.options(), po);
  if (a.json) {
    nlohmann::json j = {{"gallery", ev.gallery},
                        {"background", ev.background},
                        {"excluded_pairs", ev.excluded},
                        {"all", counts_json(ev.all)},
                        {"folders", nlohmann::json::array()}};
    for (std::size_t f = 0; f < a.dirs.size(); ++f) {
      nlohmann::json c = counts_json(ev.folders[f]);
      c["folder"] = a.dirs[f];
      j["folders"].push_back(c);
    }
    print_json(j);
    return kOk;
  }
  std::printf("gallery: %zu first impressions", ev.gallery);
  if (ev.background) std::printf(" and %zu background entries", ev.background);
  std::printf("; %zu probe-entry pairs left out as the same finger\n", ev.excluded);
  for (std::size_t f = 0; f < a.dirs.size(); ++f) print_counts(a.dirs[f], ev.folders[f]);
  if (a.dirs.size() > 1) print_counts("all folders", ev.all);
  return kOk;
}

}  // namespace

void add_penetration(CLI::App& app, std::function<int()>* action) {
  auto [cmd, args] = reader_subcommand<PenetrationArgs>(
      app, "penetration",
      "First-stage hit rate against penetration on folders of templates named FINGER_IMPRESSION.ext (gallery: the "
      "first file of each finger; probes: the others)",
      action, run_penetration);
  add_existing(cmd, "dirs", args->dirs, "Folders of templates (any extension)", CLI::ExistingDirectory);
  add_same_fingers(cmd, args->same_fingers, "such entries are left out of each other's probes' rankings");
  cmd->add_option("--at", args->penetrations, "Penetrations in percent (default: 0.5 1 2 5 10 20)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--background", args->background, "A gallery file ranked too, as impostors of every probe")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--json", args->json, "Print one JSON object (fractions, not percent)");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)")->check(CLI::Range(0, fpm::kMaxEngineThreads));
}

}  // namespace cli
