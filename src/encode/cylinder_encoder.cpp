// MCC cylinder construction (bit variant), once per template at enrolment.
// Runs on the host only, in double precision; the encoded bits are the
// contract between encoder and matchers, so GPU and CPU matchers read the
// very same cylinders.
#include <algorithm>
#include <array>
#include <cmath>
#include <atomic>
#include <mutex>
#include <numeric>
#include <thread>

#include "encode/convex_hull.hpp"
#include "fpmatch/error.hpp"
#include "mcc/content_hash.hpp"
#include "mcc/encoded.hpp"
#include "mcc/params.hpp"

namespace fpm {

namespace {

using namespace mcc;

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeltaS = 2.0 * kRadius / kNs;  // cell side, pixels
constexpr double kDeltaD = 2.0 * kPi / kNd;      // layer height, radians
constexpr double kNeighbourRadius = kRadius + 3.0 * kSigmaS;

double wrap(double a) {  // into [-pi, pi)
  a = std::fmod(a + kPi, 2.0 * kPi);
  if (a < 0) a += 2.0 * kPi;
  return a - kPi;
}

// Spatial contribution: the normal density with deviation sigma_S.
double gaussian_spatial(double d2) {
  return std::exp(-d2 / (2.0 * kSigmaS * kSigmaS)) / (kSigmaS * std::sqrt(2.0 * kPi));
}

// Directional contribution: the normal density with deviation sigma_D
// integrated over a layer's width centred on `alpha`.
double gaussian_directional(double alpha) {
  const double s = kSigmaD * std::sqrt(2.0);
  return 0.5 * (std::erf((alpha + kDeltaD / 2.0) / s) - std::erf((alpha - kDeltaD / 2.0) / s));
}

struct CellOffsets {
  std::array<double, kCellsPerLayer> u, v;  // (i - (Ns+1)/2) * DeltaS, (j - (Ns+1)/2) * DeltaS
  std::array<bool, kCellsPerLayer> in_disc;
};

const CellOffsets& cell_offsets() {
  static const CellOffsets offsets = [] {
    CellOffsets o{};
    for (int j = 0; j < kNs; ++j)
      for (int i = 0; i < kNs; ++i) {
        const int c = j * kNs + i;
        o.u[c] = (i + 1 - (kNs + 1) / 2.0) * kDeltaS;
        o.v[c] = (j + 1 - (kNs + 1) / 2.0) * kDeltaS;
        o.in_disc[c] = mcc::cell_in_disc(c);
      }
    return o;
  }();
  return offsets;
}

struct Cylinder {
  std::array<std::uint64_t, kCylinderWords> bits{};
  std::array<std::uint64_t, kValidityWords> valid{};
  bool ok = false;
};

Cylinder build_cylinder(const std::vector<Minutia>& ms, std::size_t self, const detail::ConvexHull& hull) {
  const CellOffsets& off = cell_offsets();
  const Minutia& m = ms[self];
  const double mx = m.x, my = m.y, mt = m.theta;
  const double c = std::cos(mt), s = std::sin(mt);

  // Neighbours that can reach a cell of this cylinder, with their per-layer
  // directional contributions.
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
    for (int k = 0; k < kNd; ++k) {
      const double phi_k = -kPi + (k + 0.5) * kDeltaD;
      n.gd[k] = gaussian_directional(wrap(phi_k - rel));
    }
    nbrs.push_back(n);
  }

  // A minutia deep enough inside the hull has its whole disc inside the hull
  // enlarged by Omega: every point within depth + Omega of it is. The 0.01 px
  // margin keeps the shortcut from deciding cells the exact test could round
  // the other way, so the cylinders are the same either way.
  const bool all_inside = hull.inside_depth({mx, my}) + kOmega > static_cast<double>(kRadius) + 0.01;
  Cylinder cyl;
  int valid_cells = 0;
  const double reach2 = 9.0 * kSigmaS * kSigmaS;  // (3 sigma_S)^2
  for (int cell = 0; cell < kCellsPerLayer; ++cell) {
    if (!off.in_disc[cell]) continue;
    // Cell centre: (x, y) + Rot(theta) (u, v), Rot = [[cos, sin], [-sin, cos]]
    // (image coordinates, y down, theta counter-clockwise as seen).
    const double px = mx + c * off.u[cell] + s * off.v[cell];
    const double py = my - s * off.u[cell] + c * off.v[cell];
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

}  // namespace

EncodedTemplate::EncodedTemplate() {
  static const std::shared_ptr<const Data> empty = std::make_shared<Data>();
  d_ = empty;
}

std::size_t EncodedTemplate::cylinders() const noexcept { return d_->x.size(); }
std::size_t EncodedTemplate::source_minutiae() const noexcept { return d_->source_minutiae; }
std::size_t EncodedTemplate::bytes() const noexcept { return d_->x.size() * kBytesPerCylinder; }
const TemplateInfo& EncodedTemplate::info() const noexcept { return d_->info; }

namespace {

bool low_quality(const Minutia& m, const CylinderOptions& o) {
  return m.quality >= 1 && m.quality <= 100 && m.quality < o.min_quality;
}

// The minutiae that take part in the cylinders (see CylinderOptions), with
// their indices in the input.
void select_minutiae(const std::vector<Minutia>& all, const CylinderOptions& o, std::vector<Minutia>* ms,
                     std::vector<std::uint16_t>* index) {
  std::size_t low = 0;
  for (const Minutia& m : all) low += low_quality(m, o);
  const bool filter = low * 100 <= all.size() * o.max_dropped_percent;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (filter && low_quality(all[i], o)) continue;
    ms->push_back(all[i]);
    index->push_back(static_cast<std::uint16_t>(i));
  }
}

}  // namespace

EncodedTemplate encode(const Template& t, const CylinderOptions& options) {
  if (t.size() > 65535) throw Error(ErrorCode::InvalidArgument, "encode: more than 65535 minutiae");
  if (options.max_dropped_percent > 100)
    throw Error(ErrorCode::InvalidArgument, "encode: max_dropped_percent must be 0-100");
  std::vector<Minutia> ms;
  std::vector<std::uint16_t> source;
  select_minutiae(t.minutiae(), options, &ms, &source);
  std::vector<detail::Point> pts;
  pts.reserve(ms.size());
  for (const Minutia& m : ms) pts.push_back({m.x, m.y});
  const detail::ConvexHull hull(std::move(pts));

  std::vector<Cylinder> cyls(ms.size());
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    cyls[i] = build_cylinder(ms, i, hull);
    if (cyls[i].ok) kept.push_back(i);
  }
  if (kept.size() > static_cast<std::size_t>(kMaxCylinders)) {
    // Keep the highest-quality minutiae (ties: the earlier one), in input order.
    std::stable_sort(kept.begin(), kept.end(),
                     [&](std::size_t a, std::size_t b) { return ms[a].quality > ms[b].quality; });
    kept.resize(kMaxCylinders);
    std::sort(kept.begin(), kept.end());
  }

  auto d = std::make_shared<EncodedTemplate::Data>();
  d->info = t.info();
  d->source_minutiae = static_cast<std::uint32_t>(t.size());
  d->bits.reserve(kept.size() * kCylinderWords);
  d->valid.reserve(kept.size() * kValidityWords);
  for (std::size_t i : kept) {
    d->bits.insert(d->bits.end(), cyls[i].bits.begin(), cyls[i].bits.end());
    d->valid.insert(d->valid.end(), cyls[i].valid.begin(), cyls[i].valid.end());
    d->x.push_back(ms[i].x);
    d->y.push_back(ms[i].y);
    d->theta.push_back(ms[i].theta);
    d->source_index.push_back(source[i]);
  }
  d->hash = mcc::content_hash(d->n(), d->bits.data(), d->valid.data(), d->x.data(), d->y.data(), d->theta.data());
  return EncodedTemplate(std::move(d));
}

std::vector<EncodedTemplate> encode_all(const std::vector<Template>& templates, const CylinderOptions& options,
                                        int threads, const std::function<void(std::size_t, std::size_t)>& progress) {
  std::vector<EncodedTemplate> out(templates.size());
  const unsigned n = threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex progress_mutex, error_mutex;
  std::exception_ptr error;
  auto work = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= templates.size()) return;
      try {
        out[i] = encode(templates[i], options);
      } catch (...) {
        std::lock_guard<std::mutex> g(error_mutex);
        if (!error) error = std::current_exception();
      }
      const std::size_t d = done.fetch_add(1) + 1;
      if (progress && (d % 256 == 0 || d == templates.size())) {
        std::lock_guard<std::mutex> g(progress_mutex);
        progress(d, templates.size());
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n && t < templates.size(); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return out;
}

}  // namespace fpm
