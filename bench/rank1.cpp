// Rank-1 identification of the real FVC impressions, alone and hidden in a
// large synthetic gallery: impression 1 of every finger is enrolled, the
// other impressions are searched.
//   fpm_rank1 SYNTHETIC_GALLERY.fpg FVC_SET_DIR...
#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "fpmatch/fpmatch.hpp"

namespace {

struct Probe {
  fpm::EncodedTemplate t;
  std::string subject;
  std::size_t set;
};

double rank1(fpm::Engine& engine, const std::vector<Probe>& probes, std::size_t set, std::size_t* n) {
  std::vector<fpm::EncodedTemplate> ts;
  std::vector<const Probe*> ps;
  for (const Probe& p : probes)
    if (set == SIZE_MAX || p.set == set) {
      ts.push_back(p.t);
      ps.push_back(&p);
    }
  fpm::SearchOptions so;
  so.top_k = 1;
  std::size_t hits = 0;
  for (std::size_t start = 0; start < ts.size(); start += 64) {
    const std::vector<fpm::EncodedTemplate> batch(ts.begin() + static_cast<long>(start),
                                                  ts.begin() + static_cast<long>(std::min(ts.size(), start + 64)));
    const auto res = engine.search(batch, so);
    for (std::size_t i = 0; i < res.size(); ++i) hits += !res[i].empty() && res[i][0].subject == ps[start + i]->subject;
  }
  *n = ts.size();
  return ts.empty() ? 0.0 : static_cast<double>(hits) / static_cast<double>(ts.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SYNTHETIC_GALLERY.fpg FVC_SET_DIR...\n", argv[0]);
    return 2;
  }
  try {
    fpm::Gallery real;
    std::vector<std::pair<std::string, fpm::EncodedTemplate>> enrolled;
    std::vector<Probe> probes;
    for (int a = 2; a < argc; ++a) {
      const std::string dir = argv[a];
      DIR* d = ::opendir(dir.c_str());
      if (!d) throw fpm::Error(fpm::ErrorCode::Io, "cannot open " + dir);
      std::vector<std::string> names;
      while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') names.push_back(e->d_name);
      ::closedir(d);
      std::sort(names.begin(), names.end());
      for (const auto& n : names) {
        const std::string finger = n.substr(0, n.rfind('_'));
        const std::string imp = n.substr(n.rfind('_') + 1, n.find('.') - n.rfind('_') - 1);
        const std::string subject = "fvc" + std::to_string(a - 1) + "-" + finger;
        fpm::EncodedTemplate t = fpm::encode_cylinders(fpm::decode_file(dir + "/" + n).views.at(0));
        if (imp == "1")
          enrolled.emplace_back(subject, t);
        else
          probes.push_back({t, subject, static_cast<std::size_t>(a - 2)});
      }
    }
    for (const auto& e : enrolled) real.add(e.first, 0, e.second);
    fpm::Engine alone(real);
    const auto t0 = std::chrono::steady_clock::now();
    fpm::Gallery big = fpm::Gallery::load(argv[1]);
    const std::size_t synthetic = big.live_size();
    for (const auto& e : enrolled) big.add(e.first, 0, e.second);
    fpm::Engine hidden(std::move(big));
    std::printf("enrolled %zu real fingers; %zu probes; synthetic gallery %zu templates (loaded in %.1f s)\n",
                enrolled.size(), probes.size(), synthetic,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::printf("%-28s %10s %22s\n", "probes", "alone", "inside the synthetic");
    for (std::size_t set = 0; set <= static_cast<std::size_t>(argc - 3); ++set) {
      std::size_t n = 0;
      const double a = rank1(alone, probes, set, &n);
      const double h = rank1(hidden, probes, set, &n);
      std::printf("%-28s %9.2f%% %21.2f%%   (%zu probes)\n", argv[2 + set], 100 * a, 100 * h, n);
    }
    std::size_t n = 0;
    const double a = rank1(alone, probes, SIZE_MAX, &n);
    const double h = rank1(hidden, probes, SIZE_MAX, &n);
    std::printf("%-28s %9.2f%% %21.2f%%   (%zu probes)\n", "all", 100 * a, 100 * h, n);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fpm_rank1: %s\n", e.what());
    return 1;
  }
}
