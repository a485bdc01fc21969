// Width-generic forms of the specification's angle arithmetic
// (mcc/score.hpp), lane by lane the same IEEE operations in the same order.
// Included, like lssr_generic.inl, by simd/level_*.hpp.

// mcc::angle_diff: a - b wrapped into [-pi, pi).
template <class V>
FPM_VEC_INLINE typename V::F v_angle_diff(typename V::F a, typename V::F b) {
  const typename V::F pi = V::set1(mcc::kPiF), npi = V::set1(-mcc::kPiF), two_pi = V::set1(mcc::kTwoPiF);
  typename V::F d = V::sub(a, b);
  d = V::select(V::ge(d, pi), V::sub(d, two_pi), d);
  d = V::select(V::ge(d, pi), V::sub(d, two_pi), d);
  d = V::select(V::lt(d, npi), V::add(d, two_pi), d);
  d = V::select(V::lt(d, npi), V::add(d, two_pi), d);
  return d;
}

// mcc::det_atan2.
template <class V>
FPM_VEC_INLINE typename V::F v_atan2(typename V::F y, typename V::F x) {
  const typename V::F zero = V::zero();
  const typename V::F ax = V::abs(x), ay = V::abs(y);
  const typename V::M x_gt_y = V::gt(ax, ay);
  const typename V::F mx = V::select(x_gt_y, ax, ay), mn = V::select(x_gt_y, ay, ax);
  const typename V::F a = V::div(mn, mx);
  const typename V::F s = V::mul(a, a);
  typename V::F r = V::mul(V::set1(mcc::kAtanP3), s);
  r = V::add(r, V::set1(mcc::kAtanP2));
  r = V::mul(r, s);
  r = V::sub(r, V::set1(mcc::kAtanP1));
  r = V::mul(r, s);
  r = V::mul(r, a);
  r = V::add(r, a);
  r = V::select(V::gt(ay, ax), V::sub(V::set1(mcc::kHalfPiF), r), r);
  r = V::select(V::lt(x, zero), V::sub(V::set1(mcc::kPiF), r), r);
  r = V::select(V::lt(y, zero), V::neg(r), r);
  return V::select(V::eq(mx, zero), zero, r);
}

// mcc::zangle_lookup.
template <class V>
FPM_VEC_INLINE typename V::F v_zangle(const float* table, typename V::F d) {
  const typename V::I i = V::cvtt(V::add(V::mul(d, V::set1(mcc::kZAngleScale)), V::set1(0.5f)));
  return V::gather(table, V::min_i(i, mcc::kZAngleSize));
}
