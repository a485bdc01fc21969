// The vector operations the width-generic stages (cpu/simd/*.inl) are
// written in, for AVX2: 8 float lanes, masks as vectors of all-ones lanes.
// Every arithmetic operation is the single IEEE instruction of its name, so
// a generic stage computes lane by lane what the scalar specification does.
// Include only from translation units that dispatch to AVX2 at run time.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "cpu/simd_targets.hpp"

namespace fpm::cpu {

// For each 8-lane mask, the lanes that are set, in order (the rest 0): what
// AVX-512 does with one compress instruction.
struct CompressTable8 {
  std::uint8_t lanes[256][8];
  constexpr CompressTable8() : lanes() {
    for (int m = 0; m < 256; ++m) {
      int k = 0;
      for (int b = 0; b < 8; ++b)
        if (m >> b & 1) lanes[m][k++] = static_cast<std::uint8_t>(b);
    }
  }
};
inline constexpr CompressTable8 kCompressTable;

struct VecAvx2 {
  static constexpr int N = 8;      // float lanes
  static constexpr int kKeys = 4;  // 64-bit key lanes
  using F = __m256;
  using M = __m256;  // all-ones lanes where true
  using I = __m256i;  // 32-bit integer lanes

  FPM_AVX2_INLINE static F zero() { return _mm256_setzero_ps(); }
  FPM_AVX2_INLINE static F set1(float v) { return _mm256_set1_ps(v); }
  FPM_AVX2_INLINE static F loadu(const float* p) { return _mm256_loadu_ps(p); }
  FPM_AVX2_INLINE static void storeu(float* p, F v) { _mm256_storeu_ps(p, v); }
  // Lanes [0, n) true (none for n <= 0, all for n >= N).
  FPM_AVX2_INLINE static M first(int n) {
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
  }
  // Loads the live lanes, `fill` elsewhere (nothing is read there).
  FPM_AVX2_INLINE static F load_n(const float* p, M live) { return _mm256_maskload_ps(p, _mm256_castps_si256(live)); }
  FPM_AVX2_INLINE static F load_n_or(const float* p, M live, F fill) { return _mm256_blendv_ps(fill, load_n(p, live), live); }
  FPM_AVX2_INLINE static void store_n(float* p, M live, F v) { _mm256_maskstore_ps(p, _mm256_castps_si256(live), v); }

  FPM_AVX2_INLINE static I load_n_i(const std::int32_t* p, M live) {
    return _mm256_maskload_epi32(reinterpret_cast<const int*>(p), _mm256_castps_si256(live));
  }

  FPM_AVX2_INLINE static F add(F a, F b) { return _mm256_add_ps(a, b); }
  FPM_AVX2_INLINE static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  FPM_AVX2_INLINE static F sqrt(F a) { return _mm256_sqrt_ps(a); }
  FPM_AVX2_INLINE static F abs(F a) { return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))); }
  FPM_AVX2_INLINE static F neg(F a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }  // the sign flipped exactly
  FPM_AVX2_INLINE static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  FPM_AVX2_INLINE static F div(F a, F b) { return _mm256_div_ps(a, b); }
  FPM_AVX2_INLINE static F max(F a, F b) { return _mm256_max_ps(a, b); }
  // The largest lane, in every lane.
  FPM_AVX2_INLINE static F hmax(F v) {
    v = _mm256_max_ps(v, _mm256_permute2f128_ps(v, v, 1));
    v = _mm256_max_ps(v, _mm256_shuffle_ps(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm256_max_ps(v, _mm256_shuffle_ps(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  }
  FPM_AVX2_INLINE static F select(M m, F yes, F no) { return _mm256_blendv_ps(no, yes, m); }

  FPM_AVX2_INLINE static M lt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  FPM_AVX2_INLINE static M gt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  FPM_AVX2_INLINE static M ge(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  FPM_AVX2_INLINE static M eq(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  FPM_AVX2_INLINE static M mand(M a, M b) { return _mm256_and_ps(a, b); }
  FPM_AVX2_INLINE static M mor(M a, M b) { return _mm256_or_ps(a, b); }

  // Integer lanes: truncation, minimum, table lookups, index arithmetic.
  FPM_AVX2_INLINE static I cvtt(F a) { return _mm256_cvttps_epi32(a); }
  FPM_AVX2_INLINE static I min_i(I a, int b) { return _mm256_min_epi32(a, _mm256_set1_epi32(b)); }
  FPM_AVX2_INLINE static F gather(const float* table, I i) { return _mm256_i32gather_ps(table, i, 4); }
  // table[i] where m is true (those lanes only are read), 0 elsewhere.
  FPM_AVX2_INLINE static F gather_or_zero(const float* table, I i, M m) {
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), table, _mm256_and_si256(i, _mm256_castps_si256(m)), m, 4);
  }
  // a * b + c per lane.
  FPM_AVX2_INLINE static I mul_add_i(I a, int b, I c) { return _mm256_add_epi32(_mm256_mullo_epi32(a, _mm256_set1_epi32(b)), c); }
  // base[i] = v where m is true.
  FPM_AVX2_INLINE static void scatter(float* base, I i, F v, M m) {
    alignas(32) float vs[N];
    alignas(32) std::int32_t is[N];
    _mm256_store_ps(vs, v);
    _mm256_store_si256(reinterpret_cast<__m256i*>(is), i);
    for (unsigned b = bits(m); b; b &= b - 1) base[is[__builtin_ctz(b)]] = vs[__builtin_ctz(b)];
  }
  FPM_AVX2_INLINE static unsigned bits(M m) { return static_cast<unsigned>(_mm256_movemask_ps(m)); }

  // The lanes of v where m is true, packed to out[0, popcount): out must have
  // room for N values (all N are written). A table lookup and one permute:
  // no branch per lane, which a loop over the set bits would mispredict.
  FPM_AVX2_INLINE static void compress(float* out, M m, F v) {
    _mm256_storeu_ps(out, _mm256_permutevar8x32_ps(v, compress_lanes(bits(m))));
  }
  // base + lane for the lanes where m is true, packed likewise.
  FPM_AVX2_INLINE static void compress_index(std::int32_t* out, M m, std::int32_t base) {
    compress_index_bits(out, bits(m), base);
  }
  // The same for a mask given as bits (lane q = bit q, at most 8 bits).
  FPM_AVX2_INLINE static void compress_index_bits(std::int32_t* out, unsigned bits, std::int32_t base) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_add_epi32(compress_lanes(bits), _mm256_set1_epi32(base)));
  }
  // The positions of the set bits of an 8-bit mask in order, then zeros.
  FPM_AVX2_INLINE static __m256i compress_lanes(unsigned bits) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(kCompressTable.lanes[bits])));
  }

  // out[0, N) = v.
  FPM_AVX2_INLINE static void fill_index(std::int32_t* out, std::int32_t v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_set1_epi32(v));
  }

  // Ranks of 64-bit keys: rank_prepare writes the keys as rank_count reads
  // them (AVX2 compares signed 64-bit lanes: the top bit flipped, an
  // order-preserving map of unsigned to signed), padded to whole vectors
  // with a value below every key; rank_count counts the keys above `key`.
  FPM_AVX2_INLINE static void rank_prepare(const std::uint64_t* keys, int m, std::uint64_t* out) {
    for (int i = 0; i < m; ++i) out[i] = keys[i] ^ (std::uint64_t{1} << 63);
    for (int i = m; i < ((m + kKeys - 1) & ~(kKeys - 1)); ++i) out[i] = std::uint64_t{1} << 63;
  }
  FPM_AVX2_INLINE static int rank_count(const std::uint64_t* prepared, int m, std::uint64_t key) {
    const __m256i k = _mm256_set1_epi64x(static_cast<long long>(key ^ (std::uint64_t{1} << 63)));
    __m256i n = _mm256_setzero_si256();
    for (int j0 = 0; j0 < m; j0 += kKeys)
      n = _mm256_sub_epi64(n, _mm256_cmpgt_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(prepared + j0)), k));
    const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(n), _mm256_extracti128_si256(n, 1));
    return static_cast<int>(_mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1));
  }
};

}  // namespace fpm::cpu
