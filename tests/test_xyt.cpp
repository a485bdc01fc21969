// NIST .xyt text: both conventions, round trips and every error path.
#include <catch2/catch.hpp>
#include <string>

#include "decode_helpers.hpp"
#include "support.hpp"

using fpm::ErrorCode;
using fpm::Format;
using fpm::XytConvention;
using namespace fpm_test;

namespace {
std::vector<std::uint8_t> text(const std::string& s) { return {s.begin(), s.end()}; }
fpm::DecodeOptions xyt(XytConvention c, std::uint16_t h = 0) {
  fpm::DecodeOptions o;
  o.format = Format::NistXyt;
  o.xyt_convention = c;
  o.xyt_image_height = h;
  return o;
}
}  // namespace

TEST_CASE("xyt: NIST convention flips y and turns theta by 180 degrees", "[xyt]") {
  const auto rec = fpm::decode(text("100 300 90 55\n20 1 0 7\n"), xyt(XytConvention::Nist, 400));
  REQUIRE(rec.views.size() == 1);
  const auto& ms = rec.views[0].minutiae();
  REQUIRE(ms.size() == 2);
  CHECK(ms[0].x == 100.0f);
  CHECK(ms[0].y == 100.0f);  // 400 - 300
  CHECK(ms[0].theta == Approx(270 * kPi / 180));
  CHECK(ms[0].quality == 55);
  CHECK(ms[1].y == 399.0f);
  CHECK(ms[1].theta == Approx(kPi));
  CHECK(rec.warnings.empty());
}

TEST_CASE("xyt: M1 convention keeps origin and direction", "[xyt]") {
  const auto rec = fpm::decode(text("100 300 90\r\n\n  5\t6 359 \n"), xyt(XytConvention::M1));
  const auto& ms = rec.views[0].minutiae();
  REQUIRE(ms.size() == 2);
  CHECK(ms[0].y == 300.0f);
  CHECK(ms[0].theta == Approx(kPi / 2));
  CHECK(ms[0].quality == 0);
  CHECK(ms[1].x == 5.0f);
  CHECK(ms[1].theta == Approx(359 * kPi / 180));
}

TEST_CASE("xyt: without an image height NIST input is flipped about the largest y", "[xyt]") {
  const auto rec = fpm::decode(text("1 50 0 9\n2 80 0 9\n"), xyt(XytConvention::Nist));
  CHECK(rec.warnings.size() == 1);
  CHECK(rec.views[0].minutiae()[0].y == 30.0f);
  CHECK(rec.views[0].minutiae()[1].y == 0.0f);
  CHECK(rec.views[0].info().height == 80);
  // The assumed height travels with the template: encoding gives the input back.
  CHECK(fpm::encode(rec.views, Format::NistXyt) == text("1 50 0 9\n2 80 0 9\n"));
}

TEST_CASE("xyt: round trips in both conventions and through ISO", "[xyt]") {
  std::mt19937 rng(21);
  for (XytConvention c : {XytConvention::Nist, XytConvention::M1}) {
    for (int round = 0; round < 20; ++round) {
      // Whole degrees so that the text form is exact.
      auto t0 = random_template(rng, 1 + round * 3);
      std::vector<fpm::Minutia> ms = t0.minutiae();
      for (auto& m : ms) {
        m.theta = static_cast<float>(std::lround(m.theta * 180 / kPi) % 360 * kPi / 180);
        m.type = fpm::MinutiaType::Other;
      }
      fpm::TemplateInfo info = t0.info();
      info.width = 0;
      info.position = fpm::FingerPosition::Unknown;
      info.finger_quality = 0;
      const fpm::Template t(info, ms);
      fpm::EncodeOptions eo;
      eo.xyt_convention = c;
      const auto bytes = fpm::encode({t}, Format::NistXyt, eo);
      const auto back = fpm::decode(bytes, xyt(c, info.height)).views[0];
      REQUIRE(back.size() == t.size());
      for (std::size_t i = 0; i < t.size(); ++i) {
        CHECK(back.minutiae()[i].x == t.minutiae()[i].x);
        CHECK(back.minutiae()[i].y == t.minutiae()[i].y);
        CHECK(back.minutiae()[i].theta == Approx(t.minutiae()[i].theta).margin(1e-5));
        CHECK(back.minutiae()[i].quality == t.minutiae()[i].quality);
      }
    }
  }
}

TEST_CASE("xyt: malformed text is refused with line and offset", "[xyt][errors]") {
  auto err = [](const std::string& s, std::uint16_t h = 0) {
    return decode_error(text(s), xyt(XytConvention::Nist, h));
  };
  fpm::DecodeError e = err("1 2 3 4\n5 6\n");
  CHECK(e.code() == ErrorCode::Syntax);
  CHECK(e.line() == 2);
  CHECK(e.offset() == 8);
  e = err("1 2 3 4 5\n");
  CHECK(e.code() == ErrorCode::Syntax);
  e = err("1 2 x 4\n");
  CHECK(e.code() == ErrorCode::Syntax);
  CHECK(e.offset() == 4);
  e = err("1 2 3 4\n1 2 3\x01\n");
  CHECK(e.code() == ErrorCode::Syntax);
  CHECK(e.line() == 2);
  e = err("1 -2 3 4\n");
  CHECK(e.code() == ErrorCode::OutOfRange);
  CHECK(e.field() == "y");
  e = err("1 2 361 4\n");
  CHECK(e.code() == ErrorCode::OutOfRange);
  CHECK(e.field() == "theta");
  e = err("1 2 3 101\n");
  CHECK(e.field() == "quality");
  e = err("1 20000 3 4\n");
  CHECK(e.code() == ErrorCode::OutOfRange);
  e = err("1 401 3 4\n", 400);
  CHECK(e.code() == ErrorCode::OutOfRange);
  CHECK(e.field() == "y");
  e = err("1234567890 1 1 1\n");
  CHECK(e.code() == ErrorCode::OutOfRange);
  std::string many;
  for (int i = 0; i < 10001; ++i) many += "1 1 1 1\n";
  CHECK(err(many).code() == ErrorCode::CountMismatch);
}

TEST_CASE("xyt: an empty file is a template without minutiae", "[xyt]") {
  const auto rec = fpm::decode(text(""), xyt(XytConvention::Nist));
  REQUIRE(rec.views.size() == 1);
  CHECK(rec.views[0].size() == 0);
  CHECK_THROWS_AS(fpm::encode({rec.views[0], rec.views[0]}, Format::NistXyt), fpm::Error);
}

TEST_CASE("xyt: repeated lines warn, or fail in strict mode", "[xyt][errors]") {
  // Line 3 repeats line 1 (quality aside), line 5 line 2 (360 degrees is 0);
  // line 4 is another direction at line 1's point.
  const std::string s = "10 20 30 40\n50 60 0 80\n10 20 30 90\n10 20 210 40\n50 60 360 10\n";
  const std::size_t line3 = s.find("10 20 30 90");
  for (XytConvention c : {XytConvention::Nist, XytConvention::M1}) {
    fpm::DecodeOptions o = xyt(c, 400);
    const auto rec = fpm::decode(text(s), o);
    REQUIRE(rec.views[0].size() == 5);
    REQUIRE(rec.warnings.size() == 1);
    CHECK(rec.warnings[0] == "line at byte offset " + std::to_string(line3) +
                                 ": line 3 repeats line 1 (same x, y and direction); 2 lines repeat an earlier one; kept");
    o.strict = true;
    const fpm::DecodeError e = decode_error(text(s), o);
    CHECK(e.code() == ErrorCode::OutOfRange);
    CHECK(e.field() == "line");
    CHECK(e.offset() == line3);
    CHECK(e.line() == 3);
  }
  fpm::DecodeOptions o = xyt(XytConvention::M1);
  o.strict = true;
  CHECK(fpm::decode(text("10 20 30 40\n10 20 31 40\n11 20 30 40\n"), o).warnings.empty());
  // The most lines a file may hold, all at one point: one warning.
  std::string pile;
  for (int i = 0; i < 10000; ++i) pile += "7 7 7 7\n";
  const auto rec = fpm::decode(text(pile), xyt(XytConvention::M1));
  CHECK(rec.views[0].size() == 10000);
  REQUIRE(rec.warnings.size() == 1);
  CHECK(rec.warnings[0].find("9999 lines repeat an earlier one") != std::string::npos);
}

TEST_CASE("xyt: a y flipped past 16383 in a tall image is a decode error naming it", "[xyt]") {
  // y = 20 in an image 20,000 high lands at canonical y = 19,980.
  try {
    fpm::decode(text("10 20 30\n"), xyt(XytConvention::Nist, 20000));
    FAIL("decoded a minutia beyond the canonical range");
  } catch (const fpm::DecodeError& e) {
    CHECK(e.code() == ErrorCode::OutOfRange);
    CHECK(e.field() == "y");
    CHECK(e.line() == 1);
  }
  // Within range it decodes as before.
  CHECK(fpm::decode(text("10 20 30\n"), xyt(XytConvention::Nist, 16000)).views[0].minutiae()[0].y == 15980.0f);
}
