// AVX2 path: byte-wise popcounts by nibble lookup (vpshufb), summed per
// 64-bit lane with vpsadbw. Compiled for AVX2 through target attributes and
// called only when the CPU has it.
//
// The counts come from per-cylinder summaries (mcc/summary.hpp explains
// them): with a's bits inside va and b's inside vb, |a & m| = |a & vb| is a
// weighted count of a's three layer-count bit planes (3 vectors instead of
// 6), |a XOR b| on m is |a & m| + |b & m| - 2 |a & b|, and a cylinder whose
// validity is the whole disc knows its own counts: for two of them only
// |a & b| is left (6 vectors instead of 18). The direction test runs on 8
// columns at a time and only the columns that pass are visited; the square
// roots and the division of mcc::lambda_from_counts run on 8 cells at a
// time, the same IEEE operations per lane. Every count is an integer, so the
// matrices are the scalar path's bit for bit (the parity tests compare the
// scores on every shared template pair and on synthetic ones).
#include <immintrin.h>

#include "cpu/simd_targets.hpp"

#include "cpu/simd/level_avx2.hpp"
#include "cpu/simd/popcount_avx2.hpp"
#include "cpu/stage_variants.hpp"
#include "mcc/score.hpp"
#include "mcc/summary.hpp"

namespace fpm::cpu {

namespace {

FPM_AVX2 inline __m256i load(const std::uint64_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// mcc::layer_count_planes and mcc::cylinder_counts with one vector per
// layer (bitwise operations: the same words).
FPM_AVX2 void summarise(const mcc::CylinderSetView& S, SetSummary& s) {
  const __m256i zero = _mm256_setzero_si256();
  s.n = S.n;
  for (auto& w : s.full) w = 0;
  for (int j = 0; j < S.n; ++j) {
    const std::uint64_t* c = S.bits + j * mcc::kCylinderWords;
    const __m256i l0 = load(c), l1 = load(c + 4), l2 = load(c + 8), l3 = load(c + 12), l4 = load(c + 16),
                  l5 = load(c + 20);
    const __m256i x01 = _mm256_xor_si256(l0, l1), x34 = _mm256_xor_si256(l3, l4);
    const __m256i s1 = _mm256_xor_si256(x01, l2), c1 = _mm256_or_si256(_mm256_and_si256(l0, l1), _mm256_and_si256(l2, x01));
    const __m256i s2 = _mm256_xor_si256(x34, l5), c2 = _mm256_or_si256(_mm256_and_si256(l3, l4), _mm256_and_si256(l5, x34));
    const __m256i k = _mm256_and_si256(s1, s2), cx = _mm256_xor_si256(c1, c2);
    auto* p = reinterpret_cast<__m256i*>(s.planes[j]);
    _mm256_store_si256(p, _mm256_xor_si256(s1, s2));
    _mm256_store_si256(p + 1, _mm256_xor_si256(cx, k));
    _mm256_store_si256(p + 2, _mm256_or_si256(_mm256_and_si256(c1, c2), _mm256_and_si256(k, cx)));
    // |bits| per byte: at most 6 * 8.
    __m256i n = popcount_bytes(l0);
    n = _mm256_add_epi8(n, popcount_bytes(l1));
    n = _mm256_add_epi8(n, popcount_bytes(l2));
    n = _mm256_add_epi8(n, popcount_bytes(l3));
    n = _mm256_add_epi8(n, popcount_bytes(l4));
    n = _mm256_add_epi8(n, popcount_bytes(l5));
    const __m256i sad = _mm256_sad_epu8(n, zero);
    const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
    const int nb = static_cast<int>(_mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1));
    const std::uint64_t* v = S.valid + j * mcc::kValidityWords;
    const int nv = mcc::popcount64(v[0]) + mcc::popcount64(v[1]) + mcc::popcount64(v[2]) + mcc::popcount64(v[3]);
    s.counts[j] = static_cast<std::uint32_t>(nb) | static_cast<std::uint32_t>(nv) << 16;
    if (mcc::whole_disc(s.counts[j])) s.full[j / 64] |= std::uint64_t{1} << (j % 64);
  }
}

// Per byte, the count of set layers (0 to 6) in the cells of v, weighted as
// the planes are: p0 + 2 p1 + 4 p2, at most 8 + 16 + 32 per byte.
FPM_AVX2 inline __m256i plane_counts(const std::uint64_t* planes, __m256i v) {
  __m256i w = popcount_bytes(_mm256_and_si256(load(planes + 2 * mcc::kWordsPerLayer), v));
  w = _mm256_add_epi8(_mm256_add_epi8(w, w), popcount_bytes(_mm256_and_si256(load(planes + mcc::kWordsPerLayer), v)));
  return _mm256_add_epi8(_mm256_add_epi8(w, w), popcount_bytes(_mm256_and_si256(load(planes), v)));
}

// The counts of row cylinder i of A and column cylinder j of B, which pass
// the direction test, into slot q of a row's lists: |a & m|, |b & m| and
// |a XOR b| on m, or -1 in the first when m is too small (similarity 0).
// FA, FB: whether each has the whole disc valid.
struct RowCounts {
  alignas(32) std::int32_t a[mcc::kMaxCylinders], b[mcc::kMaxCylinders], x[mcc::kMaxCylinders];
  std::int32_t col[mcc::kMaxCylinders + 8];  // + 8: a block's list is stored whole
  int n = 0;
};

template <bool FA, bool FB>
FPM_AVX2 inline void cell(const mcc::CylinderSetView& A, int i, const SetSummary& sa, const mcc::CylinderSetView& B, int q,
                          const SetSummary& sb, RowCounts& rc) {
  const int j = rc.col[q];
  const std::uint64_t* va = A.valid + i * mcc::kValidityWords;
  const std::uint64_t* vb = B.valid + j * mcc::kValidityWords;
  int pm = mcc::kDiscCells;
  if constexpr (!FA && !FB) {
    pm = 0;
    for (int w = 0; w < mcc::kValidityWords; ++w) pm += mcc::popcount64(va[w] & vb[w]);
  } else if constexpr (!FA) {
    pm = mcc::counts_valid(sa.counts[i]);  // m = va
  } else if constexpr (!FB) {
    pm = mcc::counts_valid(sb.counts[j]);  // m = vb
  }
  if (pm < mcc::kMinMatchableCells) {
    rc.a[q] = -1;
    rc.b[q] = rc.x[q] = 0;
    return;
  }
  const std::uint64_t* ca = A.bits + i * mcc::kCylinderWords;
  const std::uint64_t* cb = B.bits + j * mcc::kCylinderWords;
  // |a & b| per byte, at most 6 * 8 (a & b lies inside both validities).
  __m256i ab = popcount_bytes(_mm256_and_si256(load(ca), load(cb)));
  for (int k = 1; k < mcc::kNd; ++k)
    ab = _mm256_add_epi8(ab, popcount_bytes(_mm256_and_si256(load(ca + 4 * k), load(cb + 4 * k))));
  const __m256i zero = _mm256_setzero_si256();
  // One reduction for up to three sums packed in 16-bit fields of each lane.
  __m256i s = _mm256_sad_epu8(ab, zero);
  if constexpr (!FB) s = _mm256_add_epi64(s, _mm256_slli_epi64(_mm256_sad_epu8(plane_counts(sa.planes[i], load(vb)), zero), 16));
  if constexpr (!FA) s = _mm256_add_epi64(s, _mm256_slli_epi64(_mm256_sad_epu8(plane_counts(sb.planes[j], load(va)), zero), 32));
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  const std::uint64_t t =
      static_cast<std::uint64_t>(_mm_cvtsi128_si64(h)) + static_cast<std::uint64_t>(_mm_extract_epi64(h, 1));
  const int nab = static_cast<int>(t & 0xffff);
  const int pa = FB ? mcc::counts_bits(sa.counts[i]) : static_cast<int>((t >> 16) & 0xffff);
  const int pb = FA ? mcc::counts_bits(sb.counts[j]) : static_cast<int>(t >> 32);
  rc.a[q] = pa;
  rc.b[q] = pb;
  rc.x[q] = pa + pb - 2 * nab;
}

// mcc::lambda_from_counts of the row's listed cells, 8 at a time (the same
// IEEE operations per lane), into their columns.
FPM_AVX2 inline void row_lambdas(RowCounts& rc, float* out) {
  for (int q = rc.n; q < ((rc.n + 7) & ~7); ++q) rc.a[q] = rc.b[q] = rc.x[q] = 0;
  for (int q0 = 0; q0 < rc.n; q0 += 8) {
    const __m256i a = _mm256_load_si256(reinterpret_cast<const __m256i*>(rc.a + q0));
    const __m256i b = _mm256_load_si256(reinterpret_cast<const __m256i*>(rc.b + q0));
    const __m256i x = _mm256_load_si256(reinterpret_cast<const __m256i*>(rc.x + q0));
    const __m256 fa = _mm256_sqrt_ps(_mm256_cvtepi32_ps(a));  // NaN where a = -1: masked below
    const __m256 fb = _mm256_sqrt_ps(_mm256_cvtepi32_ps(b));
    const __m256 fx = _mm256_sqrt_ps(_mm256_cvtepi32_ps(x));
    const __m256 l = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(fx, _mm256_add_ps(fa, fb)));
    // 0 where m was too small (a = -1) or a + b = 0.
    const __m256i ok = _mm256_and_si256(_mm256_cmpgt_epi32(a, _mm256_set1_epi32(-1)),
                                        _mm256_cmpgt_epi32(_mm256_add_epi32(a, b), _mm256_setzero_si256()));
    alignas(32) float v[8];
    _mm256_store_ps(v, _mm256_and_ps(l, _mm256_castsi256_ps(ok)));
    const int n = rc.n - q0 < 8 ? rc.n - q0 : 8;
    for (int q = 0; q < n; ++q) out[rc.col[q0 + q]] = v[q];
  }
}

// Row i: zeros, then the columns that pass the direction test, listed by
// B's kind (whole disc first) and counted list by list.
template <bool FA>
FPM_AVX2 void row(const mcc::CylinderSetView& A, int i, const SetSummary& sa, const mcc::CylinderSetView& B, const SetSummary& sb,
                  float* out) {
  const __m256 ta = _mm256_set1_ps(A.theta[i]);
  const __m256 gate = _mm256_set1_ps(mcc::kDeltaTheta);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  RowCounts rc;
  std::int32_t partial[mcc::kMaxCylinders + 8];
  int nf = 0, np = 0;
  for (int j0 = 0; j0 < B.n; j0 += 8) {
    const int n = B.n - j0 < 8 ? B.n - j0 : 8;
    unsigned pass;
    if (n == 8) {
      const __m256 d = _mm256_and_ps(avx2::v_angle_diff<avx2::V>(ta, _mm256_loadu_ps(B.theta + j0)), abs_mask);
      pass = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(d, gate, _CMP_LE_OQ)));
      _mm256_storeu_ps(out + j0, _mm256_setzero_ps());
    } else {
      pass = 0;
      for (int q = 0; q < n; ++q) {
        pass |= mcc::direction_compatible(A.theta[i], B.theta[j0 + q]) ? 1u << q : 0u;
        out[j0 + q] = 0.0f;
      }
    }
    const unsigned full = sb.full8(j0);
    // The block's passing columns join their list without a branch per column.
    VecAvx2::compress_index_bits(rc.col + nf, pass & full, j0);
    VecAvx2::compress_index_bits(partial + np, pass & ~full & 0xffu, j0);
    nf += __builtin_popcount(pass & full);
    np += __builtin_popcount(pass & ~full & 0xffu);
  }
  for (int q = 0; q < np; ++q) rc.col[nf + q] = partial[q];
  rc.n = nf + np;
  for (int q = 0; q < nf; ++q) cell<FA, true>(A, i, sa, B, q, sb, rc);
  for (int q = nf; q < rc.n; ++q) cell<FA, false>(A, i, sa, B, q, sb, rc);
  row_lambdas(rc, out);
}

}  // namespace

FPM_AVX2 void summarise_avx2(const mcc::CylinderSetView& s, SetSummary& out) { summarise(s, out); }

FPM_AVX2 void similarity_avx2(const mcc::CylinderSetView& A, const SetSummary& sa, const mcc::CylinderSetView& B,
                              const SetSummary& sb, float* out) {
  // Rows with a whole-disc cylinder first, then the others: one loop each,
  // no branch on the kind per row.
  for (int i0 = 0; i0 < A.n; i0 += 8)
    for (unsigned m = sa.full8(i0); m; m &= m - 1) {
      const int i = i0 + __builtin_ctz(m);
      row<true>(A, i, sa, B, sb, out + i * B.n);
    }
  for (int i0 = 0; i0 < A.n; i0 += 8) {
    const unsigned live = A.n - i0 >= 8 ? 0xffu : (1u << (A.n - i0)) - 1u;
    for (unsigned m = live & ~sa.full8(i0); m; m &= m - 1) {
      const int i = i0 + __builtin_ctz(m);
      row<false>(A, i, sa, B, sb, out + i * B.n);
    }
  }
}

}  // namespace fpm::cpu
