#include "fpmatch/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "fpmatch/error.hpp"

namespace fpm {

namespace {
#include "calibration/impostor_scores.inc"

const std::vector<float>& scores() {
  static const std::vector<float> s = [] {
    std::vector<float> v(std::begin(kImpostorScores), std::end(kImpostorScores));
    std::sort(v.begin(), v.end(), std::greater<float>());
    return v;
  }();
  return s;
}
}  // namespace

CalibrationInfo calibration_info() {
  CalibrationInfo info;
  info.impostor_comparisons = scores().size();
  info.source = kCalibrationSource;
  info.lowest_fmr = 1.0 / static_cast<double>(scores().size());
  info.reliable_fmr = 10.0 / static_cast<double>(scores().size());
  return info;
}

const std::vector<float>& calibration_impostor_scores() { return scores(); }

FmrEstimate false_match_rate(float score) {
  if (std::isnan(score)) throw Error(ErrorCode::InvalidArgument, "false_match_rate: the score is NaN");
  const std::vector<float>& s = scores();
  FmrEstimate e;
  e.total = s.size();
  // s is descending: the scores >= `score` form a prefix.
  e.at_or_above = static_cast<std::size_t>(
      std::upper_bound(s.begin(), s.end(), score, [](float v, float x) { return v > x; }) - s.begin());
  e.upper_bound = e.at_or_above == 0;
  e.fmr = static_cast<double>(e.upper_bound ? 1 : e.at_or_above) / static_cast<double>(e.total);
  return e;
}

float threshold_for_fmr(double fmr) {
  const std::vector<float>& s = scores();
  const double n = static_cast<double>(s.size());
  if (!(fmr >= 1.0 / n && fmr <= 1.0))
    throw Error(ErrorCode::InvalidArgument,
                "FMR " + std::to_string(fmr) + " is outside what the calibration supports: [" +
                    std::to_string(1.0 / n) + ", 1] (" + std::to_string(s.size()) + " impostor comparisons)");
  const std::size_t allowed = static_cast<std::size_t>(std::floor(fmr * n + 1e-9));
  if (allowed >= s.size()) return 0.0f;
  // Just above the (allowed+1)-th highest impostor score: at most `allowed` reach it.
  return std::nextafter(s[allowed], 2.0f);
}

}  // namespace fpm
