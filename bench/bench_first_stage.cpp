// Stage 1 of the two-stage search (docs/two-stage.md) on one core: code
// scores per second per SIMD level and batch size, against the bandwidth
// floor of reading the codes (one core's streaming read rate, measured
// here too). The gallery codes are read once per batch, so a batch of B
// probes needs 516 / B bytes of codes per score: stage 1 is bound by
// compute when its bytes per second stay well below the streaming rate.
//
// The engine's own stage 1 is timed through a two-stage search with the
// smallest shortlist (top 10 of a 10,000-template synthetic gallery): the
// 10 x B full comparisons of stage 2 are under 1% of a batch's time.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "fpmatch/fpmatch.hpp"

namespace {

constexpr std::size_t kTemplates = 10000;
constexpr double kCodeBytes = 516;  // 512 bytes of code and its 4-byte slot count (gallery-format.md)

const fpm::Gallery& gallery() {
  static const fpm::Gallery g = [] {
    fpm::SynthOptions so;
    so.seed = 2029;
    const fpm::SyntheticFingers sf(so);
    std::vector<fpm::Template> ts;
    for (std::size_t s = 0; s < kTemplates / 2; ++s)
      for (int f = 1; f <= 2; ++f) ts.push_back(sf.impression(s, f, 0));
    const std::vector<fpm::EncodedTemplate> enc = fpm::encode_cylinders_all(ts);
    fpm::Gallery out;
    for (std::size_t i = 0; i < enc.size(); ++i)
      out.add("s" + std::to_string(i / 2), static_cast<std::uint8_t>(1 + i % 2), enc[i]);
    return out;
  }();
  return g;
}

void BM_FirstStage(benchmark::State& state, fpm::SimdLevel level, std::size_t batch) {
  if (!fpm::simd_level_supported(level)) return state.SkipWithError("SIMD level not supported here");
  fpm::EngineOptions eo;
  eo.backend = fpm::Backend::Cpu;
  eo.threads = 1;
  eo.simd = level;
  const fpm::Engine engine(gallery(), eo);
  const fpm::SyntheticFingers sf(fpm::SynthOptions{2029});
  std::vector<fpm::EncodedTemplate> probes;
  for (std::size_t p = 0; p < batch; ++p) probes.push_back(fpm::encode_cylinders(sf.impression(p * 37, 1, 1)));
  fpm::SearchOptions so;
  so.top_k = 10;
  so.shortlist = 10;
  for (auto _ : state) benchmark::DoNotOptimize(engine.search(probes, so));
  const double codes = static_cast<double>(kTemplates);
  state.counters["codes_per_second"] =
      benchmark::Counter(codes * static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["code_bytes_per_second"] =
      benchmark::Counter(codes * kCodeBytes, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(fpm::simd_level_name(level));
}

// One core reading a buffer far larger than the caches: the bandwidth floor.
void BM_StreamRead(benchmark::State& state) {
  const std::size_t words = std::size_t(512) << 20 >> 3;  // 512 MiB
  std::unique_ptr<std::uint64_t[]> buf(new std::uint64_t[words]);
  for (std::size_t i = 0; i < words; ++i) buf[i] = i;
  for (auto _ : state) benchmark::DoNotOptimize(std::accumulate(buf.get(), buf.get() + words, std::uint64_t(0)));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * words * 8));
}

const bool registered = [] {
  for (fpm::SimdLevel level : {fpm::SimdLevel::Scalar, fpm::SimdLevel::Avx2, fpm::SimdLevel::Avx512})
    for (std::size_t batch : {1, 16})
      benchmark::RegisterBenchmark(("BM_FirstStage/" + std::string(fpm::simd_level_name(level)) +
                                    "/batch:" + std::to_string(batch)).c_str(),
                                   BM_FirstStage, level, batch)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
  benchmark::RegisterBenchmark("BM_StreamRead", BM_StreamRead)->Unit(benchmark::kMillisecond)->UseRealTime();
  return true;
}();

}  // namespace
