#include "cpu/first_stage_scores.hpp"

#include "cpu/simd/popcount_avx2.hpp"
#include "cpu/simd_targets.hpp"
#include "index/first_stage_code.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
// GCC 12 warns inside its own AVX-512 intrinsics (their "undefined" pass-
// through operands), not about this file's code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace fpm::cpu {

namespace {

// The specification itself; compiled for the build's baseline, where a
// popcount may be a library call.
void scores_scalar(const std::uint64_t* probe, std::uint32_t probe_aux, const std::uint64_t* codes,
                   const std::uint32_t* aux, std::size_t n, std::uint32_t* out) {
  for (std::size_t i = 0; i < n; ++i)
    out[i] = index::code_score(probe, probe_aux, codes + i * index::kCodeWords, aux[i]);
}

#if defined(__x86_64__)
// The AVX2 level: the similarity maxima four gallery slots at a time
// (popcounts by nibble lookup, cpu/simd/popcount_avx2.hpp, with both
// signature words' byte counts summed before one vpsadbw; keys fit in 32
// bits, so the unsigned 32-bit maximum is exact on the 64-bit lanes), then
// the shared second stage (inlined by flatten, so compiled for AVX2: its
// counting loops in eight-lane vectors). The same integers as code_score.
FPM_AVX2 __attribute__((flatten)) void scores_avx2(const FirstStageProbe& probe, const std::uint64_t* codes,
                                                   const std::uint32_t* aux, std::size_t n, std::uint32_t* out) {
  constexpr int C = index::kCodeCylinders;
  static_assert(C == 32 && index::kSlotWords == 2, "eight vectors of four two-word slots");
  const std::uint32_t na = probe.slots;
  const __m256i sig_mask = _mm256_set1_epi64x(static_cast<long long>(index::kSignatureMask1));
  const __m256i top = _mm256_set1_epi64x(index::kSignatureBits + 1);
  const __m256i zero = _mm256_setzero_si256();
  const __m256i lanes = _mm256_setr_epi64x(0, 1, 2, 3);
  for (std::size_t e = 0; e < n; ++e) {
    const std::uint32_t nb = index::code_slots(aux[e]);
    if (na == 0 || nb == 0) {
      out[e] = 0;
      continue;
    }
    const std::uint64_t* b = codes + e * index::kCodeWords;
    const int groups = static_cast<int>((nb + 3) / 4);
    __m256i b0[8], b1[8], jkey[8], valid[8], col[8];
    for (int q = 0; q < groups; ++q) {
      // Slots 4q to 4q + 3, words interleaved: unpack gives slots 0, 2, 1,
      // 3 of the group; the permutation puts them in order.
      const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 8 * q));
      const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 8 * q + 4));
      b0[q] = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(lo, hi), _MM_SHUFFLE(3, 1, 2, 0));
      b1[q] = _mm256_and_si256(_mm256_permute4x64_epi64(_mm256_unpackhi_epi64(lo, hi), _MM_SHUFFLE(3, 1, 2, 0)),
                               sig_mask);
      valid[q] = _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(nb) - 4 * q), lanes);
      jkey[q] = _mm256_sub_epi64(_mm256_set1_epi64x(255 - 4 * q), lanes);
      col[q] = zero;
    }
    std::uint32_t row[C], colk[C];
    for (std::uint32_t i = 0; i < na; ++i) {
      const __m256i p0 = _mm256_set1_epi64x(static_cast<long long>(probe.w0[i]));
      const __m256i p1 = _mm256_set1_epi64x(static_cast<long long>(probe.w1[i]));
      const __m256i ikey = _mm256_set1_epi64x(255 - static_cast<long long>(i));
      __m256i r = zero;
      for (int q = 0; q < groups; ++q) {
        const __m256i bytes = _mm256_add_epi8(popcount_bytes(_mm256_xor_si256(p0, b0[q])),
                                              popcount_bytes(_mm256_xor_si256(p1, b1[q])));
        const __m256i sim8 = _mm256_slli_epi64(_mm256_sub_epi64(top, _mm256_sad_epu8(bytes, zero)), 8);
        // Slots past nb give key 0, below every real key (a key holds sim + 1).
        r = _mm256_max_epu32(r, _mm256_and_si256(_mm256_or_si256(sim8, jkey[q]), valid[q]));
        col[q] = _mm256_max_epu32(col[q], _mm256_and_si256(_mm256_or_si256(sim8, ikey), valid[q]));
      }
      r = _mm256_max_epu32(r, _mm256_permute4x64_epi64(r, _MM_SHUFFLE(1, 0, 3, 2)));
      r = _mm256_max_epu32(r, _mm256_shuffle_epi32(r, _MM_SHUFFLE(1, 0, 3, 2)));
      row[i] = static_cast<std::uint32_t>(_mm256_cvtsi256_si32(r));
    }
    for (int q = 0; q < groups; ++q) {
      std::uint64_t lane_keys[4];
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(lane_keys), col[q]);
      for (int l = 0; l < 4 && 4u * static_cast<std::uint32_t>(q) + static_cast<std::uint32_t>(l) < nb; ++l)
        colk[4 * q + l] = static_cast<std::uint32_t>(lane_keys[l]);
    }
    out[e] = index::code_score_from_maxima(probe.code, na, b, nb, row, colk);
  }
}

// The similarity maxima (index::code_maxima) eight columns at a time:
// vpopcntq on the signature words of eight gallery slots, the row and
// column keys by masked maxima; then the shared second stage,
// index::code_score_from_maxima (inlined by flatten, so compiled for this
// target: its counting loops vectorise). The same integers as code_score.
// (Tried: the agreement's rotation and distinct-minutiae tests as one
// 32-lane vector compare per candidate, in place of the rotation buckets:
// 5% slower.)
FPM_AVX512 __attribute__((flatten)) void scores_avx512(const FirstStageProbe& probe, const std::uint64_t* codes,
                                                       const std::uint32_t* aux, std::size_t n, std::uint32_t* out) {
  constexpr int C = index::kCodeCylinders;
  static_assert(C == 32 && index::kSlotWords == 2, "four vectors of eight two-word slots");
  const std::uint32_t na = probe.slots;
  const std::uint64_t* x0 = probe.w0;
  const std::uint64_t* x1 = probe.w1;
  const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
  const __m512i odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
  const __m512i sig_mask = _mm512_set1_epi64(static_cast<long long>(index::kSignatureMask1));
  const __m512i top = _mm512_set1_epi64(index::kSignatureBits + 1);
  const __m512i lanes = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  for (std::size_t e = 0; e < n; ++e) {
    const std::uint32_t nb = index::code_slots(aux[e]);
    if (na == 0 || nb == 0) {
      out[e] = 0;
      continue;
    }
    const std::uint64_t* b = codes + e * index::kCodeWords;
    const int groups = static_cast<int>((nb + 7) / 8);
    __m512i b0[4], b1[4], jkey[4], col[4];
    __mmask8 valid[4];
    for (int q = 0; q < groups; ++q) {
      const __m512i lo = _mm512_loadu_si512(b + 16 * q), hi = _mm512_loadu_si512(b + 16 * q + 8);
      b0[q] = _mm512_permutex2var_epi64(lo, even, hi);
      b1[q] = _mm512_and_si512(_mm512_permutex2var_epi64(lo, odd, hi), sig_mask);
      const std::uint32_t left = nb - 8u * static_cast<std::uint32_t>(q);
      valid[q] = left >= 8 ? static_cast<__mmask8>(0xFF) : static_cast<__mmask8>((1u << left) - 1u);
      jkey[q] = _mm512_sub_epi64(_mm512_set1_epi64(255 - 8 * q), lanes);
      col[q] = _mm512_setzero_si512();
    }
    std::uint32_t row[C], colk[C];
    for (std::uint32_t i = 0; i < na; ++i) {
      const __m512i p0 = _mm512_set1_epi64(static_cast<long long>(x0[i]));
      const __m512i p1 = _mm512_set1_epi64(static_cast<long long>(x1[i]));
      const __m512i ikey = _mm512_set1_epi64(255 - static_cast<long long>(i));
      __m512i r = _mm512_setzero_si512();
      for (int q = 0; q < groups; ++q) {
        const __m512i pc = _mm512_add_epi64(_mm512_popcnt_epi64(_mm512_xor_si512(p0, b0[q])),
                                            _mm512_popcnt_epi64(_mm512_xor_si512(p1, b1[q])));
        const __m512i sim8 = _mm512_slli_epi64(_mm512_sub_epi64(top, pc), 8);
        r = _mm512_mask_max_epu64(r, valid[q], r, _mm512_or_si512(sim8, jkey[q]));
        col[q] = _mm512_mask_max_epu64(col[q], valid[q], col[q], _mm512_or_si512(sim8, ikey));
      }
      // Unused lanes stay 0, below every real key (the key holds sim + 1).
      row[i] = static_cast<std::uint32_t>(_mm512_reduce_max_epu64(r));
    }
    for (int q = 0; q < groups; ++q) {
      std::uint64_t lane_keys[8];
      _mm512_storeu_si512(lane_keys, col[q]);
      for (int l = 0; l < 8 && 8u * static_cast<std::uint32_t>(q) + static_cast<std::uint32_t>(l) < nb; ++l)
        colk[8 * q + l] = static_cast<std::uint32_t>(lane_keys[l]);
    }
    out[e] = index::code_score_from_maxima(probe.code, na, b, nb, row, colk);
  }
}
#endif

}  // namespace

FirstStageProbe prepare_first_stage_probe(const std::uint64_t* probe, std::uint32_t probe_aux) {
  FirstStageProbe p;
  p.code = probe;
  p.aux = probe_aux;
  p.slots = index::code_slots(probe_aux);
  static_assert(index::kSlotWords == 2, "two words per slot");
  for (std::uint32_t i = 0; i < p.slots; ++i) {
    p.w0[i] = probe[2 * i];
    p.w1[i] = probe[2 * i + 1] & index::kSignatureMask1;
  }
  return p;
}

void first_stage_scores(SimdLevel level, const FirstStageProbe& probe, const std::uint64_t* codes,
                        const std::uint32_t* aux, std::size_t n, std::uint32_t* out) {
#if defined(__x86_64__)
  if (level == SimdLevel::Avx512) return scores_avx512(probe, codes, aux, n, out);
  if (level == SimdLevel::Avx2) return scores_avx2(probe, codes, aux, n, out);
#endif
  (void)level;
  scores_scalar(probe.code, probe.aux, codes, aux, n, out);
}

void first_stage_scores(SimdLevel level, const std::uint64_t* probe, std::uint32_t probe_aux,
                        const std::uint64_t* codes, const std::uint32_t* aux, std::size_t n, std::uint32_t* out) {
  first_stage_scores(level, prepare_first_stage_probe(probe, probe_aux), codes, aux, n, out);
}

}  // namespace fpm::cpu
