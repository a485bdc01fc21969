// ISO/IEC 19794-2:2011 decoding against hand-assembled records.
#include <catch2/catch.hpp>

#include "decode_helpers.hpp"
#include "record_builders.hpp"
#include "support.hpp"

using fpm::ErrorCode;
using fpm::Format;
using namespace fpm_test;

namespace {
Rep2011 sample_rep(unsigned n = 4) {
  Rep2011 r;
  for (unsigned i = 0; i < n; ++i) r.minutiae.push_back({1 + i % 2, 10 + 30 * i, 20 + 40 * i, 32 * i, 40 + i});
  return r;
}
// Offset of the first minutia of the first representation (one quality block, no certificates).
constexpr std::size_t kFirstMinutia = 15 + 4 + 9 + 5 + 1 + 5 + 2 + 4 + 1 + 4 + 2;
}  // namespace

TEST_CASE("ISO 2011: representations decode into canonical templates", "[iso2011]") {
  Rep2011 a = sample_rep();
  Rep2011 b = scanned(sample_rep(3), 394, 800, 1000);  // 1000 ppi: halved into the canonical frame
  b.position = 7;
  b.number = 1;
  b.impression = 1;
  const auto bytes = build_iso2011({a, b});
  CHECK(fpm::detect_format(bytes.data(), bytes.size()) == Format::Iso19794_2_2011);
  const auto rec = fpm::decode(bytes);
  REQUIRE(rec.format == Format::Iso19794_2_2011);
  CHECK(rec.warnings.empty());
  REQUIRE(rec.views.size() == 2);
  const auto& m = rec.views[0].minutiae()[1];
  CHECK(m.x == 40.0f);
  CHECK(m.y == 60.0f);
  CHECK(m.theta == Approx(32 * 2 * kPi / 256));
  CHECK(m.type == fpm::MinutiaType::Bifurcation);
  CHECK(m.quality == 41);
  CHECK(rec.views[0].info().position == fpm::FingerPosition::RightIndex);
  const auto& v1 = rec.views[1];
  CHECK(v1.info().position == fpm::FingerPosition::LeftIndex);
  CHECK(v1.info().view == 1);
  CHECK(v1.info().impression == fpm::ImpressionType::LiveRolled);
  CHECK(v1.info().width == 400);
  CHECK(v1.minutiae()[2].x == 35.0f);  // 70 px at 1000 ppi
}

TEST_CASE("ISO 2011: 5-byte minutiae and certificates and extended data", "[iso2011]") {
  Rep2011 r = sample_rep();
  r.item_bytes = 5;
  r.certifications = 2;
  r.quality_blocks = 3;
  r.extended = {0x00, 0x01, 0x00, 0x05, 0x07};
  const auto rec = fpm::decode(build_iso2011({r}, true));
  CHECK(rec.warnings.empty());
  REQUIRE(rec.views[0].size() == 4);
  CHECK(rec.views[0].minutiae()[0].quality == 254);  // not reported
  CHECK(rec.views[0].minutiae()[3].y == 140.0f);
}

TEST_CASE("ISO 2011: malformed records are refused with field and offset", "[iso2011][errors]") {
  const auto good = build_iso2011({sample_rep()});
  const auto opt = as(Format::Iso19794_2_2011);
  check_corruptions_refused(
      good, opt,
      {
          {[](auto& b) { put16(b, 12, 0); }, ErrorCode::NoViews, "number_of_representations", 12u},
          {[](auto& b) { b[14] = 2; }, ErrorCode::ReservedValue, "certification_flag", 14u},
          {[](auto& b) { put32(b, 15, 20); }, ErrorCode::LengthMismatch, "view[0].representation_length", 15u},
          {[](auto& b) { put32(b, 15, static_cast<std::uint32_t>(b.size())); }, ErrorCode::LengthMismatch,
           "view[0].representation_length", 15u},
          // 4-byte minutiae do not exist
          {[](auto& b) { b[kFirstMinutia - 2] = 0x40; }, ErrorCode::ReservedValue, "view[0].minutia_field_length",
           kFirstMinutia - 2},
          {[](auto& b) { b[kFirstMinutia - 1] = 9; }, ErrorCode::CountMismatch, "view[0].minutiae_count",
           kFirstMinutia - 1},
          // quality 180 is neither 0-100 nor 254/255
          {[](auto& b) { b[kFirstMinutia + 5] = 180; }, ErrorCode::OutOfRange, "view[0].minutia[0].quality",
           kFirstMinutia + 5},
          {[](auto& b) { put16(b, 12, 2); }, ErrorCode::CountMismatch, "number_of_representations", 12u},
      });
  auto b = good;
  b[kFirstMinutia + 5] = 255;  // one of the two special values: kept
  CHECK(fpm::decode(b).views[0].minutiae()[0].quality == 255);
  check_truncations_refused(good, opt);
}

// ISO/IEC 19794-2:2011 gives a finger's representations distinct numbers,
// 0-15, like the views of 2005.
TEST_CASE("ISO 2011: representation numbers above 15 or repeated for a finger are refused in strict mode",
          "[iso2011][errors]") {
  const auto strict = as(Format::Iso19794_2_2011, true);
  const auto lenient = as(Format::Iso19794_2_2011);
  // From a representation's start to its number: length, date, device, one
  // quality block, position.
  constexpr std::size_t kToNumber = 4 + 9 + 5 + 1 + 5 + 1;
  constexpr std::size_t kNumber = 15 + kToNumber;
  Rep2011 r = sample_rep();
  for (unsigned number : {16u, 255u}) {
    r.number = number;
    const auto b = build_iso2011({r});
    CHECK_DECODE_ERROR(b, strict, ErrorCode::OutOfRange, "view[0].representation_number", kNumber);
    const auto rec = fpm::decode(b, lenient);
    REQUIRE(rec.warnings.size() == 1);
    CHECK(rec.warnings[0].find("view number " + std::to_string(number) + " is above 15") != std::string::npos);
    CHECK(rec.views[0].info().view == number);
  }
  r.number = 3;
  Rep2011 second = sample_rep(2);
  second.position = r.position;
  second.number = 3;
  const auto twice = build_iso2011({r, second});
  // Representation 0: up to its number, then 12 bytes to its minutiae, 4
  // minutiae, no extended data.
  const std::size_t second_number = 15 + (kToNumber + 12 + 6 * 4 + 2) + kToNumber;
  CHECK_DECODE_ERROR(twice, strict, ErrorCode::OutOfRange, "view[1].representation_number", second_number);
  const auto rec = fpm::decode(twice, lenient);
  REQUIRE(rec.views.size() == 2);
  REQUIRE(rec.warnings.size() == 1);
  CHECK(rec.warnings[0].find("repeats view[0]") != std::string::npos);
  second.number = 4;
  CHECK(fpm::decode(build_iso2011({r, second}), strict).warnings.empty());
}

TEST_CASE("ISO 2011: repeated 5-byte minutiae are refused in strict mode", "[iso2011][errors]") {
  Rep2011 r = sample_rep();
  r.item_bytes = 5;
  for (int i = 0; i < 3; ++i) r.minutiae.push_back(r.minutiae[2]);
  const auto b = build_iso2011({r});
  CHECK_DECODE_ERROR(b, as(Format::Iso19794_2_2011, true), ErrorCode::OutOfRange, "view[0].minutia[4]",
                     kFirstMinutia + 4 * 5);
  const auto rec = fpm::decode(b);
  REQUIRE(rec.warnings.size() == 1);
  CHECK(rec.warnings[0].find("repeats minutia[2] (same x, y and angle); 3 minutiae of this view repeat an earlier "
                             "one; kept") != std::string::npos);
  CHECK(rec.views[0].size() == 7);
}
