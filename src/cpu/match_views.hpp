// Comparing cylinder sets in place (gallery entries are views into packed
// arrays, not EncodedTemplate objects).
#pragma once

#include "fpmatch/matcher.hpp"
#include "mcc/layout.hpp"

namespace fpm::detail {

struct MatcherAccess {
  static float match(Matcher& m, const mcc::CylinderSetView& probe, const mcc::CylinderSetView& candidate);
};

}  // namespace fpm::detail
