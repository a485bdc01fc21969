// Leave-one-set-out cross-validation of the matcher's run-time parameters
// (fpm::CylinderOptions: the low-quality rule, docs/matcher.md):
//   fpm_loso DIR... [--quality Q,Q,...] [--dropped P,P,...] [--criterion eer|both]
//            [--threads T]
// Each DIR is one set of FVC-named templates (FINGER_IMPRESSION.ext; all
// unordered pairs within the set, genuine = same finger). Every parameter
// pair of the grid (min_quality x max_dropped_percent; min_quality 0 is
// the published method, whatever the other) is scored on every set. Then,
// for each set left out in turn, the parameters with the lowest mean EER on
// the other sets (--criterion both: the lowest mean of EER + FNMR at FMR
// 0.1%, the two figures the project's bars name) are chosen (ties: the earlier in the grid, the shipped
// default first) and evaluated on the left-out set; beside it, the in-sample
// figure (the parameters chosen on all sets) and the shipped default's.
// What the table says: how far a choice made without a set is from one made
// with it. A large gap means the parameters are fitted to the sets.
#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "fpmatch/fpmatch.hpp"

namespace {

struct Set {
  std::string dir;
  std::vector<fpm::Template> templates;
  std::vector<std::string> finger;  // label per template
};

Set load_set(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw fpm::Error(fpm::ErrorCode::Io, "cannot open folder '" + dir + "'");
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  Set s;
  s.dir = dir;
  for (const std::string& n : names) {
    const std::string stem = n.substr(0, n.rfind('.'));
    const std::size_t us = stem.rfind('_');
    if (us == std::string::npos || us == 0) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "'" + n + "' is not FINGER_IMPRESSION.ext");
    s.templates.push_back(fpm::decode_file(dir + "/" + n).views.front());
    s.finger.push_back(stem.substr(0, us));
  }
  if (s.templates.size() < 2) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "'" + dir + "' holds fewer than two templates");
  return s;
}

fpm::ErrorRates rates_of(const Set& s, const fpm::CylinderOptions& o, int threads) {
  const std::vector<fpm::EncodedTemplate> enc = fpm::encode_cylinders_all(s.templates, o, threads);
  const std::size_t n = enc.size();
  std::vector<std::vector<float>> gen(static_cast<std::size_t>(threads)), imp(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      fpm::Matcher m;
      // Rows dealt round-robin: row i has n - i - 1 pairs.
      for (std::size_t i = static_cast<std::size_t>(t); i < n; i += static_cast<std::size_t>(threads))
        for (std::size_t j = i + 1; j < n; ++j)
          (s.finger[i] == s.finger[j] ? gen : imp)[static_cast<std::size_t>(t)].push_back(m.match(enc[i], enc[j]));
    });
  for (std::thread& th : pool) th.join();
  std::vector<float> g, im;
  for (int t = 0; t < threads; ++t) {
    g.insert(g.end(), gen[static_cast<std::size_t>(t)].begin(), gen[static_cast<std::size_t>(t)].end());
    im.insert(im.end(), imp[static_cast<std::size_t>(t)].begin(), imp[static_cast<std::size_t>(t)].end());
  }
  return fpm::error_rates(g, im);
}

std::vector<int> parse_list(const char* s) {
  std::vector<int> out;
  for (const char* p = s; *p;) {
    char* end = nullptr;
    const long v = std::strtol(p, &end, 10);
    if (end == p || v < 0 || v > 100) throw fpm::Error(fpm::ErrorCode::InvalidArgument, std::string("bad list '") + s + "'");
    out.push_back(static_cast<int>(v));
    p = *end == ',' ? end + 1 : end;
    if (*end != ',' && *end != '\0') throw fpm::Error(fpm::ErrorCode::InvalidArgument, std::string("bad list '") + s + "'");
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<std::string> dirs;
    std::vector<int> qualities = {0, 40, 45, 50, 55, 60, 65, 70}, dropped = {20, 40, 60, 100};
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    bool both = false;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--quality" && i + 1 < argc) {
        qualities = parse_list(argv[++i]);
      } else if (a == "--dropped" && i + 1 < argc) {
        dropped = parse_list(argv[++i]);
      } else if (a == "--criterion" && i + 1 < argc) {
        const std::string c = argv[++i];
        if (c != "eer" && c != "both") {
          std::fprintf(stderr, "fpm_loso: --criterion eer or both\n");
          return 2;
        }
        both = c == "both";
      } else if (a == "--threads" && i + 1 < argc) {
        threads = std::max(1, std::atoi(argv[++i]));
      } else if (!a.empty() && a[0] == '-') {
        std::fprintf(stderr, "fpm_loso: unknown or incomplete option '%s'\n", a.c_str());
        return 2;
      } else {
        dirs.push_back(a);
      }
    }
    if (dirs.size() < 2 || qualities.empty() || dropped.empty()) {
      std::fprintf(stderr, "usage: fpm_loso DIR DIR... [--quality Q,Q,...] [--dropped P,P,...] [--criterion eer|both] [--threads T]\n");
      return 2;
    }
    // The grid, the shipped default first (it wins ties).
    const fpm::CylinderOptions shipped{};
    std::vector<fpm::CylinderOptions> grid = {shipped};
    for (int q : qualities)
      for (int p : dropped) {
        fpm::CylinderOptions o;
        o.min_quality = static_cast<std::uint8_t>(q);
        o.max_dropped_percent = static_cast<std::uint8_t>(q == 0 ? shipped.max_dropped_percent : p);
        const bool seen = std::any_of(grid.begin(), grid.end(), [&](const fpm::CylinderOptions& g) {
          return g.min_quality == o.min_quality && g.max_dropped_percent == o.max_dropped_percent;
        });
        if (!seen) grid.push_back(o);
      }
    std::vector<Set> sets;
    for (const std::string& d : dirs) sets.push_back(load_set(d));
    // rates[c][s]
    std::vector<std::vector<fpm::ErrorRates>> rates(grid.size());
    for (std::size_t c = 0; c < grid.size(); ++c) {
      for (const Set& s : sets) rates[c].push_back(rates_of(s, grid[c], threads));
      std::fprintf(stderr, "\r%zu / %zu parameter pairs", c + 1, grid.size());
    }
    std::fprintf(stderr, "\n");
    const auto choose = [&](std::size_t left_out) {  // SIZE_MAX: none left out
      std::size_t best = 0;
      double best_mean = 1e300;
      for (std::size_t c = 0; c < grid.size(); ++c) {
        double sum = 0;
        std::size_t k = 0;
        for (std::size_t s = 0; s < sets.size(); ++s)
          if (s != left_out) {
            sum += rates[c][s].eer + (both ? rates[c][s].fnmr_at_fmr_01pct : 0.0);
            ++k;
          }
        const double mean = sum / static_cast<double>(k);
        if (mean < best_mean) {
          best_mean = mean;
          best = c;
        }
      }
      return best;
    };
    const auto name = [&](std::size_t c) {
      return "q" + std::to_string(grid[c].min_quality) + "/" + std::to_string(grid[c].max_dropped_percent) + "%";
    };
    const std::size_t all = choose(SIZE_MAX);
    std::printf("in-sample choice (lowest mean %s over all %zu sets): %s\n", both ? "EER + FNMR@0.1%" : "EER",
                sets.size(), name(all).c_str());
    std::printf("%-44s %-9s %17s %17s %17s\n", "left-out set", "chosen", "left-out EER/0.1%", "in-sample", "shipped default");
    double gap_eer = 0, gap_fnmr = 0, abs_eer = 0, abs_fnmr = 0;
    for (std::size_t s = 0; s < sets.size(); ++s) {
      const std::size_t c = choose(s);
      const fpm::ErrorRates& out = rates[c][s];
      const fpm::ErrorRates& in = rates[all][s];
      const fpm::ErrorRates& def = rates[0][s];
      std::printf("%-44s %-9s %8.2f / %6.2f %8.2f / %6.2f %8.2f / %6.2f\n", sets[s].dir.c_str(), name(c).c_str(),
                  100 * out.eer, 100 * out.fnmr_at_fmr_01pct, 100 * in.eer, 100 * in.fnmr_at_fmr_01pct, 100 * def.eer,
                  100 * def.fnmr_at_fmr_01pct);
      gap_eer += out.eer - in.eer;
      gap_fnmr += out.fnmr_at_fmr_01pct - in.fnmr_at_fmr_01pct;
      abs_eer += std::fabs(out.eer - in.eer);
      abs_fnmr += std::fabs(out.fnmr_at_fmr_01pct - in.fnmr_at_fmr_01pct);
    }
    const double n = static_cast<double>(sets.size());
    std::printf("mean left-out minus in-sample: EER %+.2f points (mean |gap| %.2f), FNMR@0.1%% %+.2f points (%.2f)\n",
                100 * gap_eer / n, 100 * abs_eer / n, 100 * gap_fnmr / n, 100 * abs_fnmr / n);
    std::printf("grid (mean EER / mean FNMR@0.1%% over all sets, percent):");
    for (std::size_t c = 0; c < grid.size(); ++c) {
      double sum = 0, sum_f = 0;
      for (std::size_t s = 0; s < sets.size(); ++s) {
        sum += rates[c][s].eer;
        sum_f += rates[c][s].fnmr_at_fmr_01pct;
      }
      std::printf("%s %s %.2f / %.2f", c % 5 == 0 ? "\n " : ",", name(c).c_str(), 100 * sum / n, 100 * sum_f / n);
    }
    std::printf("\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fpm_loso: %s\n", e.what());
    return 1;
  }
}
