// Mutated and random inputs: every decoder either decodes or throws
// DecodeError; nothing else escapes, nothing crashes (the sanitizer build
// runs this too). The libFuzzer targets in fuzz/ do the same at scale.
#include <catch2/catch.hpp>

#include "decode_helpers.hpp"
#include "record_builders.hpp"
#include "support.hpp"

using fpm::Format;
using namespace fpm_test;

namespace {

void decode_all_ways(const std::vector<std::uint8_t>& b) {
  for (Format f : {Format::Auto, Format::Iso19794_2_2005, Format::Iso19794_2_2011, Format::Ansi378_2004,
                   Format::Ansi378_2009, Format::NistXyt}) {
    for (bool strict : {false, true}) {
      try {
        const fpm::DecodedRecord rec = fpm::decode(b, as(f, strict));
        REQUIRE_FALSE(rec.views.empty());
        if (strict) REQUIRE(rec.warnings.empty());
      } catch (const fpm::DecodeError&) {
      }
    }
  }
  (void)fpm::detect_format(b.data(), b.size());
}

}  // namespace

TEST_CASE("robustness: mutated records never escape as anything but DecodeError", "[robustness]") {
  std::mt19937 rng(1234);
  std::vector<std::vector<std::uint8_t>> seeds;
  const auto t = random_template(rng, 12);
  seeds.push_back(fpm::encode(numbered_views({t, t}), Format::Iso19794_2_2005));
  seeds.push_back(fpm::encode({t}, Format::Ansi378_2004));
  seeds.push_back(fpm::encode({t}, Format::NistXyt));
  Rep2011 rep;
  rep.minutiae.push_back({1, 10, 10, 0, 50});
  rep.extended = {0, 1, 0, 6, 1, 2};
  seeds.push_back(build_iso2011({rep, rep}, true));
  View2009 view;
  view.minutiae.push_back({2, 5, 5, 10, 50});
  seeds.push_back(build_ansi2009({view, view}));

  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 4000; ++i) {
    std::vector<std::uint8_t> b = seeds[static_cast<std::size_t>(i) % seeds.size()];
    const int edits = 1 + i % 4;
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = std::uniform_int_distribution<std::size_t>(0, b.size() - 1)(rng);
      switch (byte(rng) % 4) {
        case 0: b[at] = static_cast<std::uint8_t>(byte(rng)); break;
        case 1: b[at] ^= static_cast<std::uint8_t>(1u << (byte(rng) % 8)); break;
        case 2: b.resize(std::max<std::size_t>(at, 1)); break;
        default: b.insert(b.begin() + static_cast<long>(at), static_cast<std::uint8_t>(byte(rng))); break;
      }
      if (b.empty()) b.push_back(0);
    }
    decode_all_ways(b);
  }
}

TEST_CASE("robustness: random bytes never escape as anything but DecodeError", "[robustness]") {
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::uint8_t> b(static_cast<std::size_t>(i % 97));
    for (auto& x : b) x = static_cast<std::uint8_t>(byte(rng));
    if (i % 3 == 0 && b.size() >= 8) std::copy_n("FMR\0 20\0", 8, b.begin());
    if (i % 3 == 1 && b.size() >= 8) std::copy_n("FMR\0" "030\0", 8, b.begin());
    decode_all_ways(b);
  }
}
