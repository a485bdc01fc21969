// The vector operations of the width-generic stages (cpu/simd/*.inl) for
// AVX-512: 16 float lanes, masks as mask registers. See vec_avx2.hpp.
// Include only from translation units that dispatch to AVX-512 at run time.
#pragma once

// GCC 12 warns about its own _mm512_undefined_* helpers inside the intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstdint>

#include "cpu/simd_targets.hpp"

namespace fpm::cpu {

struct VecAvx512 {
  static constexpr int N = 16;
  static constexpr int kKeys = 8;
  using F = __m512;
  using M = __mmask16;
  using I = __m512i;

  FPM_AVX512_INLINE static F zero() { return _mm512_setzero_ps(); }
  FPM_AVX512_INLINE static F set1(float v) { return _mm512_set1_ps(v); }
  FPM_AVX512_INLINE static F loadu(const float* p) { return _mm512_loadu_ps(p); }
  FPM_AVX512_INLINE static void storeu(float* p, F v) { _mm512_storeu_ps(p, v); }
  FPM_AVX512_INLINE static M first(int n) {
    return n >= 16 ? M(0xffff) : n > 0 ? M((1u << n) - 1u) : M(0);
  }
  FPM_AVX512_INLINE static F load_n(const float* p, M live) { return _mm512_maskz_loadu_ps(live, p); }
  FPM_AVX512_INLINE static F load_n_or(const float* p, M live, F fill) { return _mm512_mask_loadu_ps(fill, live, p); }
  FPM_AVX512_INLINE static void store_n(float* p, M live, F v) { _mm512_mask_storeu_ps(p, live, v); }

  FPM_AVX512_INLINE static I load_n_i(const std::int32_t* p, M live) { return _mm512_maskz_loadu_epi32(live, p); }

  FPM_AVX512_INLINE static F add(F a, F b) { return _mm512_add_ps(a, b); }
  FPM_AVX512_INLINE static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  FPM_AVX512_INLINE static F sqrt(F a) { return _mm512_sqrt_ps(a); }
  FPM_AVX512_INLINE static F abs(F a) { return _mm512_abs_ps(a); }
  FPM_AVX512_INLINE static F neg(F a) { return _mm512_xor_ps(a, _mm512_set1_ps(-0.0f)); }
  FPM_AVX512_INLINE static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  FPM_AVX512_INLINE static F div(F a, F b) { return _mm512_div_ps(a, b); }
  FPM_AVX512_INLINE static F max(F a, F b) { return _mm512_max_ps(a, b); }
  FPM_AVX512_INLINE static F hmax(F v) { return _mm512_set1_ps(_mm512_reduce_max_ps(v)); }
  FPM_AVX512_INLINE static F select(M m, F yes, F no) { return _mm512_mask_blend_ps(m, no, yes); }

  FPM_AVX512_INLINE static M lt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  FPM_AVX512_INLINE static M gt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  FPM_AVX512_INLINE static M ge(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  FPM_AVX512_INLINE static M eq(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  FPM_AVX512_INLINE static M mand(M a, M b) { return static_cast<M>(a & b); }
  FPM_AVX512_INLINE static M mor(M a, M b) { return static_cast<M>(a | b); }

  FPM_AVX512_INLINE static I cvtt(F a) { return _mm512_cvttps_epi32(a); }
  FPM_AVX512_INLINE static I min_i(I a, int b) { return _mm512_min_epi32(a, _mm512_set1_epi32(b)); }
  FPM_AVX512_INLINE static F gather(const float* table, I i) { return _mm512_i32gather_ps(i, table, 4); }
  FPM_AVX512_INLINE static F gather_or_zero(const float* table, I i, M m) {
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, i, table, 4);
  }
  FPM_AVX512_INLINE static I mul_add_i(I a, int b, I c) { return _mm512_add_epi32(_mm512_mullo_epi32(a, _mm512_set1_epi32(b)), c); }
  FPM_AVX512_INLINE static void scatter(float* base, I i, F v, M m) { _mm512_mask_i32scatter_ps(base, m, i, v, 4); }
  FPM_AVX512_INLINE static unsigned bits(M m) { return m; }

  FPM_AVX512_INLINE static void compress(float* out, M m, F v) { _mm512_storeu_ps(out, _mm512_maskz_compress_ps(m, v)); }
  FPM_AVX512_INLINE static void compress_index(std::int32_t* out, M m, std::int32_t base) {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    _mm512_storeu_si512(out, _mm512_maskz_compress_epi32(m, _mm512_add_epi32(lane, _mm512_set1_epi32(base))));
  }

  FPM_AVX512_INLINE static void fill_index(std::int32_t* out, std::int32_t v) {
    _mm512_storeu_si512(out, _mm512_set1_epi32(v));
  }

  FPM_AVX512_INLINE static void rank_prepare(const std::uint64_t* keys, int m, std::uint64_t* out) {
    for (int i = 0; i < m; ++i) out[i] = keys[i];
    for (int i = m; i < ((m + kKeys - 1) & ~(kKeys - 1)); ++i) out[i] = 0;
  }
  FPM_AVX512_INLINE static int rank_count(const std::uint64_t* prepared, int m, std::uint64_t key) {
    const __m512i k = _mm512_set1_epi64(static_cast<long long>(key));
    int n = 0;
    for (int j0 = 0; j0 < m; j0 += kKeys) n += __builtin_popcount(_mm512_cmpgt_epu64_mask(_mm512_loadu_si512(prepared + j0), k));
    return n;
  }
};

}  // namespace fpm::cpu
