// Matcher throughput on the real templates: template comparisons per second
// on one thread with the probe encoded once (1:N style), per SIMD level, and
// encoding time per template. Reads ../shared/data (or $FPM_DATA_DIR).
#include <benchmark/benchmark.h>
#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "fpmatch/fpmatch.hpp"

namespace {

std::string data_dir() {
  const char* env = std::getenv("FPM_DATA_DIR");
  return env && *env ? env : FPM_DEFAULT_DATA_DIR;
}

std::vector<fpm::Template> load_templates() {
  std::vector<fpm::Template> out;
  for (const char* set : {"fvc2002_db1b", "fvc2002_db2b"}) {
    const std::string dir = data_dir() + "/" + set + "/iso";
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) out.push_back(fpm::decode_file(dir + "/" + n).views.at(0));
  }
  return out;
}

const std::vector<fpm::Template>& templates() {
  static const std::vector<fpm::Template> t = load_templates();
  return t;
}

const std::vector<fpm::EncodedTemplate>& encoded() {
  static const std::vector<fpm::EncodedTemplate> e = [] {
    std::vector<fpm::EncodedTemplate> v;
    for (const auto& t : templates()) v.push_back(fpm::encode_cylinders(t));
    return v;
  }();
  return e;
}

void BM_Encode(benchmark::State& state) {
  const auto& ts = templates();
  if (ts.empty()) return state.SkipWithError("shared data not found");
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(fpm::encode_cylinders(ts[i++ % ts.size()]));
  state.SetItemsProcessed(state.iterations());
}

// One probe against every other template, probe by probe: comparisons/s.
void BM_Match(benchmark::State& state) {
  const auto level = static_cast<fpm::SimdLevel>(state.range(0));
  if (!fpm::simd_level_supported(level)) return state.SkipWithError("SIMD level not supported here");
  const auto& es = encoded();
  if (es.empty()) return state.SkipWithError("shared data not found");
  fpm::Matcher m(level);
  std::size_t probe = 0, cand = 1;
  float sink = 0;
  for (auto _ : state) {
    sink += m.match(es[probe], es[cand]);
    if (++cand == es.size()) {
      cand = 0;
      probe = (probe + 1) % es.size();
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(fpm::simd_level_name(level));
}

}  // namespace

BENCHMARK(BM_Encode)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Match)->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMicrosecond);
