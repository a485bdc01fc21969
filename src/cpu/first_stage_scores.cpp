#include "cpu/first_stage_scores.hpp"

#include "index/first_stage_code.hpp"

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
// The same source with the popcnt instruction (flatten: the score is
// inlined, so it is compiled for this target too).
__attribute__((target("popcnt"), flatten)) void scores_popcnt(const std::uint64_t* probe, std::uint32_t probe_aux,
                                                              const std::uint64_t* codes, const std::uint32_t* aux,
                                                              std::size_t n, std::uint32_t* out) {
  for (std::size_t i = 0; i < n; ++i)
    out[i] = index::code_score(probe, probe_aux, codes + i * index::kCodeWords, aux[i]);
}
#endif

}  // namespace

void first_stage_scores(SimdLevel level, const std::uint64_t* probe, std::uint32_t probe_aux,
                        const std::uint64_t* codes, const std::uint32_t* aux, std::size_t n, std::uint32_t* out) {
#if defined(__x86_64__)
  // Both levels' CPUs have popcnt (cpu/simd_targets.hpp); a vectorised
  // score is still to come.
  if (level == SimdLevel::Avx512 || level == SimdLevel::Avx2) return scores_popcnt(probe, probe_aux, codes, aux, n, out);
#endif
  (void)level;
  scores_scalar(probe, probe_aux, codes, aux, n, out);
}

}  // namespace fpm::cpu
