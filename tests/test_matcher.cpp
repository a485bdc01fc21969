// The MCC/LSS-R matcher: cylinder properties, invariances, symmetry, parity of
// the SIMD paths, and the accuracy regression bar on the real templates.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>

#include "matcher_data.hpp"
#include "support.hpp"

using namespace fpm_test;

namespace {

fpm::Template make(std::vector<std::array<float, 3>> pts, std::uint8_t quality = 60) {
  std::vector<fpm::Minutia> ms;
  for (auto& p : pts) {
    fpm::Minutia m;
    m.x = p[0];
    m.y = p[1];
    m.theta = p[2];
    m.type = fpm::MinutiaType::RidgeEnding;
    m.quality = quality;
    ms.push_back(m);
  }
  return fpm::Template(fpm::TemplateInfo{}, ms);
}

// A rigid motion of the image: rotation by `a` (counter-clockwise as seen,
// y axis down) and a shift.
fpm::Template moved(const fpm::Template& t, double a, double tx, double ty) {
  std::vector<fpm::Minutia> ms = t.minutiae();
  const double c = std::cos(a), s = std::sin(a);
  for (auto& m : ms) {
    const double x = m.x, y = m.y;
    m.x = static_cast<float>(c * x + s * y + tx);
    m.y = static_cast<float>(-s * x + c * y + ty);
    m.theta = static_cast<float>(m.theta + a);
  }
  fpm::TemplateInfo info = t.info();
  info.width = info.height = 0;
  return fpm::Template(info, ms);
}

// A realistic random finger: minutiae on a jittered grid with smoothly
// varying directions, so that cylinders are valid.
fpm::Template synthetic_finger(std::mt19937& rng, int n = 40) {
  std::uniform_real_distribution<float> jitter(-6, 6), angle(0, 6.2831853f);
  std::vector<std::array<float, 3>> pts;
  const float base = angle(rng);
  for (int i = 0; i < n; ++i) {
    const float x = 60 + (i % 7) * 38 + jitter(rng);
    const float y = 60 + (i / 7) * 40 + jitter(rng);
    pts.push_back({x, y, std::fmod(base + 0.004f * x + 0.003f * y + (i % 2) * 3.14159f + angle(rng) * 0.05f, 6.2831853f)});
  }
  return make(pts);
}

}  // namespace

TEST_CASE("matcher: a lone minutia or an isolated pair has no valid cylinder", "[matcher]") {
  CHECK(fpm::encode(make({{100, 100, 0}})).cylinders() == 0);
  // minM = 2: each of two minutiae has only one neighbour.
  CHECK(fpm::encode(make({{100, 100, 0}, {120, 100, 1}})).cylinders() == 0);
  const fpm::EncodedTemplate empty = fpm::encode(fpm::Template());
  CHECK(empty.cylinders() == 0);
  CHECK(fpm::match(empty, empty) == 0.0f);
  std::mt19937 rng(1);
  const fpm::EncodedTemplate e = fpm::encode(synthetic_finger(rng));
  CHECK(e.cylinders() > 30);
  CHECK(e.bytes() == e.cylinders() * 236);
  CHECK(fpm::match(empty, e) == 0.0f);
}

TEST_CASE("matcher: quality rule drops a few low-quality minutiae only", "[matcher]") {
  std::mt19937 rng(2);
  const fpm::Template t = synthetic_finger(rng, 40);
  std::vector<fpm::Minutia> ms = t.minutiae();
  for (int i = 0; i < 6; ++i) ms[static_cast<std::size_t>(i) * 5].quality = 30;  // 15% low
  const fpm::Template few_low(t.info(), ms);
  fpm::CylinderOptions published;
  published.min_quality = 0;
  const auto kept_default = fpm::encode(few_low);
  const auto kept_all = fpm::encode(few_low, published);
  CHECK(kept_default.cylinders() < kept_all.cylinders());
  CHECK(kept_default.source_minutiae() == 40);
  for (auto& m : ms) m.quality = 30;  // all low: the scale says nothing, keep all
  CHECK(fpm::encode(fpm::Template(t.info(), ms)).cylinders() ==
        fpm::encode(fpm::Template(t.info(), ms), published).cylinders());
  for (auto& m : ms) m.quality = 0;  // not reported: never dropped
  CHECK(fpm::encode(fpm::Template(t.info(), ms)).cylinders() == fpm::encode(fpm::Template(t.info(), ms), published).cylinders());
  fpm::CylinderOptions bad;
  bad.max_dropped_percent = 101;
  CHECK_THROWS_AS(fpm::encode(t, bad), fpm::Error);
}

TEST_CASE("matcher: a template matches itself with the top score", "[matcher][shared-data]") {
  for (const char* set : {"fvc2002_db1b", "fvc2002_db2b"}) {
    const FvcSet s = load_fvc(set);
    fpm::Matcher m;
    for (std::size_t i = 0; i < s.encoded.size(); ++i) {
      const float self = m.match(s.encoded[i], s.encoded[i]);
      // About 0.99 from 27 valid cylinders on; smaller templates average
      // fewer pairs and their scores are scaled down (docs/matcher.md).
      CHECK(self > 0.5f);
      for (std::size_t j = 0; j < s.encoded.size(); ++j)
        if (j != i) CHECK(m.match(s.encoded[i], s.encoded[j]) < self);
    }
  }
}

TEST_CASE("matcher: scores are symmetric", "[matcher][shared-data]") {
  const FvcSet s = load_fvc("fvc2002_db2b");
  fpm::Matcher m;
  for (std::size_t i = 0; i < s.encoded.size(); ++i)
    for (std::size_t j = i + 1; j < s.encoded.size(); ++j)
      CHECK(m.match(s.encoded[i], s.encoded[j]) == m.match(s.encoded[j], s.encoded[i]));
}

// Moving both templates by the same rigid motion changes only float rounding
// (measured on FVC DB1: mean |change| about 5e-5; the largest, up to 0.04,
// come from minutia pairs exactly 90 degrees apart on the ISO angle grid,
// which sit on the direction gate).
TEST_CASE("matcher: rotating and translating both templates leaves scores unchanged", "[matcher][shared-data]") {
  const FvcSet s = load_fvc("fvc2002_db1b");
  fpm::Matcher m;
  for (double a : {0.3, 2.0, 3.1, 5.5}) {
    std::vector<fpm::EncodedTemplate> r;
    for (const auto& t : s.templates) r.push_back(fpm::encode(moved(t, a, 900, 700)));
    double sum = 0, worst = 0;
    std::size_t close = 0, n = 0;
    for (std::size_t i = 0; i < r.size(); ++i) {
      CHECK(r[i].cylinders() == s.encoded[i].cylinders());
      for (std::size_t j = 0; j < r.size(); ++j) {
        const double d = std::fabs(m.match(s.encoded[i], s.encoded[j]) - m.match(r[i], r[j]));
        sum += d;
        worst = std::max(worst, d);
        close += d <= 0.005;
        ++n;
      }
    }
    INFO("angle " << a << ": mean " << sum / n << ", worst " << worst);
    CHECK(sum / n < 2e-4);
    CHECK(worst < 0.05);
    CHECK(static_cast<double>(close) / n > 0.995);
  }
}

// Impressions of one finger differ by small rotations: within +-30 degrees
// a moved copy still finds its original first. (MCC's direction gate of 90
// degrees is meant for impressions within roughly that range.)
TEST_CASE("matcher: a rotated copy finds its original first", "[matcher][shared-data]") {
  const FvcSet s = load_fvc("fvc2002_db1b");
  fpm::Matcher m;
  for (double a : {-0.5, 0.25, 0.5}) {
    for (std::size_t i = 0; i < s.templates.size(); ++i) {
      const fpm::EncodedTemplate r = fpm::encode(moved(s.templates[i], a, 300, 200));
      const float own = m.match(r, s.encoded[i]);
      for (std::size_t j = 0; j < s.templates.size(); ++j)
        if (j != i) CHECK(m.match(r, s.encoded[j]) < own);
    }
  }
}

TEST_CASE("matcher: scalar and SIMD paths give identical scores", "[matcher][shared-data]") {
  std::vector<fpm::SimdLevel> levels = {fpm::SimdLevel::Scalar};
  for (fpm::SimdLevel l : {fpm::SimdLevel::Avx2, fpm::SimdLevel::Avx512})
    if (fpm::simd_level_supported(l)) levels.push_back(l);
  if (levels.size() == 1) skip("this CPU has neither AVX2 nor AVX-512");
  std::vector<fpm::Matcher> matchers;
  for (fpm::SimdLevel l : levels) matchers.emplace_back(l);
  std::size_t compared = 0;
  for (const char* set : {"fvc2002_db1b", "fvc2002_db2b"}) {
    const FvcSet s = load_fvc(set);
    for (std::size_t i = 0; i < s.encoded.size(); ++i)
      for (std::size_t j = 0; j < s.encoded.size(); ++j) {
        const float ref = matchers[0].match(s.encoded[i], s.encoded[j]);
        for (std::size_t l = 1; l < matchers.size(); ++l) {
          const float v = matchers[l].match(s.encoded[i], s.encoded[j]);
          if (v != ref) FAIL_CHECK(s.names[i] << " vs " << s.names[j] << ": " << fpm::simd_level_name(levels[l]) << " "
                                               << v << " != scalar " << ref);
        }
        ++compared;
      }
  }
  CHECK(compared == 2 * 80 * 80);
}

// Genuine pairs of synthetic impressions (fresh seed each run, printed):
// many more compatible pairs of pairs than the real impostor-heavy sets, so
// the SIMD LSS-R's skipping of zero compatibilities meets its edge cases.
TEST_CASE("matcher: scalar and SIMD paths agree on fresh synthetic impressions", "[matcher]") {
  std::vector<fpm::SimdLevel> levels = {fpm::SimdLevel::Scalar};
  for (fpm::SimdLevel l : {fpm::SimdLevel::Avx2, fpm::SimdLevel::Avx512})
    if (fpm::simd_level_supported(l)) levels.push_back(l);
  if (levels.size() == 1) skip("this CPU has neither AVX2 nor AVX-512");
  const std::uint64_t seed = fresh_seed("SIMD parity");
  fpm::SynthOptions o;
  o.seed = seed;
  const fpm::SyntheticFingers sf(o);
  std::vector<fpm::EncodedTemplate> es;
  for (std::uint64_t subject = 0; subject < 12; ++subject)
    for (std::uint64_t imp = 0; imp < 4; ++imp) es.push_back(fpm::encode(sf.impression(subject, 1 + subject % 10, imp)));
  // Regular lattices: large ties at the selection's floor (the SIMD
  // selections' fallback).
  for (int side : {6, 9, 11}) es.push_back(fpm::encode(lattice_template(side)));
  std::vector<fpm::Matcher> matchers;
  for (fpm::SimdLevel l : levels) matchers.emplace_back(l);
  int genuine_nonzero = 0;
  for (std::size_t i = 0; i < es.size(); ++i)
    for (std::size_t j = 0; j < es.size(); ++j) {
      const float ref = matchers[0].match(es[i], es[j]);
      if (i < 48 && j < 48 && i / 4 == j / 4 && i != j && ref > 0.05f) ++genuine_nonzero;
      for (std::size_t l = 1; l < matchers.size(); ++l) {
        const float v = matchers[l].match(es[i], es[j]);
        if (v != ref)
          FAIL_CHECK("seed " << seed << ", " << i << " vs " << j << ": " << fpm::simd_level_name(levels[l]) << " " << v
                             << " != scalar " << ref);
      }
    }
  // Most of the 144 genuine pairs score clearly: the relaxation was exercised.
  CHECK(genuine_nonzero > 72);
}

TEST_CASE("matcher: Matcher refuses SIMD levels this CPU lacks", "[matcher]") {
  for (fpm::SimdLevel l : {fpm::SimdLevel::Avx2, fpm::SimdLevel::Avx512})
    if (!fpm::simd_level_supported(l)) CHECK_THROWS_AS(fpm::Matcher(l), fpm::Error);
  CHECK(fpm::Matcher(fpm::SimdLevel::Auto).level() == fpm::best_simd_level());
  CHECK(fpm::Matcher(fpm::SimdLevel::Scalar).level() == fpm::SimdLevel::Scalar);
}

// The accuracy recorded in bench/RESULTS.md, reproduced exactly: any change
// to the matcher that moves these numbers must update them (and the notes).
TEST_CASE("matcher: eval on the shared sets reproduces the recorded accuracy", "[matcher][shared-data]") {
  const std::string root = require_data_dir();
  const fpm::Evaluation ev = fpm::evaluate_folders({root + "/fvc2002_db1b/iso", root + "/fvc2002_db2b/iso"});
  REQUIRE(ev.folder_rates.size() == 2);
  const fpm::ErrorRates& db1 = ev.folder_rates[0];
  const fpm::ErrorRates& db2 = ev.folder_rates[1];
  CHECK(db1.genuine == 280);
  CHECK(db1.impostor == 2880);
  CHECK(db1.eer == Approx(0.010565476190476191).epsilon(1e-12));
  CHECK(db1.fnmr_at_fmr_1pct == Approx(3.0 / 280).epsilon(1e-12));
  CHECK(db1.fnmr_at_fmr_01pct == Approx(5.0 / 280).epsilon(1e-12));
  CHECK(db2.eer == Approx(0.007564484126984126).epsilon(1e-12));
  CHECK(db2.fnmr_at_fmr_1pct == Approx(2.0 / 280).epsilon(1e-12));
  CHECK(db2.fnmr_at_fmr_01pct == Approx(3.0 / 280).epsilon(1e-12));
  // The bar of the matcher issue: better than SourceAFIS and bozorth3 on both sets.
  CHECK(db1.eer < 0.0250);
  CHECK(db1.fnmr_at_fmr_01pct < 0.0321);
  CHECK(db2.eer < 0.0143);
  CHECK(db2.fnmr_at_fmr_01pct < 0.0250);
  CHECK(ev.rates.impostor == 12160);
}
