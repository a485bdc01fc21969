// Convex hull of a template's minutiae and the "inside the hull enlarged by
// Omega" test that decides which cylinder cells are valid.
#pragma once

#include <vector>

namespace fpm::detail {

struct Point {
  double x, y;
};

class ConvexHull {
 public:
  explicit ConvexHull(std::vector<Point> points);
  // True when p lies inside the hull or within `margin` of it. A hull of one
  // point is a point, of two a segment; an empty hull contains nothing.
  bool contains(Point p, double margin) const;
  const std::vector<Point>& vertices() const { return hull_; }  // counter-clockwise (y up) order

 private:
  std::vector<Point> hull_;
};

}  // namespace fpm::detail
