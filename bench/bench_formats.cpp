// Decoding and encoding throughput of the record codecs (records per second),
// on made-up 40-minutia records.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>

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

// An ANSI/NIST-ITL transaction holding `t` as a Type-9 record in the
// standard format (0.01 mm from the bottom-left corner, NIST direction),
// after a Type-4 image record that gives its height.
std::vector<std::uint8_t> an2k_transaction(const fpm::Template& t) {
  const std::string GS = "\x1d", RS = "\x1e", US = "\x1f", FS = "\x1c";
  auto record = [&](int type, const std::string& fields) {
    const std::string body = fields + FS;
    std::size_t n = body.size();
    for (;;) {
      const std::string head = std::to_string(type) + ".001:" + std::to_string(n);
      if (head.size() + body.size() == n) return head + body;
      n = head.size() + body.size();
    }
  };
  const double per_mm = 500.0 / 25.4;
  std::string mrc;
  int i = 0;
  for (const fpm::Minutia& m : t.minutiae()) {
    const long x = std::lround(m.x / per_mm * 100), y = std::lround((t.info().height - m.y) / per_mm * 100);
    const long th = (std::lround(m.theta * 180 / 3.14159265358979323846) + 180) % 360;
    char xyt[16], idx[8];
    std::snprintf(xyt, sizeof xyt, "%04ld%04ld%03ld", x, y, th);
    std::snprintf(idx, sizeof idx, "%03d", ++i);
    mrc += (i > 1 ? RS : "") + idx + US + xyt + US + "20" + US + "A" + US + "1,2";
  }
  const std::string t9 = record(9, GS + "9.002:01" + GS + "9.003:1" + GS + "9.004:S" + GS + "9.006:02" + GS +
                                       "9.010:" + std::to_string(t.size()) + GS + "9.011:1" + GS + "9.012:" + mrc);
  std::string t4(18, '\0');
  t4[3] = 18, t4[4] = 1, t4[12] = 1;                                                 // length, IDC, native resolution
  t4[13] = static_cast<char>(400 >> 8), t4[14] = static_cast<char>(400 & 0xff);     // width
  t4[15] = static_cast<char>(500 >> 8), t4[16] = static_cast<char>(500 & 0xff);     // height
  const std::string t1 = record(1, GS + "1.002:0300" + GS + "1.003:1" + US + "2" + RS + "4" + US + "01" + RS + "9" +
                                       US + "01" + GS + "1.004:CAR" + GS + "1.011:19.69" + GS + "1.012:19.69");
  const std::string all = t1 + t4 + t9;
  return {all.begin(), all.end()};
}

void BM_DecodeAn2k(benchmark::State& state) {
  const auto bytes = an2k_transaction(make_template(40));
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
BENCHMARK(BM_DecodeAn2k);
BENCHMARK_CAPTURE(BM_Encode, iso2005, fpm::Format::Iso19794_2_2005);
BENCHMARK_CAPTURE(BM_Encode, xyt, fpm::Format::NistXyt);
