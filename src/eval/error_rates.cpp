#include <algorithm>
#include <cmath>

#include "fpmatch/error.hpp"
#include "fpmatch/evaluation.hpp"

namespace fpm {

namespace {

struct Rates {
  std::vector<float> g, i;  // ascending
  double fmr(float t) const {  // share of impostors >= t
    return static_cast<double>(i.end() - std::lower_bound(i.begin(), i.end(), t)) / static_cast<double>(i.size());
  }
  double fnmr(float t) const {  // share of genuines < t
    return static_cast<double>(std::lower_bound(g.begin(), g.end(), t) - g.begin()) / static_cast<double>(g.size());
  }
};

// Candidate thresholds: every distinct score, and one above them all.
std::vector<float> thresholds(const Rates& r) {
  std::vector<float> t;
  t.reserve(r.g.size() + r.i.size() + 1);
  t.insert(t.end(), r.g.begin(), r.g.end());
  t.insert(t.end(), r.i.begin(), r.i.end());
  std::sort(t.begin(), t.end());
  t.erase(std::unique(t.begin(), t.end()), t.end());
  t.push_back(t.empty() ? 1.0f : std::nextafter(t.back(), 2.0f * t.back() + 1.0f));
  return t;
}

double fnmr_at_fmr(const Rates& r, const std::vector<float>& ts, double target) {
  for (float t : ts)  // ascending: FMR falls, FNMR rises; the first t meeting the target is best
    if (r.fmr(t) <= target) return r.fnmr(t);
  return 1.0;
}

Rates make(const std::vector<float>& genuine, const std::vector<float>& impostor) {
  if (genuine.empty() || impostor.empty())
    throw Error(ErrorCode::InvalidArgument, "error rates need genuine and impostor scores");
  Rates r{genuine, impostor};
  std::sort(r.g.begin(), r.g.end());
  std::sort(r.i.begin(), r.i.end());
  return r;
}

}  // namespace

ErrorRates error_rates(const std::vector<float>& genuine, const std::vector<float>& impostor) {
  const Rates r = make(genuine, impostor);
  const std::vector<float> ts = thresholds(r);
  ErrorRates out;
  out.genuine = r.g.size();
  out.impostor = r.i.size();
  // t1: largest threshold with FNMR <= FMR; t2: smallest with FNMR >= FMR.
  float t1 = ts.front(), t2 = ts.back();
  for (float t : ts)
    if (r.fnmr(t) <= r.fmr(t)) t1 = t;
  for (auto it = ts.rbegin(); it != ts.rend(); ++it)
    if (r.fnmr(*it) >= r.fmr(*it)) t2 = *it;
  double lo, hi;
  if (r.fnmr(t1) + r.fmr(t1) <= r.fmr(t2) + r.fnmr(t2)) {
    lo = r.fnmr(t1);
    hi = r.fmr(t1);
    out.eer_threshold = t1;
  } else {
    lo = r.fmr(t2);
    hi = r.fnmr(t2);
    out.eer_threshold = t2;
  }
  out.eer = (lo + hi) / 2.0;
  out.fnmr_at_fmr_1pct = fnmr_at_fmr(r, ts, 0.01);
  out.fnmr_at_fmr_01pct = fnmr_at_fmr(r, ts, 0.001);
  out.fnmr_at_fmr_001pct = fnmr_at_fmr(r, ts, 0.0001);
  return out;
}

std::vector<DetPoint> det_curve(const std::vector<float>& genuine, const std::vector<float>& impostor) {
  const Rates r = make(genuine, impostor);
  std::vector<DetPoint> out;
  for (float t : thresholds(r)) out.push_back({t, r.fmr(t), r.fnmr(t)});
  return out;
}

}  // namespace fpm
