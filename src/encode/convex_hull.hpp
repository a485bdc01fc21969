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
  // Distance from p to the hull's boundary when p lies inside a hull of at
  // least three vertices; -1 otherwise.
  double inside_depth(Point p) const;
  const std::vector<Point>& vertices() const { return hull_; }  // counter-clockwise (y up) order

 private:
  std::vector<Point> hull_;
};

}  // namespace fpm::detail
