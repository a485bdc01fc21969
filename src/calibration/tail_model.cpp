// The generalised Pareto model of the impostor score tail (calibration.hpp).
#include <algorithm>
#include <cmath>
#include <functional>

#include "fpmatch/calibration.hpp"
#include "fpmatch/error.hpp"

namespace fpm {

namespace {

constexpr std::size_t kMinExceedances = 50;
// The model is not read below this rate: far beyond any data (the shipped
// pool shows 5e-6), so "at most 1e-12" is all it can say.
constexpr double kFmrFloor = 1e-12;

// Share of `desc` (highest first) at or above `score`.
double empirical_fmr(float score, const std::vector<float>& desc) {
  const auto at_or_above =
      std::upper_bound(desc.begin(), desc.end(), score, [](float v, float x) { return v > x; }) - desc.begin();
  return static_cast<double>(at_or_above) / static_cast<double>(desc.size());
}

double tail_fmr(double score, const TailModel& m) {
  const double y = score - static_cast<double>(m.threshold);
  if (m.shape == 0.0) return m.exceedance_rate * std::exp(-y / m.scale);
  return m.exceedance_rate * std::pow(1.0 + m.shape * y / m.scale, -1.0 / m.shape);
}

}  // namespace

TailModel fit_tail_model(const std::vector<float>& impostor_scores, double tail_share) {
  if (!(tail_share > 0.0 && tail_share <= 0.5))
    throw Error(ErrorCode::InvalidArgument, "fit_tail_model: the tail share " + std::to_string(tail_share) +
                                                " is outside (0, 0.5]");
  std::vector<float> desc = impostor_scores;
  for (float s : desc)
    if (std::isnan(s)) throw Error(ErrorCode::InvalidArgument, "fit_tail_model: a score is NaN");
  std::sort(desc.begin(), desc.end(), std::greater<float>());
  const std::size_t n = desc.size();
  const std::size_t k = static_cast<std::size_t>(tail_share * static_cast<double>(n));
  if (k < kMinExceedances || k >= n)
    throw Error(ErrorCode::InvalidArgument, "fit_tail_model: " + std::to_string(n) + " scores give " +
                                                std::to_string(k) + " in the tail; at least " +
                                                std::to_string(kMinExceedances) + " are needed");
  TailModel m;
  m.tail_share = tail_share;
  m.threshold = desc[k];  // the (k+1)-th highest: the top k lie at or above it
  // Exceedances y = s - u > 0 in ascending order (scores equal to u are not
  // in the tail: FMR(u) is then the empirical share, so the model is
  // continuous at u).
  std::vector<double> y;
  for (std::size_t i = 0; i < k; ++i)
    if (desc[i] > m.threshold) y.push_back(static_cast<double>(desc[i]) - static_cast<double>(m.threshold));
  if (y.size() < kMinExceedances)
    throw Error(ErrorCode::InvalidArgument, "fit_tail_model: only " + std::to_string(y.size()) +
                                                " scores lie above the tail threshold; at least " +
                                                std::to_string(kMinExceedances) + " are needed");
  std::reverse(y.begin(), y.end());
  const double count = static_cast<double>(y.size());
  // Probability-weighted moments: a0 = E[Y], a1 = E[Y (1 - F(Y))].
  double a0 = 0, a1 = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    a0 += y[i];
    a1 += y[i] * static_cast<double>(y.size() - 1 - i) / (count - 1);
  }
  a0 /= count;
  a1 /= count;
  const double d = a0 - 2 * a1;
  if (!(d > 0) || !(a1 > 0))
    throw Error(ErrorCode::InvalidArgument, "fit_tail_model: the tail has no usable spread");
  m.exceedances = y.size();
  m.exceedance_rate = count / static_cast<double>(n);
  m.fitted_shape = 2.0 - a0 / d;
  m.scale = 2.0 * a0 * a1 / d;
  m.shape = std::max(0.0, m.fitted_shape);
  if (m.shape == 0.0) m.scale = a0;  // exponential tail: its own moment estimate of the scale
  return m;
}

double modelled_fmr(float score, const TailModel& m, const std::vector<float>& desc) {
  if (std::isnan(score)) throw Error(ErrorCode::InvalidArgument, "modelled_fmr: the score is NaN");
  if (desc.empty()) throw Error(ErrorCode::InvalidArgument, "modelled_fmr: no impostor scores");
  if (score <= m.threshold) return empirical_fmr(score, desc);
  return std::max(kFmrFloor, tail_fmr(score, m));
}

const TailModel& calibration_tail_model() {
  static const TailModel m = fit_tail_model(calibration_impostor_scores(), 0.01);
  return m;
}

double modelled_fmr(float score) {
  return modelled_fmr(score, calibration_tail_model(), calibration_impostor_scores());
}

float threshold_for_modelled_fmr(double fmr) {
  if (!(fmr >= 1e-12 && fmr <= 1.0))
    throw Error(ErrorCode::InvalidArgument,
                "modelled FMR " + std::to_string(fmr) + " is outside what the tail model is used for: [1e-12, 1]");
  const TailModel& m = calibration_tail_model();
  if (fmr >= m.exceedance_rate) return threshold_for_fmr(fmr);
  // Inverse of the tail, then the exact smallest float with FMR <= fmr.
  const double ratio = fmr / m.exceedance_rate;
  const double y = m.shape == 0.0 ? -m.scale * std::log(ratio) : m.scale * (std::pow(ratio, -m.shape) - 1.0) / m.shape;
  float t = static_cast<float>(static_cast<double>(m.threshold) + y);
  while (modelled_fmr(t) > fmr) {
    if (t >= 1.0f) return 1.0f;  // only a floor-level FMR lies beyond: the top of the score scale
    t = std::nextafter(t, 2.0f);
  }
  for (float below = std::nextafter(t, 0.0f); below > m.threshold && modelled_fmr(below) <= fmr;
       below = std::nextafter(t, 0.0f))
    t = below;
  return t;
}

}  // namespace fpm
