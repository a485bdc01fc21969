// AVX-512 path: a cylinder is three 512-bit registers; vpopcntq counts bits
// per 64-bit lane (AVX512_VPOPCNTDQ). Called only when the CPU has it.
// GCC 12 warns about its own _mm512_undefined_* helpers inside the intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "cpu/avx512_angle.hpp"
#include "cpu/similarity.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {

#define FPM_AVX512 __attribute__((target("avx512f,avx512vl,avx512vpopcntdq,avx512bw,popcnt")))

namespace {

// mcc::lambda_from_counts for 16 pairs: the same IEEE operations per lane.
FPM_AVX512 inline __m512 v_lambda(__m512i pa, __m512i pb, __m512i px) {
  const __m512 fa = _mm512_sqrt_ps(_mm512_cvtepi32_ps(pa));
  const __m512 fb = _mm512_sqrt_ps(_mm512_cvtepi32_ps(pb));
  const __m512 fx = _mm512_sqrt_ps(_mm512_cvtepi32_ps(px));
  const __m512 l = _mm512_sub_ps(_mm512_set1_ps(1.0f), _mm512_div_ps(fx, _mm512_add_ps(fa, fb)));
  const __mmask16 empty = _mm512_cmpeq_epi32_mask(_mm512_add_epi32(pa, pb), _mm512_setzero_si512());
  return _mm512_mask_mov_ps(l, empty, _mm512_setzero_ps());
}

}  // namespace

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

// Per spatial cell, how many of the 6 layers have the bit set, as three bit
// planes (1s, 2s, 4s) of 256 bits: P0 | P1 in one register, P2 in another.
// Then popcount(a AND v) over all layers = popc(P0&v) + 2 popc(P1&v) + 4 popc(P2&v).
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

FPM_AVX512 void similarity_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, float* out) {
  const __m512 gate = _mm512_set1_ps(mcc::kDeltaTheta);
  // Bit-plane layer counts of B's cylinders, once per comparison.
  alignas(64) std::uint64_t planes_b[mcc::kMaxCylinders][16];  // 12 used, rows 64-byte aligned
  for (int j = 0; j < B.n; ++j) {
    const Planes p = layer_count_planes(B.bits + j * mcc::kCylinderWords);
    _mm512_store_si512(planes_b[j], p.p01);
    _mm256_store_si256(reinterpret_cast<__m256i*>(planes_b[j] + 8), p.p2);
  }
  // Lane shifts that weight and place the partial counts in one packed lane
  // value: fields pab (bits 0-15), pa (16-31), pb (32-47), matchable (48-63).
  const __m512i shift_pa01 = _mm512_setr_epi64(16, 16, 16, 16, 17, 17, 17, 17);
  const __m512i shift_pb01 = _mm512_setr_epi64(32, 32, 32, 32, 33, 33, 33, 33);
  const __m512i shift_p2 = _mm512_setr_epi64(18, 18, 18, 18, 34, 34, 34, 34);
  alignas(64) std::int32_t cnt_a[mcc::kMaxCylinders + 16], cnt_b[mcc::kMaxCylinders + 16],
      cnt_x[mcc::kMaxCylinders + 16];
  alignas(64) std::uint64_t totals[8];
  int cols[mcc::kMaxCylinders + 16];
  for (int i = 0; i < A.n; ++i) {
    const std::uint64_t* ca = A.bits + i * mcc::kCylinderWords;
    const __m512i a0 = _mm512_loadu_si512(ca);
    const __m512i a1 = _mm512_loadu_si512(ca + 8);
    const __m512i a2 = _mm512_loadu_si512(ca + 16);
    const Planes pa = layer_count_planes(ca);
    const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(A.valid + i * mcc::kValidityWords));
    const __m512i va2 = _mm512_broadcast_i64x4(va);
    const __m512 ta = _mm512_set1_ps(A.theta[i]);
    float* row = out + i * B.n;
    // The candidates that pass the direction gate (mcc::direction_compatible).
    int ncols = 0;
    for (int j0 = 0; j0 < B.n; j0 += 16) {
      const __mmask16 live = B.n - j0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (B.n - j0)) - 1u);
      const __m512 d = _mm512_abs_ps(v_angle_diff(ta, _mm512_maskz_loadu_ps(live, B.theta + j0)));
      const __mmask16 pass = _mm512_mask_cmp_ps_mask(live, d, gate, _CMP_LE_OQ);
      _mm512_mask_compressstoreu_epi32(cols + ncols, pass,
                                       _mm512_add_epi32(_mm512_set1_epi32(j0), _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
      ncols += __builtin_popcount(pass);
      _mm512_store_si512(cnt_a + j0, _mm512_setzero_si512());
      _mm512_store_si512(cnt_b + j0, _mm512_setzero_si512());
      _mm512_store_si512(cnt_x + j0, _mm512_setzero_si512());
    }
    // Eight candidates at a time; their packed sums reduced together.
    for (int c0 = 0; c0 < ncols; c0 += 8) {
      const int batch = ncols - c0 < 8 ? ncols - c0 : 8;
      __m512i packed[8];
      for (int q = 0; q < 8; ++q) {
        if (q >= batch) {
          packed[q] = _mm512_setzero_si512();
          continue;
        }
        const int j = cols[c0 + q];
        const __m256i vb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.valid + j * mcc::kValidityWords));
        const __m512i vb2 = _mm512_broadcast_i64x4(vb);
        const std::uint64_t* cb = B.bits + j * mcc::kCylinderWords;
        // |a AND b|: no mask needed, a AND b lies inside both validities.
        const __m512i pab = _mm512_add_epi64(
            _mm512_add_epi64(_mm512_popcnt_epi64(_mm512_and_si512(a0, _mm512_loadu_si512(cb))),
                             _mm512_popcnt_epi64(_mm512_and_si512(a1, _mm512_loadu_si512(cb + 8)))),
            _mm512_popcnt_epi64(_mm512_and_si512(a2, _mm512_loadu_si512(cb + 16))));
        // |a AND vb| and |b AND va| from the layer-count planes.
        const __m512i qa = _mm512_popcnt_epi64(_mm512_and_si512(pa.p01, vb2));
        const __m512i qb = _mm512_popcnt_epi64(_mm512_and_si512(_mm512_load_si512(planes_b[j]), va2));
        const __m512i p2 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(pa.p2, vb)),
                                              _mm256_and_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(planes_b[j] + 8)), va), 1);
        const __m512i q2 = _mm512_popcnt_epi64(p2);
        const __m512i qm = _mm512_popcnt_epi64(_mm512_castsi256_si512(_mm256_and_si256(va, vb)));
        packed[q] = _mm512_add_epi64(
            _mm512_add_epi64(pab, _mm512_sllv_epi64(qa, shift_pa01)),
            _mm512_add_epi64(_mm512_add_epi64(_mm512_sllv_epi64(qb, shift_pb01), _mm512_sllv_epi64(q2, shift_p2)),
                             _mm512_slli_epi64(_mm512_maskz_mov_epi64(0x0f, qm), 48)));
      }
      _mm512_store_si512(totals, sum_lanes8(packed));
      for (int q = 0; q < batch; ++q) {
        const std::uint64_t t = totals[q];
        if (static_cast<int>(t >> 48) < mcc::kMinMatchableCells) continue;
        const int j = cols[c0 + q];
        const std::int32_t ab = static_cast<std::int32_t>(t & 0xffff);
        const std::int32_t a = static_cast<std::int32_t>((t >> 16) & 0xffff);
        const std::int32_t b = static_cast<std::int32_t>((t >> 32) & 0xffff);
        cnt_a[j] = a;
        cnt_b[j] = b;
        cnt_x[j] = a + b - 2 * ab;  // |x XOR y| = |x| + |y| - 2 |x AND y|
      }
    }
    for (int j0 = 0; j0 < B.n; j0 += 16) {
      const __mmask16 live = B.n - j0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (B.n - j0)) - 1u);
      _mm512_mask_storeu_ps(row + j0, live,
                            v_lambda(_mm512_load_si512(cnt_a + j0), _mm512_load_si512(cnt_b + j0),
                                     _mm512_load_si512(cnt_x + j0)));
    }
  }
}

}  // namespace fpm::cpu
