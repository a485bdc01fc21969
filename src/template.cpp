#include "fpmatch/template.hpp"

#include <cmath>
#include <string>

#include "fpmatch/error.hpp"

namespace fpm {

struct Template::Data {
  TemplateInfo info;
  std::vector<Minutia> minutiae;
};

namespace {

constexpr float kTwoPi = 6.28318530717958647692f;
// The largest coordinate the 14-bit fields of the ISO/ANSI records can hold.
constexpr float kMaxCoordinate = 16383.0f;

[[noreturn]] void invalid(const std::string& what) { throw Error(ErrorCode::InvalidArgument, what); }

float normalise_angle(float theta) {
  float t = std::fmod(theta, kTwoPi);
  if (t < 0) t += kTwoPi;
  if (t >= kTwoPi) t = 0;  // fmod of values just below 0 can round up to 2*pi
  return t;
}

}  // namespace

Template::Template() {
  static const std::shared_ptr<const Data> empty = std::make_shared<Data>();
  d_ = empty;
}

Template::Template(const TemplateInfo& info, std::vector<Minutia> minutiae) {
  if (static_cast<unsigned>(info.position) > 10)
    invalid("finger position " + std::to_string(static_cast<unsigned>(info.position)) +
            " is not a finger position code (0-10)");
  if (static_cast<unsigned>(info.impression) > 9)
    invalid("impression type " + std::to_string(static_cast<unsigned>(info.impression)) +
            " is reserved (valid: 0-9)");
  if (info.source_x_ppcm == 0 || info.source_y_ppcm == 0) invalid("source resolution must be non-zero");
  for (std::size_t i = 0; i < minutiae.size(); ++i) {
    Minutia& m = minutiae[i];
    const std::string at = "minutia " + std::to_string(i) + ": ";
    if (!std::isfinite(m.x) || !std::isfinite(m.y) || !std::isfinite(m.theta))
      invalid(at + "coordinates and direction must be finite");
    if (m.x < 0 || m.y < 0 || m.x > kMaxCoordinate || m.y > kMaxCoordinate)
      invalid(at + "coordinates must lie in [0, 16383] canonical pixels");
    if (static_cast<unsigned>(m.type) > 2) invalid(at + "minutia type must be 0, 1 or 2");
    if (m.quality > 100 && m.quality < 254) invalid(at + "quality must be 0-100, 254 or 255");
    m.theta = normalise_angle(m.theta);
  }
  auto d = std::make_shared<Data>();
  d->info = info;
  d->minutiae = std::move(minutiae);
  d_ = std::move(d);
}

const TemplateInfo& Template::info() const noexcept { return d_->info; }
const std::vector<Minutia>& Template::minutiae() const noexcept { return d_->minutiae; }

bool Template::operator==(const Template& o) const noexcept {
  if (d_ == o.d_) return true;
  const TemplateInfo& a = d_->info;
  const TemplateInfo& b = o.d_->info;
  if (a.width != b.width || a.height != b.height || a.source_x_ppcm != b.source_x_ppcm ||
      a.source_y_ppcm != b.source_y_ppcm || a.position != b.position || a.view != b.view ||
      a.impression != b.impression || a.finger_quality != b.finger_quality)
    return false;
  const auto& ma = d_->minutiae;
  const auto& mb = o.d_->minutiae;
  if (ma.size() != mb.size()) return false;
  for (std::size_t i = 0; i < ma.size(); ++i) {
    if (ma[i].x != mb[i].x || ma[i].y != mb[i].y || ma[i].theta != mb[i].theta ||
        ma[i].type != mb[i].type || ma[i].quality != mb[i].quality)
      return false;
  }
  return true;
}

Template rescaled(const Template& t, double sx, double sy) {
  for (const double s : {sx, sy})
    if (!std::isfinite(s) || s < 0.25 || s > 4.0)
      invalid("rescaled: scale " + std::to_string(s) + " is not finite or lies outside [0.25, 4]");
  if (sx == 1.0 && sy == 1.0) return t;
  TemplateInfo info = t.info();
  const auto size = [](std::uint16_t v, double s) -> std::uint16_t {
    const double r = std::round(v * s);
    if (r > 65535.0) invalid("rescaled: the image size exceeds 65535 canonical pixels");
    return static_cast<std::uint16_t>(r);
  };
  info.width = size(info.width, sx);
  info.height = size(info.height, sy);
  std::vector<Minutia> m = t.minutiae();
  for (Minutia& p : m) {
    p.x = static_cast<float>(p.x * sx);
    p.y = static_cast<float>(p.y * sy);
    if (p.x > kMaxCoordinate || p.y > kMaxCoordinate)
      invalid("rescaled: coordinates exceed the 16383-pixel canonical range");
    // A direction (cos, sin) becomes (sx cos, sy sin): y points down in the
    // image and theta turns counter-clockwise as seen, so both axes keep
    // their signs and the same formula holds.
    const double d = std::atan2(sy * std::sin(static_cast<double>(p.theta)), sx * std::cos(static_cast<double>(p.theta)));
    p.theta = normalise_angle(static_cast<float>(d));
  }
  return Template(info, std::move(m));
}

}  // namespace fpm
