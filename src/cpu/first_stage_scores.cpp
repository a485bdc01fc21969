#include "cpu/first_stage_scores.hpp"

#include "cpu/simd_targets.hpp"
#include "index/first_stage_code.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
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
// The same source with the popcnt instruction.
FPM_AVX2 void scores_popcnt(const std::uint64_t* probe, std::uint32_t probe_aux, const std::uint64_t* codes,
                            const std::uint32_t* aux, std::size_t n, std::uint32_t* out) {
  for (std::size_t i = 0; i < n; ++i)
    out[i] = index::code_score(probe, probe_aux, codes + i * index::kCodeWords, aux[i]);
}

// |a AND b| by vpopcntq over 512-bit words; the score's integer division as
// in index::code_score. Written for the code's current definition.
static_assert(index::kCodeVersion == 1 && index::kCodeWords % 8 == 0,
              "a new first-stage code definition brings its AVX-512 variant");
FPM_AVX512 void scores_avx512(const std::uint64_t* probe, std::uint32_t probe_aux, const std::uint64_t* codes,
                              const std::uint32_t* aux, std::size_t n, std::uint32_t* out) {
  constexpr int kVectors = index::kCodeWords / 8;
  __m512i p[kVectors];
  for (int v = 0; v < kVectors; ++v) p[v] = _mm512_loadu_si512(probe + 8 * v);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t* c = codes + i * index::kCodeWords;
    __m512i sum = _mm512_setzero_si512();
    for (int v = 0; v < kVectors; ++v)
      sum = _mm512_add_epi64(sum, _mm512_popcnt_epi64(_mm512_and_si512(p[v], _mm512_loadu_si512(c + 8 * v))));
    const std::uint32_t total = probe_aux + aux[i];
    // (Summed through memory: GCC 12 warns on _mm512_reduce_add_epi64.)
    std::uint64_t lanes[8];
    _mm512_storeu_si512(lanes, sum);
    std::uint64_t common = 0;
    for (std::uint64_t l : lanes) common += l;
    out[i] = total == 0 ? 0 : static_cast<std::uint32_t>((common << 16) / total);
  }
}
#endif

}  // namespace

void first_stage_scores(SimdLevel level, const std::uint64_t* probe, std::uint32_t probe_aux,
                        const std::uint64_t* codes, const std::uint32_t* aux, std::size_t n, std::uint32_t* out) {
#if defined(__x86_64__)
  if (level == SimdLevel::Avx512) return scores_avx512(probe, probe_aux, codes, aux, n, out);
  if (level == SimdLevel::Avx2) return scores_popcnt(probe, probe_aux, codes, aux, n, out);
#endif
  (void)level;
  scores_scalar(probe, probe_aux, codes, aux, n, out);
}

}  // namespace fpm::cpu
