// ANSI INCITS 378-2004: round trips (both length forms), conversions, errors.
#include <catch2/catch.hpp>
#include <cmath>

#include "decode_helpers.hpp"
#include "support.hpp"

using fpm::ErrorCode;
using fpm::Format;
using namespace fpm_test;

namespace {
// ANSI angles are 2-degree units: snap a template's directions to that grid.
fpm::Template on_ansi_grid(const fpm::Template& t) {
  std::vector<fpm::Minutia> ms = t.minutiae();
  for (auto& m : ms) m.theta = static_cast<float>(std::lround(m.theta * 90.0 / kPi) % 180 * (kPi / 90.0));
  return fpm::Template(t.info(), ms);
}
}  // namespace

TEST_CASE("ANSI 2004: encode then decode gives the same templates", "[ansi2004]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 40; ++round) {
    std::vector<fpm::Template> views;
    for (int v = 0; v < 1 + round % 4; ++v) views.push_back(on_ansi_grid(random_template(rng, round * 3 % 90)));
    views = numbered_views(views);
    fpm::EncodeOptions eo;
    eo.cbeff_owner = 0x0042;
    eo.cbeff_type = 0x0011;
    const auto bytes = fpm::encode(views, Format::Ansi378_2004, eo);
    CHECK(((bytes[8] << 8) | bytes[9]) == static_cast<int>(bytes.size()));
    const auto rec = fpm::decode(bytes);
    REQUIRE(rec.format == Format::Ansi378_2004);
    REQUIRE(rec.views.size() == views.size());
    CHECK(rec.warnings.empty());
    for (std::size_t v = 0; v < views.size(); ++v) CHECK(rec.views[v] == views[v]);
  }
}

TEST_CASE("ANSI 2004: large records use the 6-byte length form and decode back", "[ansi2004]") {
  std::mt19937 rng(8);
  std::vector<fpm::Template> views;
  for (int v = 0; v < 50; ++v) views.push_back(on_ansi_grid(random_template(rng, 255)));
  views = numbered_views(views);
  const auto bytes = fpm::encode(views, Format::Ansi378_2004);
  REQUIRE(bytes.size() > 0xffff);
  CHECK(bytes[8] == 0);
  CHECK(bytes[9] == 0);
  const std::size_t declared = (std::size_t(bytes[10]) << 24) | (std::size_t(bytes[11]) << 16) |
                               (std::size_t(bytes[12]) << 8) | bytes[13];
  CHECK(declared == bytes.size());
  CHECK(fpm::detect_format(bytes.data(), bytes.size()) == Format::Ansi378_2004);
  const auto rec = fpm::decode(bytes);
  REQUIRE(rec.views.size() == 50);
  for (std::size_t v = 0; v < views.size(); ++v) CHECK(rec.views[v] == views[v]);
}

TEST_CASE("ANSI 2004: a small record in the 6-byte form decodes", "[ansi2004]") {
  std::mt19937 rng(9);
  const auto t = on_ansi_grid(random_template(rng, 10));
  auto b = fpm::encode({t}, Format::Ansi378_2004);
  b.insert(b.begin() + 10, 4, 0);  // 2-byte length 0, then a 4-byte length
  put16(b, 8, 0);
  put32(b, 10, static_cast<std::uint32_t>(b.size()));
  const auto rec = fpm::decode(b);
  CHECK(rec.format == Format::Ansi378_2004);
  CHECK(rec.views[0] == t);
}

TEST_CASE("ANSI 2004: angles are 2-degree units", "[ansi2004]") {
  std::mt19937 rng(10);
  auto b = fpm::encode({on_ansi_grid(random_template(rng, 2))}, Format::Ansi378_2004);
  // Header 26 bytes, view header 4: minutia 0 at 30, its angle at 34.
  b[34] = 45;
  CHECK(fpm::decode(b).views[0].minutiae()[0].theta == Approx(kPi / 2));
  b[34] = 180;
  CHECK_DECODE_ERROR(b, as(Format::Ansi378_2004), ErrorCode::OutOfRange, "view[0].minutia[0].angle", 34u);
}

TEST_CASE("ANSI 2004: header and view errors name the field and offset", "[ansi2004][errors]") {
  std::mt19937 rng(11);
  const auto good = fpm::encode({on_ansi_grid(random_template(rng, 3))}, Format::Ansi378_2004);
  const auto opt = as(Format::Ansi378_2004);
  check_corruptions_refused(
      good, opt,
      {
          {[](auto& b) { put16(b, 8, static_cast<unsigned>(b.size() + 5)); }, ErrorCode::Truncated, "record_length", 8u},
          {[](auto& b) { put16(b, 8, 25); }, ErrorCode::LengthMismatch, "record_length", 8u},
          {[](auto& b) { b[24] = 0; }, ErrorCode::NoViews, "number_of_views", 24u},
          {[](auto& b) { b[26] = 15; }, ErrorCode::ReservedValue, "view[0].finger_position", 26u},
          {[](auto& b) { b[29] = 9; }, ErrorCode::CountMismatch, "view[0].minutiae_count", 29u},
      });
  auto b = good;
  b[25] = 1;
  CHECK(fpm::decode(b).warnings.size() == 1);
  CHECK_DECODE_ERROR(b, as(Format::Ansi378_2004, true), ErrorCode::ReservedValue, "reserved", 25u);
  check_truncations_refused(good, opt);
}

TEST_CASE("ISO and ANSI conversions keep minutiae up to the angle grid", "[ansi2004][iso2005]") {
  std::mt19937 rng(12);
  const auto t = random_template(rng, 40);
  const auto via_ansi = fpm::decode(fpm::encode({t}, Format::Ansi378_2004)).views[0];
  REQUIRE(via_ansi.size() == t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto& a = t.minutiae()[i];
    const auto& b = via_ansi.minutiae()[i];
    CHECK(a.x == b.x);
    CHECK(a.y == b.y);
    const double d = std::remainder(a.theta - b.theta, 2 * kPi);
    CHECK(std::fabs(d) <= kPi / 180.0 + 1e-6);  // half of a 2-degree step
  }
}

TEST_CASE("ANSI 2004: a finger's views need distinct view numbers", "[ansi2004][errors]") {
  std::mt19937 rng(10);
  auto views = numbered_views({on_ansi_grid(random_template(rng, 4)), on_ansi_grid(random_template(rng, 2))});
  fpm::TemplateInfo info = views[1].info();
  info.position = views[0].info().position;
  info.view = 1;
  views[1] = fpm::Template(info, views[1].minutiae());
  auto b = fpm::encode(views, Format::Ansi378_2004);
  CHECK(fpm::decode(b, as(Format::Ansi378_2004, true)).warnings.empty());
  const std::size_t second = 26 + 4 + 4 * 6 + 2;  // view 1's finger position
  b[second + 1] &= 0x0f;
  CHECK_DECODE_ERROR(b, as(Format::Ansi378_2004, true), ErrorCode::OutOfRange, "view[1].view_number", second + 1);
  const auto rec = fpm::decode(b, as(Format::Ansi378_2004));
  REQUIRE(rec.warnings.size() == 1);
  CHECK(rec.warnings[0].find("repeats view[0]") != std::string::npos);
  CHECK_THROWS_AS(fpm::encode(rec.views, Format::Ansi378_2004), fpm::Error);
}
