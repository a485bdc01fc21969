// fpmatch: synthetic fingers for scale tests and demos.
//
// A master finger is a set of minutiae placed with realistic spacing inside
// an elliptical finger area, directed along an orientation field with the
// singular points of an arch, loop or whorl. An impression of it applies what
// a capture does: a rotation and shift, a smooth non-linear distortion, a
// partial contact area and sensor window, position and direction noise,
// missed minutiae and spurious ones. Everything is a pure function of (seed,
// subject, finger, impression): any finger can be made on its own, in any
// order, on any thread, with the same result.
#pragma once

#include <cstdint>

#include "fpmatch/export.h"
#include "fpmatch/template.hpp"

namespace fpm {

struct SynthOptions {
  std::uint64_t seed = 1;
  int min_minutiae = 20;       // master finger minutiae count range
  int max_minutiae = 80;
  float mean_minutiae = 62;
  float max_rotation_deg = 20;   // impression rotation, uniform in +-
  float max_shift_px = 35;       // impression translation, uniform in +-
  float distortion_px = 5;       // largest non-linear displacement
  float position_noise_px = 2.0f;
  float direction_noise_deg = 6;
  float miss_rate_max = 0.12f;   // per impression, a minutia is missed with probability in [0.02, this]
  float spurious_rate_max = 0.12f;  // spurious minutiae per true one, in [0, this]
  int width = 360;               // sensor window, canonical pixels
  int height = 440;
};

class FPM_API SyntheticFingers {
 public:
  explicit SyntheticFingers(const SynthOptions& options = {});
  const SynthOptions& options() const noexcept { return options_; }
  // The minutiae of a finger as it is (impression-free), position 1-10.
  Template master(std::uint64_t subject, int finger) const;
  // One capture of that finger; impression numbers give independent captures.
  Template impression(std::uint64_t subject, int finger, std::uint64_t impression) const;

 private:
  SynthOptions options_;
};

}  // namespace fpm
