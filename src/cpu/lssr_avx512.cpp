// The AVX-512 variants of the LSS-R stages of mcc/score.hpp: the compatibility
// matrix, the pair selection, the relaxation and the final ranking, 16 lanes at
// a time, compiled from the one width-generic source (simd/lssr_generic.inl)
// with this level's vector operations (simd/vec_avx512.hpp). Bit-identical to
// the specification stage by stage (tests/test_stage_parity.cpp).
#include "cpu/simd/level_avx512.hpp"
#include "cpu/stage_variants.hpp"

namespace fpm::cpu {

FPM_AVX512 int select_pairs_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, const float* lambda,
                      const mcc::Workspace& w) {
  return avx512::select_pairs<avx512::V>(A, B, lambda, w);
}
FPM_AVX512 void lssr_compatibility_avx512(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w) {
  avx512::compatibility<avx512::V>(T, nR, w);
}
FPM_AVX512 void lssr_relax_avx512(int nR, const mcc::Workspace& w) { avx512::relax<avx512::V>(nR, w); }
FPM_AVX512 float lssr_finish_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, int nR,
                       const mcc::ScoreTables& T, const mcc::Workspace& w) {
  return avx512::finish<avx512::V>(A, B, nR, T, w);
}

}  // namespace fpm::cpu
