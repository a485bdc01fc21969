#include "targets.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "fpmatch/fpmatch.hpp"

namespace fpm_fuzz {

namespace {

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what);
  std::abort();
}

bool same_minutiae(const fpm::Template& a, const fpm::Template& b, double angle_tol) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const fpm::Minutia& x = a.minutiae()[i];
    const fpm::Minutia& y = b.minutiae()[i];
    const double d = std::fabs(std::remainder(static_cast<double>(x.theta) - y.theta, 2 * 3.14159265358979323846));
    if (x.x != y.x || x.y != y.y || d > angle_tol) return false;
  }
  return true;
}

bool native_resolution(const fpm::Template& t) {
  return t.info().source_x_ppcm == 197 && t.info().source_y_ppcm == 197;
}

// Decodes as `in`; re-encodes whatever decodes as `out` and checks it.
void exercise(fpm::Format in, fpm::Format out, const std::uint8_t* data, std::size_t size, double angle_tol) {
  for (bool strict : {false, true}) {
    fpm::DecodeOptions opt;
    opt.format = in;
    opt.strict = strict;
    fpm::DecodedRecord rec;
    try {
      rec = fpm::decode(data, size, opt);
    } catch (const fpm::DecodeError&) {
      continue;
    } catch (...) {
      finding("decode threw something other than DecodeError");
    }
    if (rec.views.empty()) finding("decoded record without views");
    if (strict && !rec.warnings.empty()) finding("strict decode returned warnings");
    std::vector<fpm::Template> views = rec.views;
    if (out == fpm::Format::NistXyt) views.resize(1);
    std::vector<std::uint8_t> bytes;
    try {
      bytes = fpm::encode(views, out);
    } catch (const fpm::Error& e) {
      if (e.code() != fpm::ErrorCode::InvalidArgument) finding("encode failed with an unexpected code");
      continue;
    } catch (...) {
      finding("encode threw something other than fpm::Error");
    }
    fpm::DecodeOptions back_opt;
    back_opt.format = out;
    back_opt.xyt_image_height = out == fpm::Format::NistXyt ? views[0].info().height : 0;
    fpm::DecodedRecord back;
    try {
      back = fpm::decode(bytes.data(), bytes.size(), back_opt);
    } catch (const fpm::DecodeError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      finding("an encoded record does not decode");
    }
    if (back.views.size() != views.size()) finding("round trip changed the number of views");
    for (std::size_t v = 0; v < views.size(); ++v) {
      if (!native_resolution(views[v])) continue;  // rescaled coordinates are rounded on encode
      if (!same_minutiae(views[v], back.views[v], angle_tol)) finding("round trip changed the minutiae");
    }
  }
}

}  // namespace

constexpr double kExact = 1e-5;
constexpr double kDegree = 3.14159265358979323846 / 180.0;

int iso2005(const std::uint8_t* d, std::size_t n) {
  exercise(fpm::Format::Iso19794_2_2005, fpm::Format::Iso19794_2_2005, d, n, kExact);
  return 0;
}
int iso2011(const std::uint8_t* d, std::size_t n) {
  exercise(fpm::Format::Iso19794_2_2011, fpm::Format::Iso19794_2_2005, d, n, kExact);
  return 0;
}
int ansi2004(const std::uint8_t* d, std::size_t n) {
  exercise(fpm::Format::Ansi378_2004, fpm::Format::Ansi378_2004, d, n, kExact);
  return 0;
}
int ansi2009(const std::uint8_t* d, std::size_t n) {
  exercise(fpm::Format::Ansi378_2009, fpm::Format::Ansi378_2004, d, n, kExact);
  return 0;
}
int xyt(const std::uint8_t* d, std::size_t n) {
  exercise(fpm::Format::NistXyt, fpm::Format::NistXyt, d, n, kDegree);
  return 0;
}
int detect(const std::uint8_t* d, std::size_t n) {
  (void)fpm::detect_format(d, n);
  exercise(fpm::Format::Auto, fpm::Format::Iso19794_2_2005, d, n, 1.0 * kDegree);
  return 0;
}

const Target kTargets[] = {
    {"iso2005", iso2005}, {"iso2011", iso2011}, {"ansi2004", ansi2004},
    {"ansi2009", ansi2009}, {"xyt", xyt},       {"detect", detect},
};
const std::size_t kTargetCount = sizeof(kTargets) / sizeof(kTargets[0]);

}  // namespace fpm_fuzz
