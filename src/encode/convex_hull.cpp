#include "encode/convex_hull.hpp"

#include <algorithm>
#include <cmath>

namespace fpm::detail {

namespace {
double cross(Point o, Point a, Point b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

double segment_distance2(Point p, Point a, Point b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  const double ex = a.x + t * dx - p.x, ey = a.y + t * dy - p.y;
  return ex * ex + ey * ey;
}
}  // namespace

ConvexHull::ConvexHull(std::vector<Point> pts) {
  std::sort(pts.begin(), pts.end(), [](Point a, Point b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  pts.erase(std::unique(pts.begin(), pts.end(), [](Point a, Point b) { return a.x == b.x && a.y == b.y; }),
            pts.end());
  if (pts.size() < 3) {
    hull_ = pts;
    return;
  }
  // Andrew's monotone chain.
  std::vector<Point> h(2 * pts.size());
  std::size_t k = 0;
  for (const Point& p : pts) {
    while (k >= 2 && cross(h[k - 2], h[k - 1], p) <= 0) --k;
    h[k++] = p;
  }
  for (std::size_t i = pts.size() - 1, lower = k + 1; i-- > 0;) {
    const Point& p = pts[i];
    while (k >= lower && cross(h[k - 2], h[k - 1], p) <= 0) --k;
    h[k++] = p;
  }
  h.resize(k - 1);
  hull_ = std::move(h);
}

double ConvexHull::inside_depth(Point p) const {
  const std::size_t n = hull_.size();
  if (n < 3) return -1.0;
  double depth = 1e300;
  for (std::size_t i = 0; i < n; ++i) {
    const Point a = hull_[i], b = hull_[(i + 1) % n];
    const double c = cross(a, b, p);
    if (c < 0) return -1.0;
    const double len = std::hypot(b.x - a.x, b.y - a.y);
    if (len > 0) depth = std::min(depth, c / len);
  }
  return depth;
}

bool ConvexHull::contains(Point p, double margin) const {
  const std::size_t n = hull_.size();
  if (n == 0) return false;
  const double m2 = margin * margin;
  if (n == 1) {
    const double dx = p.x - hull_[0].x, dy = p.y - hull_[0].y;
    return dx * dx + dy * dy <= m2;
  }
  if (n == 2) return segment_distance2(p, hull_[0], hull_[1]) <= m2;
  bool inside = true;
  for (std::size_t i = 0; i < n; ++i)
    if (cross(hull_[i], hull_[(i + 1) % n], p) < 0) {
      inside = false;
      break;
    }
  if (inside) return true;
  for (std::size_t i = 0; i < n; ++i)
    if (segment_distance2(p, hull_[i], hull_[(i + 1) % n]) <= m2) return true;
  return false;
}

}  // namespace fpm::detail
