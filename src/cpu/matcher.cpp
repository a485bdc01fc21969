// fpm::Matcher: the SIMD level's stage table and the scratch memory of one comparison.
#include <utility>
#include <vector>

#include "access.hpp"
#include "cpu/score_stages.hpp"
#include "cpu/simd_targets.hpp"
#include "fpmatch/error.hpp"
#include "mcc/encoded.hpp"
#include "mcc/score.hpp"

namespace fpm {

SimdLevel best_simd_level() noexcept {
  if (simd_level_supported(SimdLevel::Avx512)) return SimdLevel::Avx512;
  if (simd_level_supported(SimdLevel::Avx2)) return SimdLevel::Avx2;
  return SimdLevel::Scalar;
}

bool simd_level_supported(SimdLevel level) noexcept {
  switch (level) {
    case SimdLevel::Auto:
    case SimdLevel::Scalar: return true;
    case SimdLevel::Avx2: return cpu::cpu_has_avx2();
    case SimdLevel::Avx512: return cpu::cpu_has_avx512();
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
  const cpu::ScoreStages& stages;
  cpu::ScoreScratch scratch;
  // The probe whose summary scratch.first holds (match() called with the
  // same probe again reuses it: the probe prepared once, as a search does).
  // Held, so that its address cannot be reused by another template; the
  // layout is immutable.
  std::shared_ptr<const EncodedTemplate::Data> summarised;
  explicit Impl(SimdLevel l) : stages(cpu::score_stages(l)) {}
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

SimdLevel Matcher::level() const noexcept { return impl_->stages.level; }

float Matcher::match(const EncodedTemplate& probe, const EncodedTemplate& candidate) {
  Impl& impl = *impl_;
  const auto& p = detail::Access::shared(probe);
  const mcc::CylinderSetView pv = p->view(), cv = detail::Access::data(candidate).view();
  if (impl.stages.summarise) {
    if (impl.summarised != p) {
      impl.stages.summarise(pv, impl.scratch.first);
      impl.summarised = p;
    }
    impl.stages.summarise(cv, impl.scratch.second);
  }
  return cpu::score_pair(impl.stages, {pv, &impl.scratch.first}, {cv, &impl.scratch.second}, impl.scratch);
}

float detail::Access::match(Matcher& m, const cpu::PreparedProbe& probe, const mcc::CylinderSetView& candidate) {
  Matcher::Impl& impl = *m.impl_;
  if (impl.stages.summarise) impl.stages.summarise(candidate, impl.scratch.second);
  return cpu::score_pair(impl.stages, probe.side(), {candidate, &impl.scratch.second}, impl.scratch);
}

float detail::Access::match(Matcher& m, const mcc::CylinderSetView& probe, const mcc::CylinderSetView& candidate) {
  Matcher::Impl& impl = *m.impl_;
  if (impl.stages.summarise) {
    impl.summarised.reset();
    impl.stages.summarise(probe, impl.scratch.first);
    impl.stages.summarise(candidate, impl.scratch.second);
  }
  return cpu::score_pair(impl.stages, {probe, &impl.scratch.first}, {candidate, &impl.scratch.second}, impl.scratch);
}

float match(const EncodedTemplate& probe, const EncodedTemplate& candidate) {
  thread_local Matcher matcher;
  return matcher.match(probe, candidate);
}

}  // namespace fpm
