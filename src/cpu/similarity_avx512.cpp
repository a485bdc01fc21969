// AVX-512 path: a cylinder is three 512-bit registers; vpopcntq counts bits
// per 64-bit lane (AVX512_VPOPCNTDQ). Called only when the CPU has it.
//
// Per pair the similarity needs four counts on the common validity
// v = va & vb: |a & b|, |a & v|, |b & v| and |v|. Cylinders deep inside the
// fingerprint (about half of them on the FVC sets) have the whole disc valid,
// and for those most of the counts are known in advance: with va the whole
// disc, v = vb, |b & v| = |b| and |v| = |vb| (an encoded cylinder's bits lie
// inside its validity, which lies inside the disc). So the direction-
// compatible candidates of a row are split into "full" and "partial"
// cylinders of B, and each of the four combinations with A's cylinder runs
// a loop that computes only the counts it lacks. The counts, and then
// mcc::lambda_from_counts on them, are the same in every case, so the matrix
// is the scalar path's bit for bit.
// GCC 12 warns about its own _mm512_undefined_* helpers inside the intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include "cpu/simd_targets.hpp"

#include "cpu/simd/level_avx512.hpp"
#include "cpu/stage_variants.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {


namespace {

static_assert(mcc::kDiscCells >= mcc::kMinMatchableCells, "two whole discs are always matchable");

// Which counts a pair loop computes: the first letter is A's cylinder, the
// second B's, F for a whole-disc validity and P for a partial one.
enum Kind { FF, FP, PF, PP };

// Per spatial cell, how many of the 6 layers have the bit set, as three bit
// planes (1s, 2s, 4s) of 256 bits: P0 | P1 in one register, P2 in another.
// Then popcount(c AND v) over all layers = popc(P0&v) + 2 popc(P1&v) + 4 popc(P2&v).
struct Planes {
  __m512i p01;
  __m256i p2;
};

FPM_AVX512 inline Planes layer_count_planes(const std::uint64_t* c) {
  const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c));
  const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 4));
  const __m256i l2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 8));
  const __m256i l3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 12));
  const __m256i l4 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 16));
  const __m256i l5 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + 20));
  // Two full adders (3 -> 2 bits each), then their sums added.
  const __m256i s1 = _mm256_ternarylogic_epi64(l0, l1, l2, 0x96);  // xor of three
  const __m256i c1 = _mm256_ternarylogic_epi64(l0, l1, l2, 0xe8);  // majority
  const __m256i s2 = _mm256_ternarylogic_epi64(l3, l4, l5, 0x96);
  const __m256i c2 = _mm256_ternarylogic_epi64(l3, l4, l5, 0xe8);
  const __m256i p0 = _mm256_xor_si256(s1, s2);
  const __m256i k = _mm256_and_si256(s1, s2);  // carry into the 2s
  const __m256i p1 = _mm256_ternarylogic_epi64(c1, c2, k, 0x96);
  const __m256i p2 = _mm256_ternarylogic_epi64(c1, c2, k, 0xe8);
  return {_mm512_inserti64x4(_mm512_castsi256_si512(p0), p1, 1), p2};
}

FPM_AVX512 inline int popcount_cylinder(const std::uint64_t* c) {
  const __m512i n = _mm512_add_epi64(_mm512_add_epi64(_mm512_popcnt_epi64(_mm512_loadu_si512(c)),
                                                      _mm512_popcnt_epi64(_mm512_loadu_si512(c + 8))),
                                     _mm512_popcnt_epi64(_mm512_loadu_si512(c + 16)));
  return static_cast<int>(_mm512_reduce_add_epi64(n));
}

FPM_AVX512 inline __m256i load_validity(const std::uint64_t* v) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v));
}

FPM_AVX512 inline bool whole_disc(__m256i v) {
  const __m256i disc = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mcc::kDiscMask));
  return _mm256_cmpeq_epi64_mask(v, disc) == 0xf;
}

FPM_AVX512 inline int popcount_validity(__m256i v) {
  return static_cast<int>(_mm512_reduce_add_epi64(_mm512_popcnt_epi64(_mm512_zextsi256_si512(v))));
}

// A's cylinder of the current row.
struct RowA {
  __m512i a0, a1, a2;
  Planes planes;
  __m256i va;
  __m512i va2;  // va in both halves
  int count, count_valid;  // |a|, |va|
};

// Sums of each of eight vectors' lanes, as the eight lanes of one vector
// (a transposing add tree: 12 instructions instead of eight reductions).
FPM_AVX512 inline __m512i sum_lanes8(const __m512i v[8]) {
  __m512i t[4];
  for (int i = 0; i < 4; ++i)
    t[i] = _mm512_add_epi64(_mm512_unpacklo_epi64(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_epi64(v[2 * i], v[2 * i + 1]));
  // t[i]: 128-bit lane q holds (v[2i] part q, v[2i+1] part q).
  const __m512i u0 = _mm512_add_epi64(_mm512_shuffle_i64x2(t[0], t[1], 0x88), _mm512_shuffle_i64x2(t[0], t[1], 0xdd));
  const __m512i u1 = _mm512_add_epi64(_mm512_shuffle_i64x2(t[2], t[3], 0x88), _mm512_shuffle_i64x2(t[2], t[3], 0xdd));
  // u0: lanes (v0,v1,v0,v1, v2,v3,v2,v3) half sums; u1 likewise for v4..v7.
  // Lane q of the sum: v[q]'s total.
  return _mm512_add_epi64(_mm512_shuffle_i64x2(u0, u1, 0x88), _mm512_shuffle_i64x2(u0, u1, 0xdd));
}

// The counts a pair loop computes for eight columns of the row, one 64-bit
// lane per column: |a & b| in bits 0-15, |a & v| in 16-31, |b & v| in 32-47,
// |v| in 48-63 (each below 2^16; the fields the kind knows stay 0).
template <Kind K>
FPM_AVX512 inline __m512i pair_counts(const RowA& r, const mcc::CylinderSetView& B, const SetSummary& sb, const int* cols) {
  // Lane shifts that weight and place the plane counts: weights 1 and 2 for
  // P0 and P1 (the two halves of a register), 4 for P2.
  const __m512i shift_a01 = _mm512_setr_epi64(16, 16, 16, 16, 17, 17, 17, 17);
  const __m512i shift_b01 = _mm512_setr_epi64(32, 32, 32, 32, 33, 33, 33, 33);
  const __m512i shift_p2 = _mm512_setr_epi64(18, 18, 18, 18, 34, 34, 34, 34);
  __m512i packed[8];
  for (int q = 0; q < 8; ++q) {
    const int j = cols[q];
    const std::uint64_t* cb = B.bits + j * mcc::kCylinderWords;
    // |a AND b|: no mask needed, a AND b lies inside both validities.
    __m512i s = _mm512_add_epi64(
        _mm512_add_epi64(_mm512_popcnt_epi64(_mm512_and_si512(r.a0, _mm512_loadu_si512(cb))),
                         _mm512_popcnt_epi64(_mm512_and_si512(r.a1, _mm512_loadu_si512(cb + 8)))),
        _mm512_popcnt_epi64(_mm512_and_si512(r.a2, _mm512_loadu_si512(cb + 16))));
    if constexpr (K == FP) {
      // |a & vb| from A's planes; the rest is B's own counts.
      const __m256i vb = load_validity(B.valid + j * mcc::kValidityWords);
      const __m512i qa = _mm512_popcnt_epi64(_mm512_and_si512(r.planes.p01, _mm512_broadcast_i64x4(vb)));
      const __m512i q2 = _mm512_popcnt_epi64(_mm512_zextsi256_si512(_mm256_and_si256(r.planes.p2, vb)));
      s = _mm512_add_epi64(s, _mm512_add_epi64(_mm512_sllv_epi64(qa, shift_a01), _mm512_slli_epi64(q2, 18)));
    } else if constexpr (K == PF) {
      // |b & va| from B's planes; the rest is A's own counts.
      const __m512i qb = _mm512_popcnt_epi64(_mm512_and_si512(_mm512_load_si512(sb.planes[j]), r.va2));
      const __m512i q2 = _mm512_popcnt_epi64(_mm512_zextsi256_si512(
          _mm256_and_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(sb.planes[j] + 8)), r.va)));
      s = _mm512_add_epi64(s, _mm512_add_epi64(_mm512_sllv_epi64(qb, shift_b01), _mm512_slli_epi64(q2, 34)));
    } else if constexpr (K == PP) {
      const __m256i vb = load_validity(B.valid + j * mcc::kValidityWords);
      const __m512i qa = _mm512_popcnt_epi64(_mm512_and_si512(r.planes.p01, _mm512_broadcast_i64x4(vb)));
      const __m512i qb = _mm512_popcnt_epi64(_mm512_and_si512(_mm512_load_si512(sb.planes[j]), r.va2));
      const __m512i p2 = _mm512_inserti64x4(
          _mm512_castsi256_si512(_mm256_and_si256(r.planes.p2, vb)),
          _mm256_and_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(sb.planes[j] + 8)), r.va), 1);
      const __m512i q2 = _mm512_popcnt_epi64(p2);
      const __m512i qm = _mm512_popcnt_epi64(_mm512_zextsi256_si512(_mm256_and_si256(r.va, vb)));
      s = _mm512_add_epi64(_mm512_add_epi64(s, _mm512_sllv_epi64(qa, shift_a01)),
                           _mm512_add_epi64(_mm512_add_epi64(_mm512_sllv_epi64(qb, shift_b01), _mm512_sllv_epi64(q2, shift_p2)),
                                            _mm512_slli_epi64(qm, 48)));
    }
    packed[q] = s;
  }
  return sum_lanes8(packed);
}

// lambda (mcc::lambda_from_counts, the same IEEE operations per lane) of
// eight columns, zero where the common validity is too small.
template <Kind K>
FPM_AVX512 inline __m256 pair_lambdas(const RowA& r, const SetSummary& sb, const int* cols, __m512i totals) {
  const __m256i low16 = _mm256_set1_epi32(0xffff);
  const __m256i lo = _mm512_cvtepi64_epi32(totals);                          // ab | a << 16
  const __m256i hi = _mm512_cvtepi64_epi32(_mm512_srli_epi64(totals, 32));  // b | m << 16
  const __m256i ab = _mm256_and_si256(lo, low16);
  __m256i a, b, m;
  if constexpr (K == FF || K == FP) {
    // B's |b| and |vb|.
    const __m256i own = _mm256_i32gather_epi32(reinterpret_cast<const int*>(sb.counts), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cols)), 4);
    b = _mm256_and_si256(own, low16);
    m = _mm256_srli_epi32(own, 16);
  } else {
    b = _mm256_and_si256(hi, low16);
  }
  if constexpr (K == FF || K == PF) {
    a = _mm256_set1_epi32(r.count);
    if constexpr (K == PF) m = _mm256_set1_epi32(r.count_valid);
  } else {
    a = _mm256_srli_epi32(lo, 16);
  }
  if constexpr (K == PP) m = _mm256_srli_epi32(hi, 16);
  if constexpr (K == FF) m = _mm256_set1_epi32(mcc::kDiscCells);
  const __m256i x = _mm256_sub_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(ab, ab));  // |a XOR b|
  const __m256 fa = _mm256_sqrt_ps(_mm256_cvtepi32_ps(a));
  const __m256 fb = _mm256_sqrt_ps(_mm256_cvtepi32_ps(b));
  const __m256 fx = _mm256_sqrt_ps(_mm256_cvtepi32_ps(x));
  const __m256 l = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(fx, _mm256_add_ps(fa, fb)));
  const __mmask8 ok = _mm256_cmpge_epi32_mask(m, _mm256_set1_epi32(mcc::kMinMatchableCells)) &
                      _mm256_cmpneq_epi32_mask(_mm256_add_epi32(a, b), _mm256_setzero_si256());
  return _mm256_maskz_mov_ps(ok, l);
}

// lambdas of `n` columns (padded to a multiple of 8 with repeats) into out.
template <Kind K>
FPM_AVX512 inline void lambdas(const RowA& r, const mcc::CylinderSetView& B, const SetSummary& sb, const int* cols, int n,
                               float* out) {
  for (int c0 = 0; c0 < n; c0 += 8)
    _mm256_storeu_ps(out + c0, pair_lambdas<K>(r, sb, cols + c0, pair_counts<K>(r, B, sb, cols + c0)));
}

// Row i of the matrix; A's cylinder is whole-disc (AFull) or not.
template <bool AFull>
FPM_AVX512_INLINE void similarity_row(const mcc::CylinderSetView& A, int i, const SetSummary& sa,
                                      const mcc::CylinderSetView& B, const SetSummary& sb, float* out) {
  constexpr int kBlocks = mcc::kMaxCylinders / 16;
  const __m512 gate = _mm512_set1_ps(mcc::kDeltaTheta);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  alignas(64) int cols_f[mcc::kMaxCylinders + 16], cols_p[mcc::kMaxCylinders + 16];
  alignas(64) float lam_f[mcc::kMaxCylinders + 16], lam_p[mcc::kMaxCylinders + 16];
  __mmask16 pass_f[kBlocks], pass_p[kBlocks];
  cols_f[0] = cols_p[0] = 0;  // what the padding below repeats when a list is empty
  RowA r;
  const std::uint64_t* ca = A.bits + i * mcc::kCylinderWords;
  r.a0 = _mm512_loadu_si512(ca);
  r.a1 = _mm512_loadu_si512(ca + 8);
  r.a2 = _mm512_loadu_si512(ca + 16);
  r.planes = {_mm512_load_si512(sa.planes[i]), _mm256_load_si256(reinterpret_cast<const __m256i*>(sa.planes[i] + 8))};
  r.va = load_validity(A.valid + i * mcc::kValidityWords);
  r.va2 = _mm512_broadcast_i64x4(r.va);
  r.count = mcc::counts_bits(sa.counts[i]);
  r.count_valid = mcc::counts_valid(sa.counts[i]);
  // The candidates that pass the direction gate (mcc::direction_compatible),
  // split by B's validity.
  const __m512 ta = _mm512_set1_ps(A.theta[i]);
  int nf = 0, np = 0;
  for (int j0 = 0; j0 < B.n; j0 += 16) {
    const __mmask16 live = B.n - j0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (B.n - j0)) - 1u);
    const __m512 d = _mm512_abs_ps(avx512::v_angle_diff<avx512::V>(ta, _mm512_maskz_loadu_ps(live, B.theta + j0)));
    const __mmask16 pass = _mm512_mask_cmp_ps_mask(live, d, gate, _CMP_LE_OQ);
    const __mmask16 pf = pass & sb.full16(j0), pp = pass & static_cast<__mmask16>(~sb.full16(j0));
    const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(j0), lane);
    _mm512_storeu_si512(cols_f + nf, _mm512_maskz_compress_epi32(pf, idx));
    _mm512_storeu_si512(cols_p + np, _mm512_maskz_compress_epi32(pp, idx));
    nf += __builtin_popcount(pf);
    np += __builtin_popcount(pp);
    pass_f[j0 / 16] = pf;
    pass_p[j0 / 16] = pp;
  }
  // Pad the lists to whole batches of 8 by repeating their last column
  // (column 0 where a list is empty: no batch reads it then).
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(cols_f + nf), _mm256_set1_epi32(cols_f[nf > 0 ? nf - 1 : 0]));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(cols_p + np), _mm256_set1_epi32(cols_p[np > 0 ? np - 1 : 0]));
  lambdas<AFull ? FF : PF>(r, B, sb, cols_f, nf, lam_f);
  lambdas<AFull ? FP : PP>(r, B, sb, cols_p, np, lam_p);
  // Back into column order: each list's values expand into its columns.
  float* row = out + i * B.n;
  int of = 0, op = 0;
  for (int j0 = 0; j0 < B.n; j0 += 16) {
    const __mmask16 live = B.n - j0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (B.n - j0)) - 1u);
    const __mmask16 pf = pass_f[j0 / 16], pp = pass_p[j0 / 16];
    const __m512 v = _mm512_mask_expandloadu_ps(_mm512_maskz_expandloadu_ps(pf, lam_f + of), pp, lam_p + op);
    _mm512_mask_storeu_ps(row + j0, live, v);
    of += __builtin_popcount(pf);
    op += __builtin_popcount(pp);
  }
}

// |c| | |v| << 16 per cylinder, which cylinders have the whole disc valid,
// and the layer-count planes.
FPM_AVX512 inline void summarise(const mcc::CylinderSetView& S, SetSummary& out) {
  out.n = S.n;
  for (auto& w : out.full) w = 0;
  for (int j = 0; j < S.n; ++j) {
    const __m256i v = load_validity(S.valid + j * mcc::kValidityWords);
    out.counts[j] = static_cast<std::uint32_t>(popcount_cylinder(S.bits + j * mcc::kCylinderWords) | popcount_validity(v) << 16);
    if (whole_disc(v)) out.full[j / 64] |= std::uint64_t{1} << (j % 64);
    const Planes p = layer_count_planes(S.bits + j * mcc::kCylinderWords);
    _mm512_store_si512(out.planes[j], p.p01);
    _mm256_store_si256(reinterpret_cast<__m256i*>(out.planes[j] + 8), p.p2);
  }
}

}  // namespace

FPM_AVX512 void summarise_avx512(const mcc::CylinderSetView& s, SetSummary& out) { summarise(s, out); }

FPM_AVX512 void similarity_avx512(const mcc::CylinderSetView& A, const SetSummary& sa, const mcc::CylinderSetView& B,
                                  const SetSummary& sb, float* out) {
  // Rows with a whole-disc cylinder first, then the others: one loop each,
  // no branch on the kind per row.
  for (int i0 = 0; i0 < A.n; i0 += 16)
    for (unsigned m = sa.full16(i0); m; m &= m - 1) similarity_row<true>(A, i0 + __builtin_ctz(m), sa, B, sb, out);
  for (int i0 = 0; i0 < A.n; i0 += 16) {
    const unsigned live = A.n - i0 >= 16 ? 0xffffu : (1u << (A.n - i0)) - 1u;
    for (unsigned m = live & ~sa.full16(i0); m; m &= m - 1) similarity_row<false>(A, i0 + __builtin_ctz(m), sa, B, sb, out);
  }
}

}  // namespace fpm::cpu
