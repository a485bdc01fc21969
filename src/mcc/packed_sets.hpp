// Many cylinder sets packed into the same arrays, structure of arrays,
// delimited by cylinder offsets (CSR): set i holds cylinders
// [offset[i], offset[i + 1]). The one view of such arrays, for the gallery's
// host memory, the device copy and the tests' packed probes alike: the
// score kernels and the CPU search read sets through `set(i)`.
#pragma once

#include <cstdint>

#include "mcc/hd.hpp"
#include "mcc/layout.hpp"

namespace fpm::mcc {

struct PackedSetsView {
  const std::uint64_t* offset = nullptr;   // count + 1 values, in cylinders
  const std::uint64_t* hash = nullptr;     // count: content hash per set
  const std::uint8_t* position = nullptr;  // count: finger position, 0 = unknown
  const std::uint64_t* bits = nullptr;     // kCylinderWords per cylinder
  const std::uint64_t* valid = nullptr;    // kValidityWords per cylinder
  const float* x = nullptr;                // per cylinder
  const float* y = nullptr;
  const float* theta = nullptr;
  // Per set, where the arrays hold first-stage codes (a gallery and its
  // device copy; null for probe batches): index::kCodeWords words each, and
  // the code's auxiliary value (index/first_stage_code.hpp).
  const std::uint64_t* code = nullptr;
  const std::uint32_t* code_aux = nullptr;
  std::uint32_t count = 0;
  int max_cylinders = 0;  // largest set (sizes the device's shared memory); 0 where not tracked

  // Set i, read in place.
  FPM_HD_INLINE CylinderSetView set(std::uint64_t i) const {
    const std::uint64_t c0 = offset[i];
    CylinderSetView v;
    v.n = static_cast<int>(offset[i + 1] - c0);
    v.hash = hash[i];
    v.bits = bits + c0 * kCylinderWords;
    v.valid = valid + c0 * kValidityWords;
    v.x = x + c0;
    v.y = y + c0;
    v.theta = theta + c0;
    return v;
  }
};

}  // namespace fpm::mcc
