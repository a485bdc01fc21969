// Width-generic LSS-R stages: one source for every SIMD level, written in the
// operations of a vector struct V (vec_avx2.hpp, vec_avx512.hpp). Each stage
// computes exactly what its specification in mcc/score.hpp computes, lane by
// lane with the same IEEE operations in the same order, so that every level
// gives the specification's bits (tests/test_stage_parity.cpp checks each
// stage on its own).
//
// Included once per level, by simd/level_avx2.hpp and level_avx512.hpp,
// inside that level's namespace, with FPM_VEC_TARGET defined as the level's
// target attribute and FPM_VEC_INLINE as the same, always inlined (small
// helpers: no vector crosses a call).

// ---- Stage 2: pair selection (mcc::select_pairs) ----
//
// The best min(n_A, n_B) pairs of the similarity matrix, as mcc::select_pairs
// chooses and orders them. A floor that at least that many entries reach (so
// that no selected entry lies below it) is found by two binary searches of
// counting passes: on a grid of 1/16 over the matrix, then on a grid of 1/256
// over the entries the first floor let through, compacted. The few entries at
// or above the final floor are then placed by rank: an entry's position in
// the best-first list is the number of entries whose key (similarity, then
// matrix order; mcc/sort_key.hpp) beats its own, and the keys are unique.
// That is a fixed amount of branch-free work where a heap would mispredict a
// branch at almost every step; large ties at a floor go through the heap
// instead. Either way the pairs and their order are the specification's.

// How many of the n values are >= level. Whole vectors are read unmasked
// (a masked load costs several times a plain one on some CPUs), the rest
// masked.
template <class V>
FPM_VEC_INLINE int count_reaching(const float* v, int n, float level) {
  int count = 0;
  const typename V::F lv = V::set1(level);
  int i0 = 0;
  for (; i0 + V::N <= n; i0 += V::N) count += __builtin_popcount(V::bits(V::ge(V::loadu(v + i0), lv)));
  if (i0 < n) {
    const typename V::M live = V::first(n - i0);
    count += __builtin_popcount(V::bits(V::mand(live, V::ge(V::load_n(v + i0, live), lv))));
  }
  return count;
}

// The largest level base + step * l (l in [0, 16)) that at least `cap` of
// the n values reach, by binary search; `base` itself when none does.
template <class V>
FPM_VEC_INLINE float floor_level(const float* v, int n, int cap, float base, float step) {
  int lo = 0, hi = 16;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (count_reaching<V>(v, n, base + step * static_cast<float>(mid)) >= cap)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo == 0 ? base : base + step * static_cast<float>(lo - 1);
}

// The entries of the n values (at matrix indices idx, or i when idx is null)
// that are positive and reach `floor`, offered to the top-`cap` heap.
template <class V>
FPM_VEC_TARGET int select_by_heap(const float* v, const std::int32_t* idx, int n, int cap, float floor,
                                  const mcc::Workspace& w) {
  int count = 0;
  const typename V::F vfloor = V::set1(floor), zero = V::zero();
  for (int i0 = 0; i0 < n; i0 += V::N) {
    const typename V::M live = V::first(n - i0);
    const typename V::F x = V::load_n(v + i0, live);
    for (unsigned todo = V::bits(V::mand(live, V::mand(V::gt(x, zero), V::ge(x, vfloor)))); todo; todo &= todo - 1) {
      const int i = i0 + __builtin_ctz(todo);
      mcc::heap_offer(w.pairs, &count, cap, mcc::pair_key(v[i], static_cast<std::uint32_t>(idx ? idx[i] : i)));
    }
  }
  mcc::heap_sort_descending(w.pairs, count);
  return count;
}

template <class V>
FPM_VEC_TARGET int select_pairs(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, const float* lambda,
                                const mcc::Workspace& w) {
  const int cap = A.n < B.n ? A.n : B.n;
  const int total = A.n * B.n;
  const typename V::F zero = V::zero();
  const float floor1 = floor_level<V>(lambda, total, cap, 0.0f, 1.0f / 16.0f);
  // The positive entries reaching the coarse floor, compacted.
  constexpr int kCompactMax = 1024;
  alignas(64) float cv[kCompactMax + V::N];
  alignas(64) std::int32_t ci[kCompactMax + V::N];
  int m1 = 0;
  const typename V::F vfloor1 = V::set1(floor1);
  for (int i0 = 0; i0 < total; i0 += V::N) {
    const bool whole = total - i0 >= V::N;
    const typename V::M live = V::first(total - i0);
    const typename V::F v = whole ? V::loadu(lambda + i0) : V::load_n(lambda + i0, live);
    const typename V::M take = V::mand(live, V::mand(V::gt(v, zero), V::ge(v, vfloor1)));
    const int n = __builtin_popcount(V::bits(take));
    if (m1 + n > kCompactMax)
      return select_by_heap<V>(lambda, nullptr, total, cap, floor_level<V>(lambda, total, cap, floor1, 1.0f / 256.0f), w);
    V::compress(cv + m1, take, v);
    V::compress_index(ci + m1, take, i0);
    m1 += n;
  }
  const float floor2 = floor_level<V>(cv, m1, cap, floor1, 1.0f / 256.0f);
  // The candidates' keys, compacted once more.
  constexpr int kRankMax = 96;
  alignas(64) std::uint64_t keys[kRankMax], ranked[kRankMax + V::kKeys];
  const typename V::F vfloor2 = V::set1(floor2);
  int m = 0;
  for (int i0 = 0; i0 < m1; i0 += V::N) {
    const typename V::M live = V::first(m1 - i0);
    const unsigned take = V::bits(V::mand(live, V::ge(V::load_n(cv + i0, live), vfloor2)));
    if (m + __builtin_popcount(take) > kRankMax) return select_by_heap<V>(cv, ci, m1, cap, floor2, w);  // many ties
    for (unsigned t = take; t; t &= t - 1) {
      const int i = i0 + __builtin_ctz(t);
      keys[m++] = mcc::pair_key(cv[i], static_cast<std::uint32_t>(ci[i]));
    }
  }
  V::rank_prepare(keys, m, ranked);
  for (int i = 0; i < m; ++i) {
    const int rank = V::rank_count(ranked, m, keys[i]);
    if (rank < cap) w.pairs[rank] = keys[i];
  }
  return m < cap ? m : cap;
}

// ---- Stage 5: relaxation (mcc::lssr_relax) ----
//
// acc[t] = sum over k ascending of rho(t, k) * l[k], V::N values of t per
// register and two registers interleaved to hide the add latency; then
// l[t] = w_R l[t] + c acc[t].
template <class V>
FPM_VEC_TARGET void relax(int nR, const mcc::Workspace& w) {
  const float c = nR > 1 ? (1.0f - mcc::kWR) / static_cast<float>(nR - 1) : 0.0f;
  const typename V::F vc = V::set1(c), vw = V::set1(mcc::kWR);
  for (int it = 0; it < mcc::kNRel; ++it) {
    for (int t0 = 0; t0 < nR; t0 += 2 * V::N) {
      const typename V::M live0 = V::first(nR - t0), live1 = V::first(nR - t0 - V::N);
      typename V::F acc0 = V::zero(), acc1 = V::zero();
      if (nR - t0 >= 2 * V::N) {
        for (int k = 0; k < nR; ++k) {
          const typename V::F lk = V::set1(w.l[k]);
          const float* row = w.rho_t + k * nR + t0;
          acc0 = V::add(acc0, V::mul(V::loadu(row), lk));
          acc1 = V::add(acc1, V::mul(V::loadu(row + V::N), lk));
        }
      } else {
        for (int k = 0; k < nR; ++k) {
          const typename V::F lk = V::set1(w.l[k]);
          const float* row = w.rho_t + k * nR + t0;
          acc0 = V::add(acc0, V::mul(V::load_n(row, live0), lk));
          acc1 = V::add(acc1, V::mul(V::load_n(row + V::N, live1), lk));
        }
      }
      V::store_n(w.acc + t0, live0, acc0);
      V::store_n(w.acc + t0 + V::N, live1, acc1);
    }
    for (int t0 = 0; t0 < nR; t0 += V::N) {
      const typename V::M live = V::first(nR - t0);
      const typename V::F l = V::load_n(w.l + t0, live), a = V::load_n(w.acc + t0, live);
      V::store_n(w.l + t0, live, V::add(V::mul(vw, l), V::mul(vc, a)));
    }
  }
}

// ---- Stage 6: the final score (mcc::lssr_finish) ----
//
// Efficiencies V::N at a time; each pick a vector maximum (the lowest t
// among equal maxima, as the specification's scan), the sum in pick order.
template <class V>
FPM_VEC_TARGET float finish(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, int nR,
                            const mcc::ScoreTables& T, const mcc::Workspace& w) {
  const int np = T.np[A.n < B.n ? A.n : B.n];
  const int take = np < nR ? np : nR;
  const int blocks = (nR + V::N - 1) / V::N;
  const typename V::F taken = V::set1(-1.0f), one = V::set1(1.0f);
  for (int b = 0; b < blocks; ++b) {
    const int t0 = V::N * b;
    const typename V::M live = V::first(nR - t0);
    const typename V::F e = V::div(V::load_n(w.l + t0, live), V::load_n_or(w.l0 + t0, live, one));
    V::storeu(w.acc + t0, V::select(live, e, taken));  // -1 marks lanes past nR and, later, taken pairs
  }
  float sum = 0.0f;
  for (int p = 0; p < take; ++p) {
    typename V::F mx = V::loadu(w.acc);
    for (int b = 1; b < blocks; ++b) mx = V::max(mx, V::loadu(w.acc + V::N * b));
    mx = V::hmax(mx);
    int best = -1;
    for (int b = 0; b < blocks && best < 0; ++b) {
      const unsigned hit = V::bits(V::eq(V::loadu(w.acc + V::N * b), mx));
      if (hit) best = V::N * b + __builtin_ctz(hit);
    }
    sum += w.l[best];
    w.acc[best] = -1.0f;
  }
  return mcc::final_score(sum / static_cast<float>(np), np);
}

// ---- Stage 4: the compatibility matrix (mcc::lssr_compatibility) ----
//
// rho(t, k) is zero for most pairs of selected pairs: their distances
// disagree by more than the z1 table covers, or their relative directions by
// more than the z2 table does. Both terms are the same for (t, k) and (k, t)
// (the distance term exactly: the same squares summed in the same order; the
// direction term up to the rounding of the wrap-around). So a pass over the
// upper triangle with the cheap tests of mcc/prefilter.hpp, against limits
// widened by far more than their rounding errors, finds every pair that may
// be nonzero in either order; only those, compacted, go through the exact
// arithmetic of mcc::pair_compatibility, and every other entry is the 0 the
// specification gives it. Needs math_generic.inl.

// Unordered pairs of selected pairs {t, k} (t > k) that may be compatible,
// with the coordinate differences of t minus k.
template <class V>
struct Candidates {
  static constexpr int kBatch = 256;
  alignas(64) std::int32_t t[kBatch + V::N], k[kBatch + V::N];
  alignas(64) float dxa[kBatch + V::N], dya[kBatch + V::N], dxb[kBatch + V::N], dyb[kBatch + V::N];
  int n = 0;
};

// rho of one direction, pair_compatibility(T, w, t, k), given the pair's
// distance term z1 and the differences of t minus k, per template.
template <class V>
FPM_VEC_INLINE typename V::F angle_terms(const mcc::ScoreTables& T, typename V::F z1, typename V::F tat,
                                         typename V::F tak, typename V::F tbt, typename V::F tbk, typename V::F dxa,
                                         typename V::F dya, typename V::F dxb, typename V::F dyb) {
  const typename V::F zero = V::zero();
  const typename V::F d2 = V::abs(v_angle_diff<V>(v_angle_diff<V>(tat, tak), v_angle_diff<V>(tbt, tbk)));
  // radial_angle(x_t, y_t, theta_t, x_k, y_k): atan2(y_t - y_k, x_k - x_t),
  // and x_k - x_t is 0 - dx exactly (also for dx = 0).
  const typename V::F ra = v_angle_diff<V>(tat, v_atan2<V>(dya, V::sub(zero, dxa)));
  const typename V::F rb = v_angle_diff<V>(tbt, v_atan2<V>(dyb, V::sub(zero, dxb)));
  const typename V::F d3 = V::abs(v_angle_diff<V>(ra, rb));
  return V::mul(V::mul(z1, v_zangle<V>(T.z2, d2)), v_zangle<V>(T.z3, d3));
}

// The exact rho(t, k) and rho(k, t) of the candidates, into the matrix.
template <class V>
FPM_VEC_TARGET void compatibility_exact(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w,
                                        const Candidates<V>& c) {
  const typename V::F zero = V::zero();
  for (int c0 = 0; c0 < c.n; c0 += V::N) {
    const typename V::M live = V::first(c.n - c0);
    const typename V::I t = V::load_n_i(c.t + c0, live), k = V::load_n_i(c.k + c0, live);
    const typename V::F dxa = V::load_n(c.dxa + c0, live), dya = V::load_n(c.dya + c0, live);
    const typename V::F dxb = V::load_n(c.dxb + c0, live), dyb = V::load_n(c.dyb + c0, live);
    // Lanes past the candidates read pair 0: valid memory, results not stored.
    const typename V::F tat = V::gather(w.ta, t), tak = V::gather(w.ta, k);
    const typename V::F tbt = V::gather(w.tb, t), tbk = V::gather(w.tb, k);
    // The distance term is the same in both orders: (-d)^2 = d^2 exactly.
    const typename V::F da = V::sqrt(V::add(V::mul(dxa, dxa), V::mul(dya, dya)));
    const typename V::F db = V::sqrt(V::add(V::mul(dxb, dxb), V::mul(dyb, dyb)));
    const typename V::F d1 = V::abs(V::sub(da, db));
    const typename V::F s1 = V::add(V::mul(d1, V::set1(mcc::kZ1Scale)), V::set1(0.5f));
    const typename V::M in1 = V::mand(live, V::lt(s1, V::set1(static_cast<float>(mcc::kZ1Size))));
    // z1 = 0 gives rho = +0 exactly, as the specification's early return (the
    // angle terms are finite table values).
    const typename V::F z1 = V::gather_or_zero(T.z1, V::cvtt(s1), in1);
    const typename V::F rho_tk = angle_terms<V>(T, z1, tat, tak, tbt, tbk, dxa, dya, dxb, dyb);
    const typename V::F rho_kt = angle_terms<V>(T, z1, tak, tat, tbk, tbt, V::sub(zero, dxa), V::sub(zero, dya),
                                                V::sub(zero, dxb), V::sub(zero, dyb));
    V::scatter(w.rho_t, V::mul_add_i(k, nR, t), rho_tk, live);
    V::scatter(w.rho_t, V::mul_add_i(t, nR, k), rho_kt, live);
  }
}

template <class V>
FPM_VEC_TARGET void compatibility(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w) {
  // rho_t holds kMaxCylinders^2 floats, a multiple of V::N: whole-vector stores.
  static_assert(mcc::kMaxCylinders * mcc::kMaxCylinders % V::N == 0, "whole vectors");
  for (int i = 0; i < nR * nR; i += V::N) V::storeu(w.rho_t + i, V::zero());
  const mcc::PrefilterLimits lim(T);
  const typename V::F l1_sq = V::set1(lim.dist_sq), l1_4 = V::set1(lim.dist_4), l1_sq2 = V::set1(lim.dist_sq2);
  const typename V::F l2_lo = V::set1(lim.rot_lo), l2_hi = V::set1(lim.rot_hi);
  // Each selected pair's rotation, mcc::pair_rotation.
  alignas(64) float phi[mcc::kMaxCylinders + V::N];
  for (int t0 = 0; t0 < nR; t0 += V::N) {
    const typename V::M live = V::first(nR - t0);
    V::storeu(phi + t0, v_angle_diff<V>(V::load_n(w.ta + t0, live), V::load_n(w.tb + t0, live)));
  }
  Candidates<V> c;
  int cn = 0;
  for (int k = 0; k + 1 < nR; ++k) {
    const typename V::F xak = V::set1(w.xa[k]), yak = V::set1(w.ya[k]);
    const typename V::F xbk = V::set1(w.xb[k]), ybk = V::set1(w.yb[k]), phik = V::set1(phi[k]);
    for (int t0 = k + 1; t0 < nR; t0 += V::N) {
      // mcc::compatibility_may_be_nonzero, V::N values of t at a time.
      const typename V::M live = V::first(nR - t0);
      const typename V::F dxa = V::sub(V::load_n(w.xa + t0, live), xak);
      const typename V::F dya = V::sub(V::load_n(w.ya + t0, live), yak);
      const typename V::F dxb = V::sub(V::load_n(w.xb + t0, live), xbk);
      const typename V::F dyb = V::sub(V::load_n(w.yb + t0, live), ybk);
      const typename V::F a2 = V::add(V::mul(dxa, dxa), V::mul(dya, dya));
      const typename V::F b2 = V::add(V::mul(dxb, dxb), V::mul(dyb, dyb));
      const typename V::F sum = V::add(a2, b2), dif = V::sub(a2, b2);
      const typename V::M near1 = V::mor(V::lt(sum, l1_sq), V::lt(V::add(V::mul(dif, dif), l1_4), V::mul(sum, l1_sq2)));
      const typename V::F rot = V::abs(V::sub(V::load_n(phi + t0, live), phik));
      const typename V::M keep = V::mand(live, V::mand(near1, V::mor(V::lt(rot, l2_lo), V::gt(rot, l2_hi))));
      const int n = __builtin_popcount(V::bits(keep));
      if (n == 0) continue;
      // The count lives in a local: stores into c's int arrays could alias
      // c.n, which the compiler would then reload after each of them.
      V::compress_index(c.t + cn, keep, t0);
      V::fill_index(c.k + cn, k);
      V::compress(c.dxa + cn, keep, dxa);
      V::compress(c.dya + cn, keep, dya);
      V::compress(c.dxb + cn, keep, dxb);
      V::compress(c.dyb + cn, keep, dyb);
      cn += n;
      if (cn >= Candidates<V>::kBatch) {
        c.n = cn;
        compatibility_exact<V>(T, nR, w, c);
        cn = 0;
      }
    }
  }
  c.n = cn;
  compatibility_exact<V>(T, nR, w, c);
}
