#include "fpmatch/synth.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "fpmatch/error.hpp"
#include "synth/rng.hpp"

namespace fpm {

namespace {

constexpr double kPi = 3.14159265358979323846;

struct Singularity {
  double x, y;
};

// A master finger: its area, orientation field and minutiae (in a frame
// whose origin is the sensor window's top-left, finger centred in it).
struct Master {
  double cx, cy, a, b;  // elliptical finger area
  double theta0;
  int pattern;  // 0 arch, 1 loop, 2 whorl
  std::vector<Singularity> cores, deltas;
  std::vector<Minutia> minutiae;

  // Ridge orientation (mod pi) at a point: the zero-pole model of Sherlock
  // and Monro for loops and whorls, a bent field for arches.
  double orientation(double x, double y) const {
    if (pattern == 0)
      return theta0 - 0.7 * std::tanh((x - cx) / a) * std::exp(-std::pow((y - cy + 40.0) / b, 2.0));
    double t = theta0;
    for (const auto& c : cores) t += 0.5 * std::atan2(-(y - c.y), x - c.x);
    for (const auto& d : deltas) t -= 0.5 * std::atan2(-(y - d.y), x - d.x);
    return t;
  }
  bool inside(double x, double y, double scale) const {
    const double u = (x - cx) / (a * scale), v = (y - cy) / (b * scale);
    return u * u + v * v <= 1.0;
  }
};

double wrap_2pi(double t) {
  t = std::fmod(t, 2.0 * kPi);
  return t < 0 ? t + 2.0 * kPi : t;
}

Master make_master(const SynthOptions& o, std::uint64_t subject, int finger) {
  detail::Rng r = detail::Rng::of(o.seed, subject, static_cast<std::uint64_t>(finger), 0, 1);
  Master m;
  m.cx = o.width / 2.0 + r.normal() * 8.0;
  m.cy = o.height / 2.0 + r.normal() * 8.0;
  m.a = r.uniform(105.0, 135.0);
  m.b = r.uniform(145.0, 185.0);
  m.theta0 = r.normal() * 0.15;
  const double kind = r.uniform();
  m.pattern = kind < 0.1 ? 0 : kind < 0.75 ? 1 : 2;
  const Singularity core{m.cx + r.normal() * 18.0, m.cy - 20.0 + r.normal() * 18.0};
  if (m.pattern == 1) {
    const double side = r.uniform() < 0.5 ? -1.0 : 1.0;
    m.cores.push_back(core);
    m.deltas.push_back({core.x + side * r.uniform(60.0, 110.0), core.y + r.uniform(70.0, 120.0)});
  } else if (m.pattern == 2) {
    m.cores.push_back({core.x, core.y - 12.0});
    m.cores.push_back({core.x, core.y + 12.0});
    m.deltas.push_back({core.x - r.uniform(80.0, 120.0), core.y + r.uniform(60.0, 110.0)});
    m.deltas.push_back({core.x + r.uniform(80.0, 120.0), core.y + r.uniform(60.0, 110.0)});
  }
  const int n = std::clamp(static_cast<int>(std::lround(o.mean_minutiae + 12.0 * r.normal())), o.min_minutiae,
                           o.max_minutiae);
  // Poisson-disc placement: minutiae at least a ridge period and a half apart.
  const double min_d2 = 13.0 * 13.0;
  for (int tries = 0; static_cast<int>(m.minutiae.size()) < n && tries < 80 * n; ++tries) {
    const double x = r.uniform(m.cx - m.a, m.cx + m.a), y = r.uniform(m.cy - m.b, m.cy + m.b);
    if (!m.inside(x, y, 0.93)) continue;
    bool ok = true;
    for (const Minutia& q : m.minutiae)
      if ((q.x - x) * (q.x - x) + (q.y - y) * (q.y - y) < min_d2) {
        ok = false;
        break;
      }
    if (!ok) continue;
    Minutia mm;
    mm.x = static_cast<float>(x);
    mm.y = static_cast<float>(y);
    mm.theta = static_cast<float>(
        wrap_2pi(m.orientation(x, y) + (r.uniform() < 0.5 ? 0.0 : kPi) + r.normal() * (4.0 * kPi / 180.0)));
    mm.type = r.uniform() < 0.55 ? MinutiaType::RidgeEnding : MinutiaType::Bifurcation;
    mm.quality = static_cast<std::uint8_t>(std::clamp(std::lround(74.0 + 13.0 * r.normal()), 30L, 100L));
    m.minutiae.push_back(mm);
  }
  return m;
}

}  // namespace

SyntheticFingers::SyntheticFingers(const SynthOptions& options) : options_(options) {
  if (options.min_minutiae < 0 || options.max_minutiae < options.min_minutiae || options.max_minutiae > 255 ||
      options.width < 64 || options.height < 64 || options.width > 4096 || options.height > 4096)
    throw Error(ErrorCode::InvalidArgument, "synth: invalid minutiae range or sensor size");
}

Template SyntheticFingers::master(std::uint64_t subject, int finger) const {
  if (finger < 1 || finger > 10) throw Error(ErrorCode::InvalidArgument, "synth: finger must be 1-10");
  Master m = make_master(options_, subject, finger);
  std::vector<Minutia> kept;
  for (const Minutia& q : m.minutiae)
    if (q.x >= 0 && q.y >= 0 && q.x < options_.width && q.y < options_.height) kept.push_back(q);
  TemplateInfo info;
  info.width = static_cast<std::uint16_t>(options_.width);
  info.height = static_cast<std::uint16_t>(options_.height);
  info.position = static_cast<FingerPosition>(finger);
  info.finger_quality = 80;
  return Template(info, kept);
}

Template SyntheticFingers::impression(std::uint64_t subject, int finger, std::uint64_t impression) const {
  if (finger < 1 || finger > 10) throw Error(ErrorCode::InvalidArgument, "synth: finger must be 1-10");
  const SynthOptions& o = options_;
  const Master m = make_master(o, subject, finger);
  detail::Rng r = detail::Rng::of(o.seed, subject, static_cast<std::uint64_t>(finger), impression + 1, 2);
  const double rot = r.uniform(-1.0, 1.0) * o.max_rotation_deg * kPi / 180.0;
  const double sx = r.uniform(-1.0, 1.0) * o.max_shift_px, sy = r.uniform(-1.0, 1.0) * o.max_shift_px;
  struct Bump {
    double x, y, s, ux, uy;
  };
  Bump bumps[3];
  for (Bump& k : bumps) {
    k.x = m.cx + r.uniform(-1.0, 1.0) * m.a;
    k.y = m.cy + r.uniform(-1.0, 1.0) * m.b;
    k.s = r.uniform(50.0, 110.0);
    const double amp = o.distortion_px * r.uniform(0.3, 1.0), phi = r.uniform(0.0, 2.0 * kPi);
    k.ux = amp * std::cos(phi);
    k.uy = amp * std::sin(phi);
  }
  // Partial contact: an ellipse smaller than the finger, somewhat off centre.
  const double ccx = m.cx + r.normal() * 22.0, ccy = m.cy + r.normal() * 28.0;
  const double ca = m.a * r.uniform(0.62, 1.0), cb = m.b * r.uniform(0.62, 1.0);
  const double miss = r.uniform(0.02, std::max(0.02, static_cast<double>(o.miss_rate_max)));
  const double spurious = r.uniform(0.0, std::max(0.0, static_cast<double>(o.spurious_rate_max)));
  const double c = std::cos(rot), s = std::sin(rot);
  // Captures differ in how clean they are: noise scales vary per impression.
  const double care = r.uniform(0.4, 1.3);
  const double pos_noise = o.position_noise_px * care, dir_noise = o.direction_noise_deg * care * kPi / 180.0;

  // Finger point -> sensor point: distortion, then rotation about the finger
  // centre (counter-clockwise as seen, y down), then shift.
  auto place = [&](double x, double y, double* ox, double* oy) {
    double dx = 0, dy = 0;
    for (const Bump& k : bumps) {
      const double g = std::exp(-((x - k.x) * (x - k.x) + (y - k.y) * (y - k.y)) / (2.0 * k.s * k.s));
      dx += g * k.ux;
      dy += g * k.uy;
    }
    const double u = x + dx - m.cx, v = y + dy - m.cy;
    *ox = m.cx + c * u + s * v + sx;
    *oy = m.cy - s * u + c * v + sy;
  };
  auto in_contact = [&](double x, double y) {
    const double u = (x - ccx) / ca, v = (y - ccy) / cb;
    return u * u + v * v <= 1.0;
  };
  auto in_window = [&](double x, double y) { return x >= 0 && y >= 0 && x < o.width && y < o.height; };

  std::vector<Minutia> out;
  for (const Minutia& q : m.minutiae) {
    const bool missed = r.uniform() < miss;
    const double nx = r.normal() * pos_noise, ny = r.normal() * pos_noise, nt = r.normal() * dir_noise;
    if (missed || !in_contact(q.x, q.y)) continue;
    double x, y;
    place(q.x, q.y, &x, &y);
    x += nx;
    y += ny;
    if (!in_window(x, y)) continue;
    Minutia mm = q;
    mm.x = static_cast<float>(x);
    mm.y = static_cast<float>(y);
    mm.theta = static_cast<float>(wrap_2pi(q.theta + rot + nt));
    out.push_back(mm);
  }
  const int extra = static_cast<int>(std::lround(spurious * static_cast<double>(out.size())));
  for (int k = 0, tries = 0; k < extra && tries < 50 * (extra + 1); ++tries) {
    const double x0 = r.uniform(ccx - ca, ccx + ca), y0 = r.uniform(ccy - cb, ccy + cb);
    if (!in_contact(x0, y0) || !m.inside(x0, y0, 1.0)) continue;
    double x, y;
    place(x0, y0, &x, &y);
    if (!in_window(x, y)) continue;
    Minutia mm;
    mm.x = static_cast<float>(x);
    mm.y = static_cast<float>(y);
    mm.theta = static_cast<float>(
        wrap_2pi(m.orientation(x0, y0) + (r.uniform() < 0.5 ? 0.0 : kPi) + rot + r.normal() * 3.0 * dir_noise));
    mm.type = r.uniform() < 0.5 ? MinutiaType::RidgeEnding : MinutiaType::Bifurcation;
    mm.quality = static_cast<std::uint8_t>(std::clamp(std::lround(52.0 + 15.0 * r.normal()), 20L, 100L));
    out.push_back(mm);
    ++k;
  }
  // Outputs quantised like a 500 ppi record (whole pixels), so that records
  // written from them read back the same.
  for (Minutia& q : out) {
    q.x = std::min(static_cast<float>(o.width - 1), std::round(q.x));
    q.y = std::min(static_cast<float>(o.height - 1), std::round(q.y));
    q.theta = static_cast<float>(std::fmod(std::lround(q.theta * 256.0 / (2 * kPi)), 256L) * (2 * kPi / 256.0));
  }
  TemplateInfo info;
  info.width = static_cast<std::uint16_t>(o.width);
  info.height = static_cast<std::uint16_t>(o.height);
  info.position = static_cast<FingerPosition>(finger);
  info.finger_quality = static_cast<std::uint8_t>(r.integer(40, 95));
  return Template(info, out);
}

}  // namespace fpm
