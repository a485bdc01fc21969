// fpm::Matcher: SIMD dispatch, scratch memory, and the shared consolidation.
#include <utility>
#include <vector>

#include "cpu/lssr_simd.hpp"
#include "cpu/match_views.hpp"
#include "cpu/similarity.hpp"
#include "fpmatch/error.hpp"
#include "mcc/encoded.hpp"
#include "mcc/score.hpp"

namespace fpm {

namespace cpu {

SimdLevel resolve_simd_level(SimdLevel level) { return level == SimdLevel::Auto ? best_simd_level() : level; }

SimilarityFn similarity_function(SimdLevel level) {
  switch (level) {
    case SimdLevel::Avx512: return similarity_avx512;
    case SimdLevel::Avx2: return similarity_avx2;
    default: return similarity_scalar;
  }
}

}  // namespace cpu

SimdLevel best_simd_level() noexcept {
  if (simd_level_supported(SimdLevel::Avx512)) return SimdLevel::Avx512;
  if (simd_level_supported(SimdLevel::Avx2)) return SimdLevel::Avx2;
  return SimdLevel::Scalar;
}

bool simd_level_supported(SimdLevel level) noexcept {
  switch (level) {
    case SimdLevel::Auto:
    case SimdLevel::Scalar: return true;
#if defined(__x86_64__)
    case SimdLevel::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    case SimdLevel::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vpopcntdq");
#endif
    default: return false;
  }
}

const char* simd_level_name(SimdLevel level) noexcept {
  switch (level) {
    case SimdLevel::Auto: return "auto";
    case SimdLevel::Scalar: return "scalar";
    case SimdLevel::Avx2: return "avx2";
    case SimdLevel::Avx512: return "avx512";
  }
  return "unknown";
}

struct Matcher::Impl {
  SimdLevel level;
  cpu::SimilarityFn similarity;
  std::vector<float> lambda, rho_t, small;
  std::vector<std::uint64_t> pairs;
  mcc::Workspace ws;

  explicit Impl(SimdLevel l)
      : level(l),
        similarity(cpu::similarity_function(l)),
        lambda(mcc::kMaxCylinders * mcc::kMaxCylinders),
        rho_t(mcc::kMaxCylinders * mcc::kMaxCylinders),
        small(mcc::kWorkspaceVectors * mcc::kMaxCylinders),
        pairs(mcc::kMaxCylinders),
        ws(mcc::make_workspace(pairs.data(), small.data(), rho_t.data())) {}
};

Matcher::Matcher(SimdLevel level) {
  const SimdLevel resolved = cpu::resolve_simd_level(level);
  if (!simd_level_supported(resolved))
    throw Error(ErrorCode::InvalidArgument,
                std::string("this CPU does not support the ") + simd_level_name(resolved) + " matcher");
  impl_ = std::make_unique<Impl>(resolved);
}
Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

SimdLevel Matcher::level() const noexcept { return impl_->level; }

float Matcher::match(const EncodedTemplate& probe, const EncodedTemplate& candidate) {
  return detail::MatcherAccess::match(*this, probe.data().view(), candidate.data().view());
}

float detail::MatcherAccess::match(Matcher& m, const mcc::CylinderSetView& probe, const mcc::CylinderSetView& candidate) {
  const auto& impl_ = m.impl_;
  mcc::CylinderSetView a = probe;
  mcc::CylinderSetView b = candidate;
  if (mcc::swap_roles(a, b)) std::swap(a, b);
  if (!mcc::comparable(a, b)) return 0.0f;
  const mcc::ScoreTables& T = mcc::score_tables();
  const mcc::Workspace& ws = impl_->ws;
  impl_->similarity(a, b, impl_->lambda.data());
  const bool avx512 = impl_->level == SimdLevel::Avx512, avx2 = impl_->level == SimdLevel::Avx2;
  const int nR = avx512 ? cpu::select_pairs_avx512(a, b, impl_->lambda.data(), ws)
                 : avx2 ? cpu::select_pairs_histogram(a, b, impl_->lambda.data(), ws)
                        : mcc::select_pairs(a, b, impl_->lambda.data(), ws);
  if (nR == 0) return 0.0f;
  mcc::lssr_gather(a, b, nR, ws);
  if (avx512) {
    cpu::lssr_compatibility_avx512(T, nR, ws);
    cpu::lssr_relax_avx512(nR, ws);
    return cpu::lssr_finish_avx512(a, b, nR, T, ws);
  }
  // The scalar path stays the reference: every compatibility in full.
  if (avx2)
    cpu::lssr_compatibility_avx2(T, nR, ws);
  else
    mcc::lssr_compatibility(T, nR, ws);
  mcc::lssr_relax(nR, ws);
  return mcc::lssr_finish(a, b, nR, T, ws);
}

float match(const EncodedTemplate& probe, const EncodedTemplate& candidate) {
  thread_local Matcher matcher;
  return matcher.match(probe, candidate);
}

}  // namespace fpm
