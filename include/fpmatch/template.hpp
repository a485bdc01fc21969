// fpmatch: the template model.
//
// A Template is one finger view's minutiae in fpmatch's canonical frame:
//   * pixels at 500 ppi (197 pixels per cm); records at other resolutions are
//     rescaled on import,
//   * origin at the image's top-left corner, x to the right, y downwards,
//   * minutia direction theta in radians, [0, 2*pi), measured counter-clockwise
//     as seen on the image from the positive x axis, pointing along the ridge
//     (the ISO/IEC 19794-2 and ANSI INCITS 378 convention).
// Templates are immutable values; copies share the same data.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "fpmatch/export.h"

namespace fpm {

enum class MinutiaType : std::uint8_t { Other = 0, RidgeEnding = 1, Bifurcation = 2 };

struct Minutia {
  float x = 0;      // canonical pixels (500 ppi), from the left edge
  float y = 0;      // canonical pixels (500 ppi), from the top edge
  float theta = 0;  // radians in [0, 2*pi), counter-clockwise as seen on the image
  MinutiaType type = MinutiaType::Other;
  std::uint8_t quality = 0;  // as recorded: 0-100; ISO 2011 also uses 254 (not computed), 255 (failed)
};

// ISO/IEC 19794-2 / ANSI INCITS 378 finger position codes. 0 = unknown.
enum class FingerPosition : std::uint8_t {
  Unknown = 0,
  RightThumb = 1, RightIndex = 2, RightMiddle = 3, RightRing = 4, RightLittle = 5,
  LeftThumb = 6, LeftIndex = 7, LeftMiddle = 8, LeftRing = 9, LeftLittle = 10,
};

// Impression type codes shared by the minutiae standards (0-9; 10-15 are reserved).
enum class ImpressionType : std::uint8_t {
  LivePlain = 0, LiveRolled = 1, NonLivePlain = 2, NonLiveRolled = 3,
  LatentImpression = 4, LatentTracing = 5, LatentPhoto = 6, LatentLift = 7,
  LiveSwipe = 8, Contactless = 9,
};

struct TemplateInfo {
  // Image size in canonical pixels (500 ppi); 0 = not known.
  std::uint16_t width = 0;
  std::uint16_t height = 0;
  // Resolution the record was captured at, in pixels per cm (197 = 500 ppi).
  std::uint16_t source_x_ppcm = 197;
  std::uint16_t source_y_ppcm = 197;
  FingerPosition position = FingerPosition::Unknown;
  std::uint8_t view = 0;                    // view number within the record
  ImpressionType impression = ImpressionType::LivePlain;
  std::uint8_t finger_quality = 0;          // 0-100 as recorded
};

class FPM_API Template {
 public:
  // An empty template (no minutiae, default info).
  Template();
  // Validates its input: coordinates finite and within [0, 16383], theta
  // finite (normalised into [0, 2*pi)), minutia types and qualities valid,
  // finger position 0-10, impression 0-9. Throws fpm::Error(InvalidArgument).
  Template(const TemplateInfo& info, std::vector<Minutia> minutiae);

  const TemplateInfo& info() const noexcept;
  const std::vector<Minutia>& minutiae() const noexcept;
  std::size_t size() const noexcept { return minutiae().size(); }

  // Same info and the same minutiae in the same order, compared exactly.
  bool operator==(const Template& other) const noexcept;
  bool operator!=(const Template& other) const noexcept { return !(*this == other); }

 private:
  struct Data;
  std::shared_ptr<const Data> d_;
};

// The template with its geometry stretched by sx along x and sy along y:
// coordinates (and the image size) multiplied, each direction turned as
// the stretch turns it (theta' = atan2(sy sin theta, sx cos theta)). For
// records whose coordinates are not at the resolution they declare, such as
// templates extracted from an image resized without keeping its aspect
// ratio: to undo a resize by factors (fx, fy), pass (1 / fx, 1 / fy).
// Throws fpm::Error(InvalidArgument) for a scale that is not finite or lies
// outside [0.25, 4], or a result outside the canonical range.
FPM_API Template rescaled(const Template& t, double sx, double sy);

}  // namespace fpm
