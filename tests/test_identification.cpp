// The impostor tail model (calibration.hpp) and the subject evidence,
// subject FMR and FPIR (identification.hpp), through the public API.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <random>

#include "fpmatch/fpmatch.hpp"
#include "support.hpp"

namespace {

// P(Gamma(k, 1) >= e): the survival function of Fisher's combination.
double fisher_survival(int k, double e) {
  double term = 1, sum = 1;
  for (int j = 1; j < k; ++j) sum += (term *= e / j);
  return std::exp(-e) * sum;
}

// n draws of u + GPD(scale, shape) by inversion.
std::vector<float> gpd_sample(std::mt19937_64& rng, std::size_t n, double u, double scale, double shape) {
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::vector<float> out;
  for (std::size_t i = 0; i < n; ++i) {
    const double q = 1.0 - uni(rng);  // (0, 1]
    const double y = shape == 0.0 ? -scale * std::log(q) : scale * (std::pow(q, -shape) - 1.0) / shape;
    out.push_back(static_cast<float>(u + y));
  }
  return out;
}

}  // namespace

TEST_CASE("tail model: the fit recovers known generalised Pareto tails", "[calibration][tail]") {
  std::mt19937_64 rng(fpm_test::fresh_seed("tail model fit"));
  for (double shape : {0.0, 0.15}) {
    // 1.5% of the mass (6,000 scores) drawn from the GPD above 0.5, the
    // rest far below it. The top 1% is then the GPD above its quantile y0
    // of survival 2/3: again a GPD, of the same shape and scale
    // 0.01 + shape * y0.
    std::vector<float> s = gpd_sample(rng, 6000, 0.5, 0.01, shape);
    std::uniform_real_distribution<float> body(0.0f, 0.4f);
    for (int i = 0; i < 394000; ++i) s.push_back(body(rng));
    const fpm::TailModel m = fpm::fit_tail_model(s, 0.01);
    const double y0 = shape == 0.0 ? -0.01 * std::log(2.0 / 3) : 0.01 * (std::pow(2.0 / 3, -shape) - 1) / shape;
    INFO("shape " << shape << ": fitted scale " << m.scale << ", shape " << m.fitted_shape);
    CHECK(m.exceedances > 3900);
    CHECK(m.exceedance_rate == Approx(0.01).epsilon(0.01));
    CHECK(m.threshold >= 0.5f);
    CHECK(m.scale == Approx(0.01 + shape * y0).epsilon(0.1));
    CHECK(m.fitted_shape == Approx(shape).margin(0.06));
    CHECK(m.shape >= 0.0);
  }
  CHECK_THROWS_AS(fpm::fit_tail_model(std::vector<float>(1000, 0.1f), 0.01), fpm::Error);  // 10 in the tail
  CHECK_THROWS_AS(fpm::fit_tail_model(std::vector<float>(100000, 0.1f), 0.01), fpm::Error);  // no spread
  CHECK_THROWS_AS(fpm::fit_tail_model({0.1f, 0.2f}, 0.0), fpm::Error);
  CHECK_THROWS_AS(fpm::fit_tail_model({0.1f, 0.2f}, 0.6), fpm::Error);
  CHECK_THROWS_AS(fpm::fit_tail_model({0.1f, std::nanf("")}, 0.01), fpm::Error);
}

// Goodness of fit on held-back real impostors: the model fitted to every
// second shipped score predicts how many of the other half exceed
// thresholds down to a few dozen of them (FMR 3e-5).
TEST_CASE("tail model: fitted on half the real impostors, it predicts the other half", "[calibration][tail]") {
  const std::vector<float>& all = fpm::calibration_impostor_scores();
  std::vector<float> fit_half, held;
  for (std::size_t i = 0; i < all.size(); ++i) (i % 2 ? held : fit_half).push_back(all[i]);
  std::sort(fit_half.begin(), fit_half.end(), std::greater<float>());
  const fpm::TailModel m = fpm::fit_tail_model(fit_half, 0.01);
  for (double target : {1e-3, 3e-4, 1e-4, 3e-5}) {
    const std::size_t k = static_cast<std::size_t>(target * static_cast<double>(held.size()));
    const float t = held[k];
    double observed = 0;
    for (float s : held) observed += s >= t ? 1 : 0;
    observed /= static_cast<double>(held.size());
    const double predicted = fpm::modelled_fmr(t, m, fit_half);
    INFO("FMR " << target << ": threshold " << t << ", observed " << observed << ", predicted " << predicted);
    CHECK(predicted > observed / 2);
    CHECK(predicted < observed * 2);
  }
}

TEST_CASE("tail model: the shipped model's FMR is continuous, monotone and never 0", "[calibration][tail]") {
  const fpm::TailModel& m = fpm::calibration_tail_model();
  CHECK(m.tail_share == 0.01);
  CHECK(m.exceedances >= 1900);
  // Below the threshold the model is the data.
  for (float s : {0.0f, 0.01f, 0.02f, m.threshold})
    CHECK(fpm::modelled_fmr(s) == Approx(fpm::false_match_rate(s).fmr).epsilon(1e-12));
  // Continuous at the threshold (within one score's share).
  CHECK(fpm::modelled_fmr(std::nextafter(m.threshold, 1.0f)) ==
        Approx(m.exceedance_rate).margin(2.0 / static_cast<double>(fpm::calibration_info().impostor_comparisons)));
  double last = 1.0;
  for (float s = 0.0f; s <= 1.0f; s += 0.001f) {
    const double f = fpm::modelled_fmr(s);
    CHECK(f <= last);
    CHECK(f > 0.0);
    last = f;
  }
  CHECK(fpm::modelled_fmr(1.0f) == 1e-12);  // the floor: "at most 1e-12"
  CHECK(fpm::threshold_for_modelled_fmr(1e-12) < 1.0f);
  CHECK_THROWS_AS(fpm::modelled_fmr(std::nanf("")), fpm::Error);
  for (double f : {1e-2, 1e-3, 1e-5, 1e-6, 1e-8, 1e-10}) {
    const float t = fpm::threshold_for_modelled_fmr(f);
    INFO("FMR " << f << ": threshold " << t);
    CHECK(fpm::modelled_fmr(t) <= f);
    CHECK(fpm::modelled_fmr(std::nextafter(t, 0.0f)) > f);
  }
  // Where the data is dense the model is the data; at 1e-3 (200 scores) they are close.
  CHECK(fpm::threshold_for_modelled_fmr(0.05) == fpm::threshold_for_fmr(0.05));
  CHECK(fpm::threshold_for_modelled_fmr(1e-3) == Approx(fpm::threshold_for_fmr(1e-3)).epsilon(0.03));
  CHECK(fpm::threshold_for_modelled_fmr(1e-8) > fpm::threshold_for_modelled_fmr(1e-6));
  CHECK_THROWS_AS(fpm::threshold_for_modelled_fmr(0.0), fpm::Error);
  CHECK_THROWS_AS(fpm::threshold_for_modelled_fmr(1e-13), fpm::Error);
  CHECK_THROWS_AS(fpm::threshold_for_modelled_fmr(1.5), fpm::Error);
}

TEST_CASE("identification: subject evidence and its FMR", "[identification]") {
  // One finger: the subject FMR is the finger's.
  const float t = fpm::threshold_for_modelled_fmr(1e-4);
  const fpm::SubjectEvidence one = fpm::subject_evidence({t});
  REQUIRE(one.finger_fmrs.size() == 1);
  CHECK(one.fmr == Approx(fpm::modelled_fmr(t)).epsilon(1e-9));
  CHECK(one.evidence == Approx(-std::log(fpm::modelled_fmr(t))).epsilon(1e-12));
  // Fingers with score 0 give no evidence but count as fingers.
  const fpm::SubjectEvidence with_zero = fpm::subject_evidence({t, 0.0f});
  CHECK(with_zero.evidence == Approx(one.evidence));
  const double e = one.evidence;
  CHECK(with_zero.fmr == Approx(std::exp(-e) * (1 + e)).epsilon(1e-9));
  CHECK(with_zero.fmr > one.fmr);
  // Best of 4 entries: a weaker finger.
  const fpm::SubjectEvidence best_of_4 = fpm::subject_evidence({t}, {4});
  CHECK(best_of_4.finger_fmrs[0] == Approx(1 - std::pow(1 - fpm::modelled_fmr(t), 4)).epsilon(1e-9));
  // Ten fingers: the FMR is Fisher's survival function of the evidence.
  const std::vector<float> ten = {0.03f, 0.01f, 0.025f, 0.0f, 0.04f, 0.02f, 0.022f, 0.1f, 0.015f, 0.028f};
  const fpm::SubjectEvidence tens = fpm::subject_evidence(ten);
  CHECK(tens.fmr == Approx(fisher_survival(10, tens.evidence)).epsilon(1e-9));
  // Stronger scores, stronger evidence.
  CHECK(fpm::subject_evidence({0.05f, 0.04f}).fmr < fpm::subject_evidence({0.04f, 0.04f}).fmr);
  CHECK_THROWS_AS(fpm::subject_evidence({}), fpm::Error);
  CHECK_THROWS_AS(fpm::subject_evidence({0.1f}, {1, 1}), fpm::Error);
  CHECK_THROWS_AS(fpm::subject_evidence({0.1f}, {0}), fpm::Error);
  CHECK_THROWS_AS(fpm::subject_evidence({std::nanf("")}), fpm::Error);
}

// Fisher's combination is calibrated: for ten independent uniform finger
// FMRs (what a calibrated model gives for non-mated fingers), the subject
// FMR is itself uniform, P(fmr <= a) = a.
TEST_CASE("identification: the combined FMR of independent uniform fingers is uniform", "[identification]") {
  std::mt19937_64 rng(fpm_test::fresh_seed("fisher combination"));
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  const int n = 200000;
  int below_1pct = 0, below_01pct = 0;
  for (int i = 0; i < n; ++i) {
    double e = 0;
    for (int k = 0; k < 10; ++k) e += -std::log(1.0 - uni(rng));
    const double p = fisher_survival(10, e);  // what subject_evidence computes (checked there)
    below_1pct += p <= 0.01;
    below_01pct += p <= 0.001;
  }
  CHECK(below_1pct == Approx(0.01 * n).epsilon(0.1));
  CHECK(below_01pct == Approx(0.001 * n).epsilon(0.3));
}

TEST_CASE("identification: FPIR at a gallery size", "[identification]") {
  CHECK(fpm::fpir_at(0.0, 1000000) == 0.0);
  CHECK(fpm::fpir_at(1.0, 5) == 1.0);
  CHECK(fpm::fpir_at(1e-9, 1000000) == Approx(1e-3).epsilon(1e-3));
  CHECK(fpm::fpir_at(0.5, 2) == Approx(0.75));
  for (double fpir : {1e-2, 1e-3}) {
    const double f = fpm::subject_fmr_for_fpir(fpir, 100000);
    CHECK(fpm::fpir_at(f, 100000) == Approx(fpir).epsilon(1e-9));
  }
  CHECK_THROWS_AS(fpm::fpir_at(-0.1, 10), fpm::Error);
  CHECK_THROWS_AS(fpm::fpir_at(std::nan(""), 10), fpm::Error);
  CHECK_THROWS_AS(fpm::subject_fmr_for_fpir(0.0, 10), fpm::Error);
  CHECK_THROWS_AS(fpm::subject_fmr_for_fpir(1.0, 10), fpm::Error);
  CHECK_THROWS_AS(fpm::subject_fmr_for_fpir(0.01, 0), fpm::Error);
}

TEST_CASE("identification: decisions on a per-subject search", "[identification][engine]") {
  const fpm::SyntheticFingers synth = fpm_test::synthetic_fingers(fpm_test::fresh_seed("decisions"));
  fpm::Gallery g;
  for (std::uint64_t s = 0; s < 30; ++s)
    for (int f = 1; f <= 3; ++f)
      g.add("s" + std::to_string(s), static_cast<std::uint8_t>(f), fpm::encode_cylinders(synth.impression(s, f, 0)));
  fpm::Engine engine(std::move(g), {});
  // A mated probe of subject s4 (known positions), and a non-mated one with
  // one finger of unknown position.
  std::vector<std::vector<fpm::FingerProbe>> probes(2);
  for (int f = 1; f <= 3; ++f)
    probes[0].push_back({fpm::encode_cylinders(synth.impression(4, f, 1)), static_cast<std::uint8_t>(f)});
  probes[1].push_back({fpm::encode_cylinders(synth.impression(999, 1, 1)), 0});
  probes[1].push_back({fpm::encode_cylinders(synth.impression(999, 2, 1)), 2});
  fpm::SearchOptions so;
  so.top_k = 5;
  const auto res = engine.search_subjects(probes, so);
  std::vector<std::vector<std::vector<std::size_t>>> compared;
  engine.with_gallery([&](const fpm::Gallery& gal) {
    CHECK(gal.subjects() == 30);
    compared = fpm::compared_entries(gal, probes, res);
  });
  REQUIRE(compared.size() == 2);
  REQUIRE(compared[1].size() == res[1].size());
  for (const auto& c : compared[0]) CHECK(c == std::vector<std::size_t>{1, 1, 1});
  for (const auto& c : compared[1]) CHECK(c == std::vector<std::size_t>{3, 1});  // unknown position: all 3 entries

  const fpm::IdentificationDecision mated = fpm::decide_at_fpir(res[0], 30, 1e-3, compared[0]);
  CHECK(mated.target_fpir == 1e-3);
  CHECK(mated.subjects == 30);
  CHECK(mated.fmr_threshold == Approx(fpm::subject_fmr_for_fpir(1e-3, 30)));
  REQUIRE(mated.hit);
  CHECK(res[0][mated.hits.front()].subject == "s4");
  REQUIRE(mated.evidence.size() == res[0].size());
  for (std::size_t i = 0; i < res[0].size(); ++i) {
    CHECK(mated.fpir[i] == Approx(fpm::fpir_at(mated.evidence[i].fmr, 30)));
    const bool is_hit = std::find(mated.hits.begin(), mated.hits.end(), i) != mated.hits.end();
    CHECK(is_hit == (mated.evidence[i].fmr <= mated.fmr_threshold));
  }
  for (std::size_t h = 1; h < mated.hits.size(); ++h)
    CHECK(mated.evidence[mated.hits[h - 1]].fmr <= mated.evidence[mated.hits[h]].fmr);

  const fpm::IdentificationDecision other = fpm::decide_at_fpir(res[1], 30, 1e-3, compared[1]);
  CHECK_FALSE(other.hit);
  // Unknown position: best of 3 entries, a weaker finger than the raw score says.
  for (std::size_t i = 0; i < res[1].size(); ++i)
    CHECK(other.evidence[i].finger_fmrs[0] >= fpm::modelled_fmr(res[1][i].finger_scores[0]));

  CHECK_THROWS_AS(fpm::decide_at_fpir(res[0], 30, 0.0), fpm::Error);
  CHECK_THROWS_AS(fpm::decide_at_fpir(res[0], 30, 1.0), fpm::Error);
  CHECK_THROWS_AS(fpm::decide_at_fpir(res[0], 30, std::nan("")), fpm::Error);
  CHECK_THROWS_AS(fpm::decide_at_fpir(res[0], 30, 1e-3, {{1}}), fpm::Error);
  CHECK_FALSE(fpm::decide_at_fpir({}, 0, 1e-3).hit);
  engine.with_gallery([&](const fpm::Gallery& gal) {
    CHECK_THROWS_AS(fpm::compared_entries(gal, probes, {}), fpm::Error);
  });
}

TEST_CASE("identification: compared entries skip removed entries and subjects the gallery lacks", "[identification]") {
  const fpm::SyntheticFingers synth = fpm_test::synthetic_fingers(fpm_test::fresh_seed("compared"));
  fpm::Gallery g;
  g.add("a", 1, fpm::encode_cylinders(synth.impression(1, 1, 0)));
  g.add("a", 1, fpm::encode_cylinders(synth.impression(1, 1, 1)));
  g.add("b", 2, fpm::encode_cylinders(synth.impression(2, 2, 0)));
  g.add("a", 0, fpm::encode_cylinders(synth.impression(1, 3, 0)));
  g.remove(1);
  const auto t = fpm::encode_cylinders(synth.impression(1, 1, 2));
  const std::vector<std::vector<fpm::FingerProbe>> probes = {{{t, 1}, {t, 2}, {t, 0}}};
  fpm::SubjectCandidate a, other;
  a.subject = "a";
  other.subject = "not-in-this-gallery";  // e.g. a subject of another shard
  const auto compared = fpm::compared_entries(g, probes, {{a, other}});
  REQUIRE(compared.size() == 1);
  CHECK(compared[0][0] == std::vector<std::size_t>{2, 1, 2});  // live entries of a: positions 1 and 0
  CHECK(compared[0][1] == std::vector<std::size_t>{1, 1, 1});
}
