// The stage tables of the CPU's SIMD levels and the composition of the stages.
#include "cpu/score_stages.hpp"

#include <utility>

#include "cpu/stage_variants.hpp"
#include "fpmatch/error.hpp"

namespace fpm::cpu {

namespace {

// The specification itself.
constexpr ScoreStages kScalar{SimdLevel::Scalar, nullptr, similarity_scalar, mcc::select_pairs,
                              mcc::lssr_compatibility, mcc::lssr_relax, mcc::lssr_finish};
constexpr ScoreStages kAvx2{SimdLevel::Avx2, summarise_avx2, similarity_avx2, select_pairs_avx2,
                            lssr_compatibility_avx2, lssr_relax_avx2, lssr_finish_avx2};
constexpr ScoreStages kAvx512{SimdLevel::Avx512, summarise_avx512, similarity_avx512, select_pairs_avx512,
                              lssr_compatibility_avx512, lssr_relax_avx512, lssr_finish_avx512};

}  // namespace

const ScoreStages& score_stages(SimdLevel level) {
  switch (level) {
    case SimdLevel::Avx512: return kAvx512;
    case SimdLevel::Avx2: return kAvx2;
    case SimdLevel::Scalar: return kScalar;
    case SimdLevel::Auto: break;
  }
  throw Error(ErrorCode::Internal, "score_stages: the SIMD level is not resolved");
}

SimdLevel resolve_simd_level(SimdLevel level) { return level == SimdLevel::Auto ? best_simd_level() : level; }

ScoreScratch::ScoreScratch()
    : lambda(mcc::kMaxCylinders * mcc::kMaxCylinders),
      rho_t(mcc::kMaxCylinders * mcc::kMaxCylinders),
      vectors(mcc::kWorkspaceVectors * mcc::kMaxCylinders),
      pairs(mcc::kMaxCylinders),
      ws(mcc::make_workspace(pairs.data(), vectors.data(), rho_t.data())) {}

float score_pair(const ScoreStages& stages, ScoreSide a, ScoreSide b, ScoreScratch& s) {
  if (mcc::swap_roles(a.set, b.set)) std::swap(a, b);
  const mcc::CylinderSetView& A = a.set;
  const mcc::CylinderSetView& B = b.set;
  if (!mcc::comparable(A, B)) return 0.0f;
  const mcc::ScoreTables& T = mcc::score_tables();
  stages.similarity(A, *a.summary, B, *b.summary, s.lambda.data());
  const int nR = stages.select(A, B, s.lambda.data(), s.ws);
  if (nR == 0) return 0.0f;
  mcc::lssr_gather(A, B, nR, s.ws);
  stages.compatibility(T, nR, s.ws);
  stages.relax(nR, s.ws);
  return stages.finish(A, B, nR, T, s.ws);
}

}  // namespace fpm::cpu
