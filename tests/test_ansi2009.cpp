// ANSI INCITS 378-2009 decoding against hand-assembled records.
#include <catch2/catch.hpp>

#include "decode_helpers.hpp"
#include "record_builders.hpp"
#include "support.hpp"

using fpm::ErrorCode;
using fpm::Format;
using namespace fpm_test;

namespace {
View2009 sample_view(unsigned n = 3) {
  View2009 v;
  for (unsigned i = 0; i < n; ++i) v.minutiae.push_back({2, 100 + i, 14 + i, 45 + i, 90});
  return v;
}
constexpr std::size_t kFirstMinutia = 20 + 17;
}  // namespace

TEST_CASE("ANSI 2009: per-view geometry and 2-degree angles", "[ansi2009]") {
  View2009 a = sample_view();
  View2009 b = scanned(sample_view(2), 394, 1024, 1024);
  b.position = 2;
  const auto bytes = build_ansi2009({a, b});
  CHECK(fpm::detect_format(bytes.data(), bytes.size()) == Format::Ansi378_2009);
  const auto rec = fpm::decode(bytes);
  REQUIRE(rec.format == Format::Ansi378_2009);
  REQUIRE(rec.views.size() == 2);
  CHECK(rec.warnings.empty());
  CHECK(rec.views[0].minutiae()[0].theta == Approx(kPi / 2));
  CHECK(rec.views[0].minutiae()[2].x == 102.0f);
  CHECK(rec.views[0].info().finger_quality == 90);
  CHECK(rec.views[1].minutiae()[1].x == 50.5f);
  CHECK(rec.views[1].info().width == 512);
}

TEST_CASE("ANSI 2009: malformed records are refused with field and offset", "[ansi2009][errors]") {
  const auto good = build_ansi2009({sample_view()});
  const auto opt = as(Format::Ansi378_2009);
  check_corruptions_refused(
      good, opt,
      {
          {[](auto& b) { b[18] = 0; }, ErrorCode::NoViews, "number_of_views", 18u},
          {[](auto& b) { b[22] = 10; }, ErrorCode::ReservedValue, "view[0].impression_type", 22u},
          // image width 1: x = 100 lies outside
          {[](auto& b) { put16(b, 28, 1); }, ErrorCode::OutOfRange, "view[0].minutia[0].x", kFirstMinutia},
          {[](auto& b) { b[kFirstMinutia + 4] = 200; }, ErrorCode::OutOfRange, "view[0].minutia[0].angle",
           kFirstMinutia + 4},
          {[](auto& b) { put32(b, 8, 19); }, ErrorCode::LengthMismatch, "record_length", 8u},
      });
  check_truncations_refused(good, opt);
}

// ANSI INCITS 378-2009 keeps the 2004 range of view numbers, 0-15, in a byte
// of its own, and a finger's views need distinct view numbers: strict mode
// refuses the rest, lenient decoding keeps the views with a warning.
TEST_CASE("ANSI 2009: view numbers above 15 or repeated for a finger are refused in strict mode",
          "[ansi2009][errors]") {
  const auto strict = as(Format::Ansi378_2009, true);
  const auto lenient = as(Format::Ansi378_2009);
  View2009 v = sample_view();
  v.number = 15;
  CHECK(fpm::decode(build_ansi2009({v}), strict).views[0].info().view == 15);
  for (unsigned number : {16u, 255u}) {
    v.number = number;
    const auto b = build_ansi2009({v});
    CHECK_DECODE_ERROR(b, strict, ErrorCode::OutOfRange, "view[0].view_number", 21u);
    const auto rec = fpm::decode(b, lenient);
    REQUIRE(rec.warnings.size() == 1);
    CHECK(rec.warnings[0].find("view[0].view_number at byte offset 21: view number " + std::to_string(number) +
                               " is above 15") != std::string::npos);
    CHECK(rec.views[0].info().view == number);
    // What the encoders refuse too.
    CHECK_THROWS_AS(fpm::encode(rec.views, Format::Iso19794_2_2005), fpm::Error);
  }

  View2009 a = sample_view(), b = sample_view(2);  // view 1 starts at 20 + 17 + 3 * 6 + 2
  b.position = a.position;
  b.number = a.number;
  const auto twice = build_ansi2009({a, b});
  CHECK_DECODE_ERROR(twice, strict, ErrorCode::OutOfRange, "view[1].view_number", 58u);
  const auto rec = fpm::decode(twice, lenient);
  REQUIRE(rec.views.size() == 2);
  REQUIRE(rec.warnings.size() == 1);
  CHECK(rec.warnings[0].find("view[1].view_number at byte offset 58: finger position 7 with view number 0 repeats "
                             "view[0]") != std::string::npos);
  CHECK_THROWS_AS(fpm::encode(rec.views, Format::Ansi378_2004), fpm::Error);
  b.number = 1;  // the finger's second view
  CHECK(fpm::decode(build_ansi2009({a, b}), strict).warnings.empty());
  b.number = 0;
  b.position = 8;  // another finger's first view
  CHECK(fpm::decode(build_ansi2009({a, b}), strict).warnings.empty());
}

TEST_CASE("ANSI 2009: a repeated minutia is refused in strict mode", "[ansi2009][errors]") {
  View2009 v = sample_view();
  v.minutiae.push_back(v.minutiae[1]);
  v.minutiae.back().quality = 20;  // the same x, y and angle: a repeat, whatever its quality
  const auto b = build_ansi2009({v});
  CHECK_DECODE_ERROR(b, as(Format::Ansi378_2009, true), ErrorCode::OutOfRange, "view[0].minutia[3]",
                     kFirstMinutia + 3 * 6);
  const auto rec = fpm::decode(b);
  REQUIRE(rec.warnings.size() == 1);
  CHECK(rec.warnings[0].find("view[0].minutia[3] at byte offset 55: repeats minutia[1] (same x, y and angle)") !=
        std::string::npos);
  CHECK(rec.views[0].size() == 4);
  v.minutiae.back().angle += 1;  // another direction at the same point: a minutia of its own
  CHECK(fpm::decode(build_ansi2009({v}), as(Format::Ansi378_2009, true)).views[0].size() == 4);
}
