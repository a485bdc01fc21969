// Decoding and encoding throughput of the record codecs (records per second),
// on made-up 40-minutia records.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "fpmatch/fpmatch.hpp"

namespace {

fpm::Template make_template(int n) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> ux(0, 399), uy(0, 499), ua(0, 179);
  std::vector<fpm::Minutia> ms(static_cast<std::size_t>(n));
  for (auto& m : ms) {
    m.x = static_cast<float>(ux(rng));
    m.y = static_cast<float>(uy(rng));
    m.theta = static_cast<float>(ua(rng) * 3.14159265358979323846 / 90);
    m.type = fpm::MinutiaType::RidgeEnding;
    m.quality = 60;
  }
  fpm::TemplateInfo info;
  info.width = 400;
  info.height = 500;
  return fpm::Template(info, ms);
}

void BM_Decode(benchmark::State& state, fpm::Format f) {
  const auto bytes = fpm::encode({make_template(40)}, f);
  fpm::DecodeOptions o;
  o.format = f;
  o.xyt_image_height = 500;
  for (auto _ : state) benchmark::DoNotOptimize(fpm::decode(bytes, o));
  state.SetItemsProcessed(state.iterations());
}

void BM_DecodeAuto(benchmark::State& state) {
  const auto bytes = fpm::encode({make_template(40)}, fpm::Format::Ansi378_2004);
  for (auto _ : state) benchmark::DoNotOptimize(fpm::decode(bytes));
  state.SetItemsProcessed(state.iterations());
}

void BM_Encode(benchmark::State& state, fpm::Format f) {
  const std::vector<fpm::Template> t = {make_template(40)};
  for (auto _ : state) benchmark::DoNotOptimize(fpm::encode(t, f));
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK_CAPTURE(BM_Decode, iso2005, fpm::Format::Iso19794_2_2005);
BENCHMARK_CAPTURE(BM_Decode, ansi2004, fpm::Format::Ansi378_2004);
BENCHMARK_CAPTURE(BM_Decode, xyt, fpm::Format::NistXyt);
BENCHMARK(BM_DecodeAuto);
BENCHMARK_CAPTURE(BM_Encode, iso2005, fpm::Format::Iso19794_2_2005);
BENCHMARK_CAPTURE(BM_Encode, xyt, fpm::Format::NistXyt);
