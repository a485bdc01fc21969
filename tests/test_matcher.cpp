// The MCC/LSS-R matcher: cylinder properties, invariances, symmetry, parity of
// the SIMD paths, and the accuracy regression bar on the real templates.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "access.hpp"
#include "matcher_data.hpp"
#include "reference_encoder.hpp"
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
  CHECK(fpm::encode_cylinders(make({{100, 100, 0}})).cylinders() == 0);
  // minM = 2: each of two minutiae has only one neighbour.
  CHECK(fpm::encode_cylinders(make({{100, 100, 0}, {120, 100, 1}})).cylinders() == 0);
  const fpm::EncodedTemplate empty = fpm::encode_cylinders(fpm::Template());
  CHECK(empty.cylinders() == 0);
  CHECK(fpm::match(empty, empty) == 0.0f);
  std::mt19937 rng(1);
  const fpm::EncodedTemplate e = fpm::encode_cylinders(synthetic_finger(rng));
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
  const auto kept_default = fpm::encode_cylinders(few_low);
  const auto kept_all = fpm::encode_cylinders(few_low, published);
  CHECK(kept_default.cylinders() < kept_all.cylinders());
  CHECK(kept_default.source_minutiae() == 40);
  for (auto& m : ms) m.quality = 30;  // all low: the scale says nothing, keep all
  CHECK(fpm::encode_cylinders(fpm::Template(t.info(), ms)).cylinders() ==
        fpm::encode_cylinders(fpm::Template(t.info(), ms), published).cylinders());
  for (auto& m : ms) m.quality = 0;  // not reported: never dropped
  CHECK(fpm::encode_cylinders(fpm::Template(t.info(), ms)).cylinders() == fpm::encode_cylinders(fpm::Template(t.info(), ms), published).cylinders());
  fpm::CylinderOptions bad;
  bad.max_dropped_percent = 101;
  CHECK_THROWS_AS(fpm::encode_cylinders(t, bad), fpm::Error);
}

namespace {

// `n` minutiae at random pixels of a `side` x `side` square at (x0, y0), with
// random directions (on the ISO grid of 256 when `iso_angles`) and qualities
// drawn from `qualities`.
fpm::Template random_square(std::mt19937& rng, int n, int side, std::vector<std::uint8_t> qualities,
                            float x0 = 0, float y0 = 0, bool iso_angles = false) {
  std::uniform_int_distribution<int> pos(0, side - 1), q(0, static_cast<int>(qualities.size()) - 1), unit(0, 255);
  std::uniform_real_distribution<float> angle(0, 6.2831853f);
  std::vector<fpm::Minutia> ms;
  for (int i = 0; i < n; ++i) {
    fpm::Minutia m;
    m.x = x0 + static_cast<float>(pos(rng));
    m.y = y0 + static_cast<float>(pos(rng));
    m.theta = iso_angles ? static_cast<float>(unit(rng) * (2 * 3.14159265358979323846 / 256)) : angle(rng);
    m.type = fpm::MinutiaType::Bifurcation;
    m.quality = qualities[static_cast<std::size_t>(q(rng))];
    ms.push_back(m);
  }
  return fpm::Template(fpm::TemplateInfo{}, ms);
}

std::vector<std::uint8_t> all_qualities() {
  std::vector<std::uint8_t> q;
  for (int v = 0; v <= 100; ++v) q.push_back(static_cast<std::uint8_t>(v));
  return q;
}

// encode() against the encoder that built every cylinder before capping
// (reference_encoder.hpp): the same cylinders, in the same order, bit for bit.
void check_same_as_reference(const fpm::Template& t, const fpm::CylinderOptions& o = {}) {
  const fpm::EncodedTemplate got = fpm::encode_cylinders(t, o);
  const fpm::EncodedTemplate want = reference::encode(t, o);
  const auto& a = fpm::detail::Access::data(got);
  const auto& b = fpm::detail::Access::data(want);
  INFO(t.size() << " minutiae, " << b.n() << " cylinders expected");
  CHECK(a.source_index == b.source_index);
  CHECK(a.x == b.x);
  CHECK(a.y == b.y);
  CHECK(a.theta == b.theta);
  CHECK(a.valid == b.valid);
  CHECK(a.bits == b.bits);
  CHECK(a.hash == b.hash);
  CHECK(a.source_minutiae == b.source_minutiae);
}

}  // namespace

TEST_CASE("matcher: encoding keeps the cylinders of the build-everything encoder", "[matcher]") {
  std::mt19937 rng(11);
  const std::vector<std::uint8_t> all = all_qualities();
  // Over the 128-cylinder cap: dense, most minutiae valid, quality ties.
  check_same_as_reference(random_square(rng, 400, 300, all));
  // Few quality values: long ties, broken by input order.
  check_same_as_reference(random_square(rng, 500, 400, {60, 61}));
  check_same_as_reference(random_square(rng, 300, 250, {0}));
  // Low qualities dropped (under 40 % of them), ISO 2011's 254/255 never.
  check_same_as_reference(random_square(rng, 600, 500, {20, 60, 70, 80, 254, 255}));
  fpm::CylinderOptions published;
  published.min_quality = 0;
  check_same_as_reference(random_square(rng, 600, 500, {20, 60, 70, 80, 254, 255}), published);
  // Sparse: few minutiae have neighbours, so the cap is not reached and
  // every minutia is tried.
  check_same_as_reference(random_square(rng, 1500, 16000, all));
  // Under the cap: ordinary fingers, and a lattice (every cylinder valid).
  for (int i = 0; i < 5; ++i) check_same_as_reference(synthetic_finger(rng, 30 + 10 * i));
  check_same_as_reference(lattice_template(11));
  // Crowded neighbourhoods (over 256 neighbours): at distinct positions
  // (computed as usual), then sharing positions and directions (computed
  // once per distinct position and direction): a blob inside a frame, which
  // makes the blob's cylinders valid, and piles at a few points.
  check_same_as_reference(random_square(rng, 700, 200, all));
  for (int side : {12, 40}) {
    std::vector<fpm::Minutia> framed = random_square(rng, 500, side, {50, 60, 70}, 240, 240, true).minutiae();
    for (int c = 0; c < 4; ++c) {
      fpm::Minutia corner = framed[0];
      corner.x = static_cast<float>(100 + 300 * (c & 1));
      corner.y = static_cast<float>(100 + 300 * (c >> 1));
      framed.insert(framed.begin() + 100 * c, corner);
    }
    check_same_as_reference(fpm::Template(fpm::TemplateInfo{}, framed));
  }
  const fpm::Template base = random_square(rng, 300, 300, all, 100, 100);
  std::vector<fpm::Minutia> ms = base.minutiae();
  for (int i = 0; i < 400; ++i) ms.push_back(ms[static_cast<std::size_t>(i % 5)]);
  check_same_as_reference(fpm::Template(base.info(), ms));
}

TEST_CASE("matcher: encoding 10,000 minutiae takes well under a second", "[matcher]") {
  // 10,000 minutiae (the most a .xyt file may hold) used to cost a cylinder
  // each, with a scan of all the others: about 12 s. The cap of 128
  // cylinders is now applied first. 4 s leaves room for sanitizer builds.
  std::mt19937 rng(12);
  std::vector<fpm::Template> cases;
  cases.push_back(random_square(rng, 10000, 500, all_qualities()));  // dense, all valid
  cases.push_back(random_square(rng, 10000, 16000, all_qualities()));  // sparse
  std::vector<fpm::Minutia> pile(10000, cases[0].minutiae()[0]);  // one point: no valid cylinder
  cases.emplace_back(fpm::TemplateInfo{}, pile);
  std::vector<fpm::Minutia> few = cases[0].minutiae();  // ... a few real ones, then the pile
  few.resize(300);
  few.insert(few.end(), pile.begin(), pile.end() - 300);
  cases.emplace_back(fpm::TemplateInfo{}, few);
  for (const fpm::Template& t : cases) {
    const auto start = std::chrono::steady_clock::now();
    const fpm::EncodedTemplate e = fpm::encode_cylinders(t);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO("encoding " << t.size() << " minutiae took " << seconds << " s, " << e.cylinders() << " cylinders");
    CHECK(seconds < 4.0);
    CHECK(e.cylinders() <= 128);
    CHECK(e.source_minutiae() == 10000);
  }
  CHECK(fpm::encode_cylinders(cases[0]).cylinders() == 128);
  CHECK(fpm::encode_cylinders(cases[2]).cylinders() == 0);
}

TEST_CASE("matcher: the real templates encode as with the build-everything encoder", "[matcher][shared-data]") {
  for (const char* set : {"fvc2002_db1b", "fvc2002_db2b"}) {
    const FvcSet s = load_fvc(set);
    for (const fpm::Template& t : s.templates) check_same_as_reference(t);
  }
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
    for (const auto& t : s.templates) r.push_back(fpm::encode_cylinders(moved(t, a, 900, 700)));
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
      const fpm::EncodedTemplate r = fpm::encode_cylinders(moved(s.templates[i], a, 300, 200));
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
  // 12 fingers of 4 impressions, then regular lattices: large ties at the
  // selection's floor (the SIMD selections' fallback).
  const std::vector<fpm::EncodedTemplate> es = parity_templates(seed, 12, 4);
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

// The accuracy recorded in bench/RESULTS.md and docs/matcher.md, reproduced
// exactly on all eight shared sets: any change to the matcher that moves
// these numbers must update them (and the notes).
TEST_CASE("matcher: eval on the shared sets reproduces the recorded accuracy", "[matcher][shared-data]") {
  const fpm::Evaluation& ev = fpm_test::shared_sets_evaluation();
  struct Expected {
    std::size_t genuine, impostor;
    double eer;
    int fnmr_1pct, fnmr_01pct, fnmr_001pct;  // rejected genuine pairs at FMR 1%, 0.1%, 0.01%
  };
  // FingerJetFX DB1_B-DB4_B, SecuGen DB1_B-DB4_B (DB3_B FingerJetFX lacks one file).
  const Expected expected[8] = {
      {280, 2880, 0.010565476190476191, 3, 5, 5},   {280, 2880, 0.007564484126984126, 2, 3, 5},
      {273, 2808, 0.1318172568172568, 46, 52, 91},  {280, 2880, 0.025173611111111112, 9, 15, 33},
      {280, 2880, 0.025, 8, 18, 23},                {280, 2880, 0.021304563492063493, 10, 20, 23},
      {280, 2880, 0.06056547619047619, 35, 55, 62}, {280, 2880, 0.011607142857142858, 4, 6, 7},
  };
  REQUIRE(ev.folder_rates.size() == 8);
  for (int f = 0; f < 8; ++f) {
    INFO("set " << f);
    const fpm::ErrorRates& r = ev.folder_rates[f];
    const Expected& e = expected[f];
    CHECK(r.genuine == e.genuine);
    CHECK(r.impostor == e.impostor);
    CHECK(r.eer == Approx(e.eer).epsilon(1e-12));
    const double g = static_cast<double>(e.genuine);
    CHECK(r.fnmr_at_fmr_1pct == Approx(e.fnmr_1pct / g).epsilon(1e-12));
    CHECK(r.fnmr_at_fmr_01pct == Approx(e.fnmr_01pct / g).epsilon(1e-12));
    CHECK(r.fnmr_at_fmr_001pct == Approx(e.fnmr_001pct / g).epsilon(1e-12));
  }
  // The bar of the matcher issue: better than SourceAFIS and bozorth3 on DB1_B and DB2_B (FingerJetFX).
  CHECK(ev.folder_rates[0].eer < 0.0250);
  CHECK(ev.folder_rates[0].fnmr_at_fmr_01pct < 0.0321);
  CHECK(ev.folder_rates[1].eer < 0.0143);
  CHECK(ev.folder_rates[1].fnmr_at_fmr_01pct < 0.0250);
  // All eight pooled, each FingerJetFX set linked to its SecuGen twin.
  CHECK(ev.rates.genuine == 4466);
  CHECK(ev.rates.impostor == 199056);
  CHECK(ev.same_image_pairs == 319);
  CHECK(ev.rates.fnmr_at_fmr_01pct == Approx(1329.0 / 4466).epsilon(1e-12));
  // Across extractors (interoperability): the templates of one image set by the other extractor.
  REQUIRE(ev.cross.size() == 4);
  const int cross_fnmr_01pct[4] = {153, 193, 448, 81};
  const std::size_t cross_genuine[4] = {560, 560, 553, 560};
  for (int c = 0; c < 4; ++c) {
    CHECK(ev.cross[c].rates.genuine == cross_genuine[c]);
    CHECK(ev.cross[c].rates.fnmr_at_fmr_01pct ==
          Approx(cross_fnmr_01pct[c] / static_cast<double>(cross_genuine[c])).epsilon(1e-12));
  }
}
