// MCC cylinder construction (bit variant), once per template at enrolment.
// Runs on the host only, in double precision; the encoded bits are the
// contract between encoder and matchers, so GPU and CPU matchers read the
// very same cylinders.
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>

#include "access.hpp"
#include "encode/convex_hull.hpp"
#include "fpmatch/engine.hpp"  // kMaxEngineThreads
#include "fpmatch/error.hpp"
#include "mcc/content_hash.hpp"
#include "mcc/encoded.hpp"
#include "mcc/params.hpp"
#include "cpu/thread_pool.hpp"

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
  int valid_cells = 0;
};

// Cell centre: (x, y) + Rot(theta) (u, v), Rot = [[cos, sin], [-sin, cos]]
// (image coordinates, y down, theta counter-clockwise as seen). One function
// for both passes, so that they compute the very same centres.
struct Frame {
  double mx, my, c, s;
  explicit Frame(const Minutia& m) : mx(m.x), my(m.y), c(std::cos(double{m.theta})), s(std::sin(double{m.theta})) {}
  double px(const CellOffsets& off, int cell) const { return mx + c * off.u[cell] + s * off.v[cell]; }
  double py(const CellOffsets& off, int cell) const { return my - s * off.u[cell] + c * off.v[cell]; }
};

// First pass: which cells of a minutia's cylinder are valid (inside the hull
// enlarged by Omega). Depends on the hull only, not on the other minutiae.
void mark_valid_cells(const Minutia& m, const detail::ConvexHull& hull, Cylinder* cyl) {
  const CellOffsets& off = cell_offsets();
  const Frame f(m);
  // A minutia deep enough inside the hull has its whole disc inside the hull
  // enlarged by Omega: every point within depth + Omega of it is. The 0.01 px
  // margin keeps the shortcut from deciding cells the exact test could round
  // the other way, so the cylinders are the same either way.
  const bool all_inside = hull.inside_depth({f.mx, f.my}) + kOmega > static_cast<double>(kRadius) + 0.01;
  for (int cell = 0; cell < kCellsPerLayer; ++cell) {
    if (!off.in_disc[cell]) continue;
    if (!all_inside && !hull.contains({f.px(off, cell), f.py(off, cell)}, kOmega)) continue;
    ++cyl->valid_cells;
    cyl->valid[cell / 64] |= std::uint64_t{1} << (cell % 64);
  }
}

// The neighbour test of the published method (another minutia within
// R + 3 sigma_S), as the encoder has always computed it.
bool is_neighbour(const std::vector<Minutia>& ms, std::size_t self, std::size_t t) {
  if (t == self) return false;
  const double mx = ms[self].x, my = ms[self].y;
  const double dx = ms[t].x - mx, dy = ms[t].y - my;
  return !(dx * dx + dy * dy > kNeighbourRadius * kNeighbourRadius);
}

// The neighbours of `self` in input order, the order in which the cell sums
// add them (the bits depend on it).
std::vector<std::uint32_t> neighbours_of(const std::vector<Minutia>& ms, std::size_t self) {
  std::vector<std::uint32_t> out;
  for (std::size_t t = 0; t < ms.size(); ++t)
    if (is_neighbour(ms, self, t)) out.push_back(static_cast<std::uint32_t>(t));
  return out;
}

// The selected minutiae in square buckets, so that whether a minutia has
// enough neighbours is decided among the minutiae of the 3 x 3 buckets
// around it instead of all of them. The bucket side leaves a wide margin
// over the neighbour radius: a minutia two buckets away is more than 128 px
// off, so the exact distance test could never accept it, however it rounds.
// Coordinates are 0-16383 (Template checks them).
class Buckets {
 public:
  static constexpr double kSide = 128.0;
  static constexpr int kPerAxis = static_cast<int>(16384.0 / kSide) + 1;
  static_assert(kSide > kNeighbourRadius + 1.0, "buckets narrower than the neighbour radius");

  explicit Buckets(const std::vector<Minutia>& ms) : ms_(ms), start_(kPerAxis * kPerAxis + 1, 0), index_(ms.size()) {
    for (const Minutia& m : ms) ++start_[bucket(m.x, m.y) + 1];
    for (std::size_t b = 1; b < start_.size(); ++b) start_[b] += start_[b - 1];
    std::vector<std::uint32_t> fill(start_.begin(), start_.end() - 1);
    for (std::size_t i = 0; i < ms.size(); ++i) index_[fill[bucket(ms[i].x, ms[i].y)]++] = static_cast<std::uint32_t>(i);
  }

  // Whether `self` has at least `wanted` neighbours (stops counting there).
  bool has_neighbours(std::size_t self, int wanted) const {
    if (wanted <= 0) return true;
    int found = 0;
    const int bx = axis(ms_[self].x), by = axis(ms_[self].y);
    for (int y = std::max(0, by - 1); y <= std::min(kPerAxis - 1, by + 1); ++y)
      for (int x = std::max(0, bx - 1); x <= std::min(kPerAxis - 1, bx + 1); ++x) {
        const std::size_t b = static_cast<std::size_t>(y) * kPerAxis + x;
        for (std::uint32_t k = start_[b]; k < start_[b + 1]; ++k)
          if (is_neighbour(ms_, self, index_[k]) && ++found >= wanted) return true;
      }
    return false;
  }

 private:
  static int axis(float v) { return std::min(kPerAxis - 1, std::max(0, static_cast<int>(v / kSide))); }
  static std::size_t bucket(float x, float y) { return static_cast<std::size_t>(axis(y)) * kPerAxis + axis(x); }

  const std::vector<Minutia>& ms_;
  std::vector<std::uint32_t> start_;  // bucket b holds index_[start_[b], start_[b + 1])
  std::vector<std::uint32_t> index_;  // minutia indices, ascending within a bucket
};

// Second pass: the cell bits of a cylinder whose valid cells are marked. A
// cell sums, over the neighbours within 3 sigma_S of its centre and in input
// order, the spatial contribution (a function of the distance) times the
// directional ones (functions of the relative direction).
constexpr double kReach2 = 9.0 * kSigmaS * kSigmaS;  // (3 sigma_S)^2

void set_bits(const std::array<double, kNd>& sum, int cell, Cylinder* cyl) {
  for (int k = 0; k < kNd; ++k)
    if (sum[k] >= kMuPsi) cyl->bits[k * kWordsPerLayer + cell / 64] |= std::uint64_t{1} << (cell % 64);
}

bool is_valid(const Cylinder& cyl, int cell) { return (cyl.valid[cell / 64] >> (cell % 64)) & 1u; }

std::array<double, kNd> directional(double mt, float theta) {
  std::array<double, kNd> gd;
  const double rel = wrap(mt - theta);
  for (int k = 0; k < kNd; ++k) {
    const double phi_k = -kPi + (k + 0.5) * kDeltaD;
    gd[k] = gaussian_directional(wrap(phi_k - rel));
  }
  return gd;
}

// Every neighbour computed for itself: the published method as written.
void fill_cells_plain(const std::vector<Minutia>& ms, std::size_t self, const std::vector<std::uint32_t>& neighbours,
                      Cylinder* cyl) {
  const CellOffsets& off = cell_offsets();
  const Frame f(ms[self]);
  struct Neighbour {
    double x, y;
    std::array<double, kNd> gd;
  };
  std::vector<Neighbour> nbrs;
  nbrs.reserve(neighbours.size());
  for (std::uint32_t t : neighbours) nbrs.push_back({ms[t].x, ms[t].y, directional(ms[self].theta, ms[t].theta)});
  for (int cell = 0; cell < kCellsPerLayer; ++cell) {
    if (!is_valid(*cyl, cell)) continue;
    const double px = f.px(off, cell), py = f.py(off, cell);
    std::array<double, kNd> sum{};
    for (const Neighbour& n : nbrs) {
      const double dx = n.x - px, dy = n.y - py;
      const double d2 = dx * dx + dy * dy;
      if (d2 > kReach2) continue;
      const double gs = gaussian_spatial(d2);
      for (int k = 0; k < kNd; ++k) sum[k] += gs * n.gd[k];
    }
    set_bits(sum, cell, cyl);
  }
}

// Which selected minutiae share a position, and which a direction: equal
// ids, equal values. Built once per template, for crowded cylinders only.
struct Groups {
  std::vector<std::uint32_t> position, direction;  // id per minutia
  std::uint32_t positions = 0, directions = 0;     // distinct ones

  explicit Groups(const std::vector<Minutia>& ms) : position(ms.size()), direction(ms.size()) {
    std::vector<std::uint32_t> order(ms.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return ms[a].x < ms[b].x || (ms[a].x == ms[b].x && ms[a].y < ms[b].y);
    });
    for (std::size_t k = 0; k < order.size(); ++k) {
      const Minutia &m = ms[order[k]], &p = ms[order[k == 0 ? 0 : k - 1]];
      if (k == 0 || m.x != p.x || m.y != p.y) ++positions;
      position[order[k]] = positions - 1;
    }
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return ms[a].theta < ms[b].theta; });
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (k == 0 || ms[order[k]].theta != ms[order[k - 1]].theta) ++directions;
      direction[order[k]] = directions - 1;
    }
  }
};

// A crowded cylinder (only contrived templates have one: a real minutia has
// a few dozen neighbours) whose neighbours share positions: each distinct
// position's spatial contribution is computed once per cell, each distinct
// direction's directional ones once per cylinder, and a cell adds only the
// neighbours within its reach. The same numbers are added in the same order
// as in the plain pass, so the bits are the same, and a pile of identical
// minutiae costs additions rather than exponentials.
class CrowdedCells {
 public:
  explicit CrowdedCells(const Groups& g) : groups_(g), local_position_(g.positions, -1), local_direction_(g.directions, -1) {}

  // Maps the neighbours onto their distinct positions and directions; false
  // (and nothing to undo) when too few positions are shared to gain anything.
  bool prepare(const std::vector<Minutia>& ms, std::size_t self, const std::vector<std::uint32_t>& neighbours) {
    std::size_t distinct = 0;
    for (std::uint32_t t : neighbours) {
      int& local = local_position_[groups_.position[t]];
      if (local < 0) local = static_cast<int>(distinct++);
    }
    for (std::uint32_t t : neighbours) local_position_[groups_.position[t]] = -1;
    if (distinct * 2 > neighbours.size()) return false;

    positions_.clear();
    gd_.clear();
    position_of_.resize(neighbours.size());
    direction_of_.resize(neighbours.size());
    for (std::size_t j = 0; j < neighbours.size(); ++j) {
      const Minutia& n = ms[neighbours[j]];
      int& p = local_position_[groups_.position[neighbours[j]]];
      if (p < 0) {
        p = static_cast<int>(positions_.size());
        positions_.push_back({n.x, n.y});
      }
      int& d = local_direction_[groups_.direction[neighbours[j]]];
      if (d < 0) {
        d = static_cast<int>(gd_.size());
        gd_.push_back(directional(ms[self].theta, n.theta));
      }
      position_of_[j] = static_cast<std::uint32_t>(p);
      direction_of_[j] = static_cast<std::uint32_t>(d);
    }
    for (std::uint32_t t : neighbours) {
      local_position_[groups_.position[t]] = -1;
      local_direction_[groups_.direction[t]] = -1;
    }
    // The neighbours at each position, in input order: position u holds
    // members_[first_[u], first_[u + 1]).
    first_.assign(positions_.size() + 1, 0);
    for (std::uint32_t u : position_of_) ++first_[u + 1];
    for (std::size_t u = 1; u < first_.size(); ++u) first_[u] += first_[u - 1];
    members_.resize(neighbours.size());
    fill_.assign(first_.begin(), first_.end() - 1);
    for (std::size_t j = 0; j < neighbours.size(); ++j) members_[fill_[position_of_[j]]++] = static_cast<std::uint32_t>(j);
    return true;
  }

  void fill(const Minutia& m, Cylinder* cyl) {
    const CellOffsets& off = cell_offsets();
    const Frame f(m);
    const std::size_t count = position_of_.size();
    gs_.resize(positions_.size());
    reaches_.resize(positions_.size());
    for (int cell = 0; cell < kCellsPerLayer; ++cell) {
      if (!is_valid(*cyl, cell)) continue;
      const double px = f.px(off, cell), py = f.py(off, cell);
      reaching_.clear();
      std::size_t reached = 0;  // neighbours at the positions within reach
      for (std::size_t u = 0; u < positions_.size(); ++u) {
        const double dx = positions_[u].x - px, dy = positions_[u].y - py;
        const double d2 = dx * dx + dy * dy;
        reaches_[u] = !(d2 > kReach2);
        if (!reaches_[u]) continue;
        gs_[u] = gaussian_spatial(d2);
        reaching_.push_back(static_cast<std::uint32_t>(u));
        reached += first_[u + 1] - first_[u];
      }
      if (reaching_.empty()) continue;  // every sum 0: no bit set
      std::array<double, kNd> sum{};
      auto add = [&](std::size_t j) {
        const double g = gs_[position_of_[j]];
        const std::array<double, kNd>& d = gd_[direction_of_[j]];
        for (int k = 0; k < kNd; ++k) sum[k] += g * d[k];
      };
      if (reaching_.size() == 1) {
        // One position within reach: its neighbours are already in order.
        const std::uint32_t u = reaching_[0];
        for (std::uint32_t k = first_[u]; k < first_[u + 1]; ++k) add(members_[k]);
      } else if (reached * 8 < count) {
        // Few within reach: those alone, put back into input order.
        order_.clear();
        for (std::uint32_t u : reaching_)
          order_.insert(order_.end(), members_.begin() + first_[u], members_.begin() + first_[u + 1]);
        std::sort(order_.begin(), order_.end());
        for (std::uint32_t j : order_) add(j);
      } else {
        for (std::size_t j = 0; j < count; ++j)
          if (reaches_[position_of_[j]]) add(j);
      }
      set_bits(sum, cell, cyl);
    }
  }

 private:
  struct Position {
    double x, y;
  };
  const Groups& groups_;
  std::vector<int> local_position_, local_direction_;  // group id -> index below, -1 when unused
  std::vector<Position> positions_;
  std::vector<std::array<double, kNd>> gd_;
  std::vector<std::uint32_t> position_of_, direction_of_, first_, members_, fill_;
  std::vector<double> gs_;
  std::vector<char> reaches_;
  std::vector<std::uint32_t> reaching_, order_;
};

// Up to this many neighbours the plain pass is used without looking for
// shared positions (real minutiae have a few dozen).
constexpr std::size_t kPlainNeighbours = 256;

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

EncodedTemplate encode_cylinders(const Template& t, const CylinderOptions& options) {
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
  const Buckets buckets(ms);

  // A minutia gets a cylinder when enough of its cells are valid and it has
  // enough neighbours; a template keeps at most kMaxCylinders of them, the
  // highest-quality ones (ties: the earlier one), in input order. Trying the
  // minutiae best first and stopping at the cap keeps exactly that choice
  // while building only the cylinders kept: the work is linear in the
  // minutiae plus at most kMaxCylinders cylinders, instead of a cylinder for
  // each minutia, each with a scan of all the others.
  std::vector<std::size_t> order(ms.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return ms[a].quality > ms[b].quality; });
  std::vector<std::pair<std::size_t, Cylinder>> kept;
  for (std::size_t i : order) {
    if (kept.size() == static_cast<std::size_t>(kMaxCylinders)) break;
    if (!buckets.has_neighbours(i, kMinM)) continue;
    Cylinder cyl;
    mark_valid_cells(ms[i], hull, &cyl);
    if (cyl.valid_cells < kMinValidCells) continue;
    kept.emplace_back(i, cyl);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::unique_ptr<Groups> groups;
  std::unique_ptr<CrowdedCells> crowded;
  for (auto& [i, cyl] : kept) {
    const std::vector<std::uint32_t> neighbours = neighbours_of(ms, i);
    if (neighbours.size() > kPlainNeighbours) {
      if (!groups) {
        groups = std::make_unique<Groups>(ms);
        crowded = std::make_unique<CrowdedCells>(*groups);
      }
      if (crowded->prepare(ms, i, neighbours)) {
        crowded->fill(ms[i], &cyl);
        continue;
      }
    }
    fill_cells_plain(ms, i, neighbours, &cyl);
  }

  auto d = std::make_shared<EncodedTemplate::Data>();
  d->info = t.info();
  d->source_minutiae = static_cast<std::uint32_t>(t.size());
  d->bits.reserve(kept.size() * kCylinderWords);
  d->valid.reserve(kept.size() * kValidityWords);
  for (const auto& [i, cyl] : kept) {
    d->bits.insert(d->bits.end(), cyl.bits.begin(), cyl.bits.end());
    d->valid.insert(d->valid.end(), cyl.valid.begin(), cyl.valid.end());
    d->x.push_back(ms[i].x);
    d->y.push_back(ms[i].y);
    d->theta.push_back(ms[i].theta);
    d->source_index.push_back(source[i]);
  }
  d->hash = mcc::content_hash(d->n(), d->bits.data(), d->valid.data(), d->x.data(), d->y.data(), d->theta.data());
  return detail::Access::make_encoded(std::move(d));
}

std::vector<EncodedTemplate> encode_cylinders_all(const std::vector<Template>& templates, const CylinderOptions& options,
                                        int threads, const std::function<void(std::size_t, std::size_t)>& progress) {
  if (threads < 0 || threads > kMaxEngineThreads)
    throw Error(ErrorCode::InvalidArgument, "encode_cylinders_all: threads must be 0 (all cores) to " +
                                                std::to_string(kMaxEngineThreads));
  std::vector<EncodedTemplate> out(templates.size());
  const unsigned n = threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
  std::atomic<std::size_t> done{0};
  std::mutex progress_mutex;
  // Threads the system cannot start are done without; the first error is
  // rethrown after the running tasks end.
  const std::size_t extra = std::min<std::size_t>(n, std::max<std::size_t>(templates.size(), 1)) - 1;
  detail::ThreadPool pool(static_cast<unsigned>(extra), detail::ThreadPool::OnStartFailure::DoWithout);
  pool.parallel_for(templates.size(), [&](std::size_t i) {
    out[i] = encode_cylinders(templates[i], options);
    const std::size_t d = done.fetch_add(1) + 1;
    if (progress && (d % 256 == 0 || d == templates.size())) {
      std::lock_guard<std::mutex> g(progress_mutex);
      progress(d, templates.size());
    }
  });
  return out;
}

}  // namespace fpm
