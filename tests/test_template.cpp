#include <catch2/catch.hpp>
#include <array>
#include <cmath>
#include <initializer_list>
#include <limits>

#include "fpmatch/fpmatch.hpp"

using fpm::Minutia;
using fpm::Template;
using fpm::TemplateInfo;

TEST_CASE("Template: default is empty and copies share data", "[template]") {
  Template t;
  CHECK(t.size() == 0);
  CHECK(t.info().source_x_ppcm == 197);
  Template u = t;
  CHECK(u == t);
}

TEST_CASE("Template: directions are normalised into 0..2pi", "[template]") {
  std::vector<Minutia> ms(3);
  ms[0].theta = -0.5f;
  ms[1].theta = 7.0f;
  ms[2].theta = 6.2831853f;
  Template t(TemplateInfo{}, ms);
  for (const Minutia& m : t.minutiae()) {
    CHECK(m.theta >= 0.0f);
    CHECK(m.theta < 6.2831853f);
  }
  CHECK(t.minutiae()[0].theta == Approx(6.2831853 - 0.5).margin(1e-5));
  CHECK(t.minutiae()[1].theta == Approx(7.0 - 6.2831853).margin(1e-5));
}

TEST_CASE("Template: invalid values are refused with InvalidArgument", "[template]") {
  auto refuses = [](TemplateInfo info, std::vector<Minutia> ms) {
    try {
      Template t(info, ms);
    } catch (const fpm::Error& e) {
      CHECK(e.code() == fpm::ErrorCode::InvalidArgument);
      return true;
    }
    return false;
  };
  Minutia ok;
  ok.x = 10;
  ok.y = 10;
  TemplateInfo info;
  CHECK_FALSE(refuses(info, {ok}));

  // `ok` (or `info`) with one field changed by `edit`.
  const auto refuses_minutia = [&](void (*edit)(Minutia&)) {
    Minutia m = ok;
    edit(m);
    return refuses(info, {m});
  };
  const auto refuses_info = [&](void (*edit)(TemplateInfo&)) {
    TemplateInfo bad = info;
    edit(bad);
    return refuses(bad, {ok});
  };
  CHECK(refuses_minutia([](Minutia& m) { m.x = std::numeric_limits<float>::quiet_NaN(); }));
  CHECK(refuses_minutia([](Minutia& m) { m.theta = std::numeric_limits<float>::infinity(); }));
  CHECK(refuses_minutia([](Minutia& m) { m.y = -1; }));
  CHECK(refuses_minutia([](Minutia& m) { m.x = 20000; }));
  CHECK(refuses_minutia([](Minutia& m) { m.type = static_cast<fpm::MinutiaType>(3); }));
  CHECK(refuses_minutia([](Minutia& m) { m.quality = 150; }));
  // ISO 2011 "not computed" is a legal value
  CHECK_FALSE(refuses_minutia([](Minutia& m) { m.quality = 254; }));

  CHECK(refuses_info([](TemplateInfo& i) { i.position = static_cast<fpm::FingerPosition>(11); }));
  CHECK(refuses_info([](TemplateInfo& i) { i.impression = static_cast<fpm::ImpressionType>(10); }));
  CHECK(refuses_info([](TemplateInfo& i) { i.source_x_ppcm = 0; }));
}

TEST_CASE("Template: equality compares info and minutiae exactly", "[template]") {
  std::vector<Minutia> ms(2);
  ms[1].x = 5;
  Template a(TemplateInfo{}, ms);
  Template b(TemplateInfo{}, ms);
  CHECK(a == b);
  ms[1].x = 5.5f;
  CHECK(a != Template(TemplateInfo{}, ms));
  TemplateInfo info;
  info.view = 1;
  CHECK(a != Template(info, {Minutia{}, b.minutiae()[1]}));
}

namespace {

// Minutiae at (x, y, theta), the rest default.
std::vector<Minutia> minutiae_at(std::initializer_list<std::array<float, 3>> xyt) {
  std::vector<Minutia> ms;
  for (const auto& p : xyt) {
    Minutia m;
    m.x = p[0];
    m.y = p[1];
    m.theta = p[2];
    ms.push_back(m);
  }
  return ms;
}

TemplateInfo info_of_size(std::uint16_t width, std::uint16_t height) {
  TemplateInfo info;
  info.width = width;
  info.height = height;
  return info;
}

}  // namespace

TEST_CASE("Template: rescaled stretches positions, size and directions", "[template]") {
  const TemplateInfo info = info_of_size(300, 400);
  // The second along x and the third along y: unchanged by any stretch.
  const std::vector<Minutia> ms = minutiae_at({{100, 200, static_cast<float>(M_PI / 4)},
                                               {10, 20, 0.0f},
                                               {0, 399, static_cast<float>(3 * M_PI / 2)}});
  const Template t(info, ms);
  const Template r = fpm::rescaled(t, 1.3, 0.75);
  CHECK(r.info().width == 390);
  CHECK(r.info().height == 300);
  CHECK(r.minutiae()[0].x == Approx(130.0f));
  CHECK(r.minutiae()[0].y == Approx(150.0f));
  CHECK(r.minutiae()[0].theta == Approx(std::atan2(0.75, 1.3)).margin(1e-6));
  CHECK(r.minutiae()[1].theta == 0.0f);
  CHECK(r.minutiae()[2].theta == Approx(3 * M_PI / 2).margin(1e-6));
  // The inverse stretch gives the original back, up to float rounding.
  const Template back = fpm::rescaled(r, 1 / 1.3, 1 / 0.75);
  for (std::size_t i = 0; i < ms.size(); ++i) {
    CHECK(back.minutiae()[i].x == Approx(ms[i].x).margin(1e-3));
    CHECK(back.minutiae()[i].y == Approx(ms[i].y).margin(1e-3));
    const double d = std::remainder(back.minutiae()[i].theta - ms[i].theta, 2 * M_PI);
    CHECK(std::fabs(d) < 1e-5);
  }
  // Type and quality ride along; (1, 1) is the identity.
  CHECK(fpm::rescaled(t, 1, 1) == t);
  for (double bad : {0.0, -1.0, 0.2, 4.5, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    CHECK_THROWS_AS(fpm::rescaled(t, bad, 1), fpm::Error);
    CHECK_THROWS_AS(fpm::rescaled(t, 1, bad), fpm::Error);
  }
  // A stretch that leaves the canonical range is refused, not clipped.
  std::vector<Minutia> far(1);
  far[0].x = 16000;
  CHECK_THROWS_AS(fpm::rescaled(Template(TemplateInfo{}, far), 2, 1), fpm::Error);
}

TEST_CASE("Template: DecodeOptions::rescale applies to every decoded view", "[template]") {
  const TemplateInfo info = info_of_size(300, 400);
  const std::vector<Minutia> ms = minutiae_at({{100, 100, 1.0f}, {200, 300, 2.0f}});
  const Template t(info, ms);
  TemplateInfo second = info;
  second.view = 1;
  const std::vector<std::uint8_t> bytes = fpm::encode({t, Template(second, ms)}, fpm::Format::Iso19794_2_2005);
  fpm::DecodeOptions o;
  const fpm::DecodedRecord plain = fpm::decode(bytes, o);
  o.rescale_x = 1.2;
  o.rescale_y = 0.8;
  const fpm::DecodedRecord stretched = fpm::decode(bytes, o);
  REQUIRE(stretched.views.size() == 2);
  for (std::size_t v = 0; v < 2; ++v) CHECK(stretched.views[v] == fpm::rescaled(plain.views[v], 1.2, 0.8));
  o.rescale_y = 5;
  CHECK_THROWS_AS(fpm::decode(bytes, o), fpm::Error);
}
