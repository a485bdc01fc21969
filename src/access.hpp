// The library's own access to what the public classes keep private (their
// layouts, a Matcher's stage table and scratch): one friend of
// EncodedTemplate, Gallery and Matcher, so that the public headers name no
// internals beyond a forward declaration. Used by the engines, the CUDA
// backend, the C API and the library's internal tests; never by users.
#pragma once

#include <memory>
#include <utility>

#include "cpu/prepared_probe.hpp"
#include "cpu/score_stages.hpp"
#include "fpmatch/gallery.hpp"
#include "fpmatch/matcher.hpp"
#include "mcc/layout.hpp"

namespace fpm::detail {

struct Access {
  // The cylinders of an encoded template (mcc/encoded.hpp).
  static const EncodedTemplate::Data& data(const EncodedTemplate& t) noexcept { return *t.d_; }
  static const std::shared_ptr<const EncodedTemplate::Data>& shared(const EncodedTemplate& t) noexcept { return t.d_; }
  static EncodedTemplate make_encoded(std::shared_ptr<const EncodedTemplate::Data> d) {
    return EncodedTemplate(std::move(d));
  }
  // A gallery's packed arrays (gallery/gallery_data.hpp).
  static const Gallery::Data& data(const Gallery& g) noexcept { return *g.d_; }

  // Cylinder sets compared in place (gallery entries are views into packed
  // arrays, not EncodedTemplate objects): a probe prepared at m's level
  // (cpu::score_stages(m.level())) against a candidate summarised here, or
  // both sides summarised here.
  static float match(Matcher& m, const cpu::PreparedProbe& probe, const mcc::CylinderSetView& candidate);
  static float match(Matcher& m, const mcc::CylinderSetView& probe, const mcc::CylinderSetView& candidate);
};

}  // namespace fpm::detail
