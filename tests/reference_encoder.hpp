// The cylinder encoder as it was before encode() learnt to apply the
// 128-cylinder cap before building cylinders (src/encode/cylinder_encoder.cpp
// up to then): a cylinder for every selected minutia, each looking through
// all the others for its neighbours, then the highest-quality valid ones
// kept. Quadratic in the minutiae, so only for small templates: the tests
// check that encode() gives exactly this output, the same cylinders chosen
// and the same bits.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "access.hpp"
#include "encode/convex_hull.hpp"
#include "fpmatch/matcher.hpp"
#include "mcc/content_hash.hpp"
#include "mcc/encoded.hpp"
#include "mcc/params.hpp"

namespace fpm_test::reference {

using namespace fpm::mcc;
using fpm::Minutia;

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeltaS = 2.0 * kRadius / kNs;
constexpr double kDeltaD = 2.0 * kPi / kNd;
constexpr double kNeighbourRadius = kRadius + 3.0 * kSigmaS;

inline double wrap(double a) {
  a = std::fmod(a + kPi, 2.0 * kPi);
  if (a < 0) a += 2.0 * kPi;
  return a - kPi;
}
inline double gaussian_spatial(double d2) {
  return std::exp(-d2 / (2.0 * kSigmaS * kSigmaS)) / (kSigmaS * std::sqrt(2.0 * kPi));
}
inline double gaussian_directional(double alpha) {
  const double s = kSigmaD * std::sqrt(2.0);
  return 0.5 * (std::erf((alpha + kDeltaD / 2.0) / s) - std::erf((alpha - kDeltaD / 2.0) / s));
}

struct Cylinder {
  std::array<std::uint64_t, kCylinderWords> bits{};
  std::array<std::uint64_t, kValidityWords> valid{};
  bool ok = false;
};

inline Cylinder build_cylinder(const std::vector<Minutia>& ms, std::size_t self, const fpm::detail::ConvexHull& hull) {
  std::array<double, kCellsPerLayer> u{}, v{};
  for (int j = 0; j < kNs; ++j)
    for (int i = 0; i < kNs; ++i) {
      u[j * kNs + i] = (i + 1 - (kNs + 1) / 2.0) * kDeltaS;
      v[j * kNs + i] = (j + 1 - (kNs + 1) / 2.0) * kDeltaS;
    }
  const Minutia& m = ms[self];
  const double mx = m.x, my = m.y, mt = m.theta;
  const double c = std::cos(mt), s = std::sin(mt);
  struct Neighbour {
    double x, y;
    std::array<double, kNd> gd;
  };
  std::vector<Neighbour> nbrs;
  for (std::size_t t = 0; t < ms.size(); ++t) {
    if (t == self) continue;
    const double dx = ms[t].x - mx, dy = ms[t].y - my;
    if (dx * dx + dy * dy > kNeighbourRadius * kNeighbourRadius) continue;
    Neighbour n{ms[t].x, ms[t].y, {}};
    const double rel = wrap(mt - ms[t].theta);
    for (int k = 0; k < kNd; ++k) n.gd[k] = gaussian_directional(wrap(-kPi + (k + 0.5) * kDeltaD - rel));
    nbrs.push_back(n);
  }
  const bool all_inside = hull.inside_depth({mx, my}) + kOmega > static_cast<double>(kRadius) + 0.01;
  Cylinder cyl;
  int valid_cells = 0;
  const double reach2 = 9.0 * kSigmaS * kSigmaS;
  for (int cell = 0; cell < kCellsPerLayer; ++cell) {
    if (!cell_in_disc(cell)) continue;
    const double px = mx + c * u[cell] + s * v[cell];
    const double py = my - s * u[cell] + c * v[cell];
    if (!all_inside && !hull.contains({px, py}, kOmega)) continue;
    ++valid_cells;
    const int word = cell / 64;
    const std::uint64_t bit = std::uint64_t{1} << (cell % 64);
    cyl.valid[word] |= bit;
    std::array<double, kNd> sum{};
    for (const Neighbour& n : nbrs) {
      const double dx = n.x - px, dy = n.y - py;
      const double d2 = dx * dx + dy * dy;
      if (d2 > reach2) continue;
      const double gs = gaussian_spatial(d2);
      for (int k = 0; k < kNd; ++k) sum[k] += gs * n.gd[k];
    }
    for (int k = 0; k < kNd; ++k)
      if (sum[k] >= kMuPsi) cyl.bits[k * kWordsPerLayer + word] |= bit;
  }
  cyl.ok = valid_cells >= kMinValidCells && static_cast<int>(nbrs.size()) >= kMinM;
  return cyl;
}

inline bool low_quality(const Minutia& m, const fpm::CylinderOptions& o) {
  return m.quality >= 1 && m.quality <= 100 && m.quality < o.min_quality;
}

inline fpm::EncodedTemplate encode(const fpm::Template& t, const fpm::CylinderOptions& options = {}) {
  std::vector<Minutia> ms;
  std::vector<std::uint16_t> source;
  const std::vector<Minutia>& all = t.minutiae();
  std::size_t low = 0;
  for (const Minutia& m : all) low += low_quality(m, options);
  const bool filter = low * 100 <= all.size() * options.max_dropped_percent;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (filter && low_quality(all[i], options)) continue;
    ms.push_back(all[i]);
    source.push_back(static_cast<std::uint16_t>(i));
  }
  std::vector<fpm::detail::Point> pts;
  for (const Minutia& m : ms) pts.push_back({m.x, m.y});
  const fpm::detail::ConvexHull hull(std::move(pts));
  std::vector<Cylinder> cyls(ms.size());
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    cyls[i] = build_cylinder(ms, i, hull);
    if (cyls[i].ok) kept.push_back(i);
  }
  if (kept.size() > static_cast<std::size_t>(kMaxCylinders)) {
    std::stable_sort(kept.begin(), kept.end(),
                     [&](std::size_t a, std::size_t b) { return ms[a].quality > ms[b].quality; });
    kept.resize(kMaxCylinders);
    std::sort(kept.begin(), kept.end());
  }
  auto d = std::make_shared<fpm::EncodedTemplate::Data>();
  d->info = t.info();
  d->source_minutiae = static_cast<std::uint32_t>(t.size());
  for (std::size_t i : kept) {
    d->bits.insert(d->bits.end(), cyls[i].bits.begin(), cyls[i].bits.end());
    d->valid.insert(d->valid.end(), cyls[i].valid.begin(), cyls[i].valid.end());
    d->x.push_back(ms[i].x);
    d->y.push_back(ms[i].y);
    d->theta.push_back(ms[i].theta);
    d->source_index.push_back(source[i]);
  }
  d->hash = content_hash(d->n(), d->bits.data(), d->valid.data(), d->x.data(), d->y.data(), d->theta.data());
  return fpm::detail::Access::make_encoded(std::move(d));
}

}  // namespace fpm_test::reference
