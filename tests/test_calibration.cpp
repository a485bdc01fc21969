// Error-rate arithmetic on hand-made scores, and the shipped calibration.
#include <catch2/catch.hpp>

#include "fpmatch/fpmatch.hpp"
#include "support.hpp"

TEST_CASE("error rates: separable scores have zero EER", "[eval]") {
  const fpm::ErrorRates r = fpm::error_rates({0.8f, 0.9f, 0.7f}, {0.1f, 0.2f, 0.3f, 0.4f});
  CHECK(r.genuine == 3);
  CHECK(r.impostor == 4);
  CHECK(r.eer == 0.0);
  CHECK(r.fnmr_at_fmr_1pct == 0.0);
  CHECK(r.eer_threshold > 0.4);
  CHECK(r.eer_threshold <= 0.7);
}

TEST_CASE("error rates: overlapping scores follow the FVC definition", "[eval]") {
  // Genuine 0.1..1.0, impostor 0.05..0.5 (ten each).
  std::vector<float> g, i;
  for (int k = 1; k <= 10; ++k) {
    g.push_back(0.1f * k);
    i.push_back(0.05f * k);
  }
  const fpm::ErrorRates r = fpm::error_rates(g, i);
  // At t = 0.4: FNMR = 3/10 (0.1, 0.2, 0.3 rejected), FMR = 3/10 (0.4, 0.45, 0.5).
  CHECK(r.eer == Approx(0.3));
  // FMR <= 1% needs t above 0.5: genuines 0.1..0.5 rejected.
  CHECK(r.fnmr_at_fmr_1pct == Approx(0.5));
  const auto det = fpm::det_curve(g, i);
  CHECK(det.front().fmr == 1.0);
  CHECK(det.back().fmr == 0.0);
  CHECK(det.back().fnmr == 1.0);
  for (std::size_t k = 1; k < det.size(); ++k) {
    CHECK(det[k].fmr <= det[k - 1].fmr);
    CHECK(det[k].fnmr >= det[k - 1].fnmr);
  }
  CHECK_THROWS_AS(fpm::error_rates({}, {0.1f}), fpm::Error);
}

TEST_CASE("calibration: thresholds and FMR estimates agree", "[calibration]") {
  const fpm::CalibrationInfo info = fpm::calibration_info();
  REQUIRE(info.impostor_comparisons == 199056);
  CHECK(info.lowest_fmr == Approx(1.0 / 199056));
  for (double fmr : {0.1, 0.01, 0.001, 0.0005, 1e-4, 1e-5, 1.0 / 199056}) {
    const float t = fpm::threshold_for_fmr(fmr);
    const fpm::FmrEstimate e = fpm::false_match_rate(t);
    CHECK(e.fmr <= fmr);
    // Just below the threshold the FMR exceeds the target: the threshold is the smallest.
    CHECK(fpm::false_match_rate(std::nextafter(t, 0.0f)).fmr > e.fmr);
  }
  CHECK(fpm::threshold_for_fmr(0.01) < fpm::threshold_for_fmr(0.001));
  CHECK(fpm::false_match_rate(1.0f).at_or_above == 0);
  // Above every impostor score: an upper bound of 1/total, never 0.
  CHECK(fpm::false_match_rate(1.0f).upper_bound);
  CHECK(fpm::false_match_rate(1.0f).fmr == 1.0 / static_cast<double>(fpm::calibration_info().impostor_comparisons));
  CHECK_FALSE(fpm::false_match_rate(0.0f).upper_bound);
  CHECK_THROWS_AS(fpm::false_match_rate(std::nanf("")), fpm::Error);
  CHECK(fpm::false_match_rate(0.0f).fmr == 1.0);
  CHECK_THROWS_AS(fpm::threshold_for_fmr(1e-6), fpm::Error);
  CHECK_THROWS_AS(fpm::threshold_for_fmr(1.5), fpm::Error);
  CHECK(fpm::threshold_for_fmr(1.0) == 0.0f);
}

// The shipped table must be what the current matcher produces on the data it
// names: a matcher change that moves scores has to regenerate it
// (fpmatch calibrate, see docs/matcher.md).
TEST_CASE("calibration: the shipped impostor scores match the current matcher", "[calibration][shared-data]") {
  const fpm::Evaluation& ev = fpm_test::shared_sets_evaluation();
  std::vector<float> imp;
  for (const auto& p : ev.pairs)
    if (p.impostor()) imp.push_back(p.score);
  std::sort(imp.begin(), imp.end(), std::greater<float>());
  const std::vector<float>& shipped = fpm::calibration_impostor_scores();
  REQUIRE(shipped.size() == imp.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < imp.size(); ++i) differ += shipped[i] != imp[i];
  CHECK(differ == 0);
}
