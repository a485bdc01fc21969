// The AVX2 variants of the LSS-R stages of mcc/score.hpp: the compatibility
// matrix, the pair selection, the relaxation and the final ranking, 8 lanes at
// a time, compiled from the one width-generic source (simd/lssr_generic.inl)
// with this level's vector operations (simd/vec_avx2.hpp). Bit-identical to
// the specification stage by stage (tests/test_stage_parity.cpp).
#include "cpu/simd/level_avx2.hpp"
#include "cpu/stage_variants.hpp"

namespace fpm::cpu {

FPM_AVX2 int select_pairs_avx2(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, const float* lambda,
                      const mcc::Workspace& w) {
  return avx2::select_pairs<avx2::V>(A, B, lambda, w);
}
FPM_AVX2 void lssr_compatibility_avx2(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w) {
  avx2::compatibility<avx2::V>(T, nR, w);
}
FPM_AVX2 void lssr_relax_avx2(int nR, const mcc::Workspace& w) { avx2::relax<avx2::V>(nR, w); }
FPM_AVX2 float lssr_finish_avx2(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, int nR,
                       const mcc::ScoreTables& T, const mcc::Workspace& w) {
  return avx2::finish<avx2::V>(A, B, nR, T, w);
}

}  // namespace fpm::cpu
