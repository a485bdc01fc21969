// 1:N search throughput of the engine on large gallery files, and their
// load speed. Galleries come from FPM_BENCH_GALLERIES (comma-separated paths,
// e.g. written by `fpmatch synth`); without it these benchmarks are skipped.
// FPM_BENCH_SIMD=scalar|avx2|avx512 forces the CPU matcher's SIMD level
// (default: the best this CPU has), to compare levels on one machine.
// Each run is a single iteration: a batch of 64 probes against a million
// templates is tens of millions of comparisons.
#include <benchmark/benchmark.h>
#include <cstdio>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "fpmatch/fpmatch.hpp"

namespace {

std::vector<std::string> gallery_paths() {
  std::vector<std::string> out;
  const char* env = std::getenv("FPM_BENCH_GALLERIES");
  if (!env) return out;
  std::stringstream ss(env);
  for (std::string p; std::getline(ss, p, ',');)
    if (!p.empty()) out.push_back(p);
  return out;
}

fpm::SimdLevel simd_level_from_env() {
  const char* env = std::getenv("FPM_BENCH_SIMD");
  const std::string v = env ? env : "";
  if (v == "scalar") return fpm::SimdLevel::Scalar;
  if (v == "avx2") return fpm::SimdLevel::Avx2;
  if (v == "avx512") return fpm::SimdLevel::Avx512;
  if (!v.empty()) std::fprintf(stderr, "FPM_BENCH_SIMD=%s: not scalar, avx2 or avx512; using the best level\n", v.c_str());
  return fpm::SimdLevel::Auto;
}

struct Loaded {
  std::unique_ptr<fpm::Engine> engine;
  std::vector<fpm::EncodedTemplate> probes;  // 64 entries spread over the gallery
  std::size_t templates = 0;
  unsigned threads = 0;
};

// One engine per (gallery, threads), built on first use and kept.
Loaded& loaded(const std::string& path, unsigned threads) {
  static std::map<std::pair<std::string, unsigned>, Loaded> cache;
  auto key = std::make_pair(path, threads);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (!cache.empty()) cache.clear();  // one multi-gigabyte gallery in memory at a time
  Loaded l;
  fpm::Gallery g = fpm::Gallery::load(path);
  for (std::size_t i = 0; l.probes.size() < 64; ++i) l.probes.push_back(g.encoded((i * 104729) % g.size()));
  l.templates = g.live_size();
  fpm::EngineOptions eo;
  eo.backend = fpm::Backend::Cpu;
  eo.threads = static_cast<int>(threads);
  eo.simd = simd_level_from_env();
  l.engine = std::make_unique<fpm::Engine>(std::move(g), eo);
  l.threads = static_cast<unsigned>(l.engine->threads());
  return cache.emplace(key, std::move(l)).first->second;
}

void BM_Search(benchmark::State& state, std::string path, std::size_t batch, unsigned threads) {
  Loaded& l = loaded(path, threads);
  const std::vector<fpm::EncodedTemplate> probes(l.probes.begin(), l.probes.begin() + static_cast<long>(batch));
  std::uint64_t comparisons = 0;
  for (auto _ : state) {
    const std::uint64_t c0 = l.engine->comparisons();
    benchmark::DoNotOptimize(l.engine->search(probes));
    comparisons += l.engine->comparisons() - c0;
  }
  state.counters["comparisons_per_s"] = benchmark::Counter(static_cast<double>(comparisons), benchmark::Counter::kIsRate);
  state.counters["per_thread"] =
      benchmark::Counter(static_cast<double>(comparisons) / l.threads, benchmark::Counter::kIsRate);
  state.counters["templates"] = static_cast<double>(l.templates);
  state.counters["threads"] = l.threads;
}

void BM_Load(benchmark::State& state, std::string path) {
  struct stat st;
  ::stat(path.c_str(), &st);
  for (auto _ : state) benchmark::DoNotOptimize(fpm::Gallery::load(path));
  state.counters["GB_per_s"] = benchmark::Counter(static_cast<double>(st.st_size) * state.iterations() / 1e9,
                                                  benchmark::Counter::kIsRate);
  state.counters["file_GB"] = static_cast<double>(st.st_size) / 1e9;
}

const bool registered = [] {
  const unsigned all = std::max(1u, std::thread::hardware_concurrency());
  for (const std::string& p : gallery_paths()) {
    const std::string name = p.substr(p.find_last_of('/', p.size() - 1 - std::string("/gallery.fpg").size()) + 1);
    benchmark::RegisterBenchmark(("BM_Load/" + name).c_str(), BM_Load, p)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
    for (unsigned threads : {1u, all})
      for (std::size_t batch : {1, 16, 64})
        benchmark::RegisterBenchmark(("BM_Search/" + name + "/batch:" + std::to_string(batch) + "/threads:" +
                                      std::to_string(threads)).c_str(),
                                     BM_Search, p, batch, threads)
            ->Iterations(1)
            ->Unit(benchmark::kSecond)
            ->UseRealTime();
  }
  return true;
}();

}  // namespace
