// What the library's own code (the engines, the tests' simulated devices)
// uses of a Matcher beyond the public API: its stage table and comparisons
// of cylinder sets in place (gallery entries are views into packed arrays,
// not EncodedTemplate objects), with a probe prepared once per search.
#pragma once

#include "cpu/prepared_probe.hpp"
#include "cpu/score_stages.hpp"
#include "fpmatch/matcher.hpp"
#include "mcc/layout.hpp"

namespace fpm::detail {

struct MatcherAccess {
  static const cpu::ScoreStages& stages(const Matcher& m);
  // A probe prepared with stages(m) against a candidate summarised here.
  static float match(Matcher& m, const cpu::PreparedProbe& probe, const mcc::CylinderSetView& candidate);
  // Both sides summarised here.
  static float match(Matcher& m, const mcc::CylinderSetView& probe, const mcc::CylinderSetView& candidate);
};

}  // namespace fpm::detail
