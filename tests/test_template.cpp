#include <catch2/catch.hpp>
#include <cmath>
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
