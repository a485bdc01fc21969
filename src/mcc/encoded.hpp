// The storage behind fpm::EncodedTemplate: one template's cylinders in the
// layout of mcc/layout.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "fpmatch/matcher.hpp"
#include "mcc/layout.hpp"

namespace fpm {

struct EncodedTemplate::Data {
  TemplateInfo info;
  std::uint32_t source_minutiae = 0;
  std::vector<std::uint64_t> bits;   // n * kCylinderWords
  std::vector<std::uint64_t> valid;  // n * kValidityWords
  std::vector<float> x, y, theta;    // n
  std::vector<std::uint16_t> source_index;  // which input minutia each cylinder belongs to
  std::uint64_t hash = 0;                   // FNV-1a of bits, validity and minutiae (mcc::swap_roles)

  int n() const { return static_cast<int>(x.size()); }
  mcc::CylinderSetView view() const {
    mcc::CylinderSetView v;
    v.n = n();
    v.hash = hash;
    v.bits = bits.data();
    v.valid = valid.data();
    v.x = x.data();
    v.y = y.data();
    v.theta = theta.data();
    return v;
  }
};

}  // namespace fpm
