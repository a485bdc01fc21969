// ISO/IEC 19794-2:2005: round trips, field conversions and every error path.
#include <catch2/catch.hpp>
#include <cmath>

#include "decode_helpers.hpp"
#include "support.hpp"

using fpm::ErrorCode;
using fpm::Format;
using namespace fpm_test;

namespace {
// One view, `n` minutiae, 400x500 image: minutia i at offset 28 + 6i.
std::vector<std::uint8_t> one_view(int n, unsigned seed = 1) {
  std::mt19937 rng(seed);
  return fpm::encode({random_template(rng, n)}, Format::Iso19794_2_2005);
}
}  // namespace

TEST_CASE("ISO 2005: encode then decode gives the same templates", "[iso2005]") {
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::vector<fpm::Template> views;
    const int nviews = 1 + round % 3;
    for (int v = 0; v < nviews; ++v) views.push_back(random_template(rng, round * 5 % 120));
    views = numbered_views(views);
    const auto bytes = fpm::encode(views, Format::Iso19794_2_2005);
    const fpm::DecodedRecord rec = fpm::decode(bytes);
    REQUIRE(rec.format == Format::Iso19794_2_2005);
    REQUIRE(rec.views.size() == views.size());
    CHECK(rec.warnings.empty());
    for (std::size_t v = 0; v < views.size(); ++v) CHECK(rec.views[v] == views[v]);
    CHECK(fpm::encode(rec.views, Format::Iso19794_2_2005) == bytes);
  }
}

TEST_CASE("ISO 2005: fields convert into the canonical frame", "[iso2005]") {
  auto b = one_view(2);
  put16(b, 28, (1u << 14) | 123);  // ridge ending at x = 123
  put16(b, 30, 45);
  b[32] = 64;  // 64 * 360/256 = 90 degrees
  b[33] = 77;
  const auto rec = fpm::decode(b);
  const fpm::Minutia& m = rec.views[0].minutiae()[0];
  CHECK(m.x == 123.0f);
  CHECK(m.y == 45.0f);
  CHECK(m.theta == Approx(kPi / 2));
  CHECK(m.type == fpm::MinutiaType::RidgeEnding);
  CHECK(m.quality == 77);
  CHECK(rec.views[0].info().width == 400);
  CHECK(rec.views[0].info().height == 500);
}

TEST_CASE("ISO 2005: records at other resolutions are rescaled to 500 ppi", "[iso2005]") {
  auto b = one_view(1);
  put16(b, 18, 394);  // 1000 ppi horizontally
  put16(b, 20, 197);
  put16(b, 28, 300);
  put16(b, 30, 200);
  const auto rec = fpm::decode(b);
  CHECK(rec.views[0].minutiae()[0].x == 150.0f);
  CHECK(rec.views[0].minutiae()[0].y == 200.0f);
  CHECK(rec.views[0].info().width == 200);
  CHECK(rec.views[0].info().source_x_ppcm == 394);
}

TEST_CASE("ISO 2005: header errors name the field and offset", "[iso2005][errors]") {
  const auto good = one_view(3);
  check_corruptions_refused(
      good, as(Format::Iso19794_2_2005),
      {
          {[](auto& b) { b[1] = 'X'; }, ErrorCode::UnknownFormat, "format_identifier", 0u},
          {[](auto& b) { b[5] = '3'; }, ErrorCode::UnknownFormat, "version", 4u},
          {[](auto& b) { put32(b, 8, static_cast<std::uint32_t>(b.size() + 1)); }, ErrorCode::Truncated,
           "record_length", 8u},
          {[](auto& b) { put32(b, 8, 20); }, ErrorCode::LengthMismatch, "record_length", 8u},
          // views run past the declared end
          {[](auto& b) { put32(b, 8, static_cast<std::uint32_t>(b.size() - 1)); }, ErrorCode::Truncated,
           "view[0].extended_data_length", good.size() - 2},
          {[](auto& b) { b[22] = 0; }, ErrorCode::NoViews, "number_of_views", 22u},
          {[](auto& b) { b[22] = 2; }, ErrorCode::CountMismatch, "number_of_views", 22u},
          {[](auto& b) { put16(b, 18, 0); }, ErrorCode::OutOfRange, "x_resolution", 18u},
      });
}

TEST_CASE("ISO 2005: view and minutia errors name the field and offset", "[iso2005][errors]") {
  check_corruptions_refused(
      one_view(3), as(Format::Iso19794_2_2005),
      {
          {[](auto& b) { b[24] = 11; }, ErrorCode::ReservedValue, "view[0].finger_position", 24u},
          {[](auto& b) { b[25] = 0x0c; }, ErrorCode::ReservedValue, "view[0].impression_type", 25u},
          {[](auto& b) { b[26] = 101; }, ErrorCode::OutOfRange, "view[0].finger_quality", 26u},
          // one more minutia than present (the 2 bytes of extended data cannot hold it)
          {[](auto& b) { b[27] = 4; }, ErrorCode::CountMismatch, "view[0].minutiae_count", 27u},
          {[](auto& b) { put16(b, 28 + 6, (3u << 14) | 10); }, ErrorCode::ReservedValue, "view[0].minutia[1].type", 34u},
          // width is 400: x must be below it
          {[](auto& b) { put16(b, 28 + 12, 400); }, ErrorCode::OutOfRange, "view[0].minutia[2].x", 40u},
          {[](auto& b) { put16(b, 30, 500); }, ErrorCode::OutOfRange, "view[0].minutia[0].y", 30u},
          {[](auto& b) { b[33] = 200; }, ErrorCode::OutOfRange, "view[0].minutia[0].quality", 33u},
      });
}

TEST_CASE("ISO 2005: every truncation is refused and never half-decoded", "[iso2005][errors]") {
  const auto good = one_view(5);
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    std::vector<std::uint8_t> b(good.begin(), good.begin() + static_cast<long>(cut));
    const fpm::DecodeError e = decode_error(b, as(Format::Iso19794_2_2005));
    CHECK((e.code() == ErrorCode::Truncated || e.code() == ErrorCode::UnknownFormat));
  }
}

TEST_CASE("ISO 2005: recoverable oddities warn or fail in strict mode", "[iso2005][errors]") {
  const auto good = one_view(2);
  SECTION("bytes after the declared record") {
    auto b = good;
    b.push_back(0);
    b.push_back(0);
    const auto rec = fpm::decode(b, as(Format::Iso19794_2_2005));
    REQUIRE(rec.warnings.size() == 1);
    CHECK(rec.warnings[0].find("2 bytes after the declared record end") != std::string::npos);
    CHECK_DECODE_ERROR(b, as(Format::Iso19794_2_2005, true), ErrorCode::LengthMismatch, "record_length", 8u);
  }
  SECTION("unused bytes inside the declared record") {
    auto b = good;
    b.push_back(0);
    put32(b, 8, static_cast<std::uint32_t>(b.size()));
    CHECK(fpm::decode(b).warnings.size() == 1);
    CHECK_DECODE_ERROR(b, as(Format::Iso19794_2_2005, true), ErrorCode::LengthMismatch, "record_length", 8u);
  }
  SECTION("reserved bits of y") {
    auto b = good;
    b[30] |= 0x40;
    const auto rec = fpm::decode(b);
    CHECK(rec.warnings.size() == 1);
    CHECK(rec.views[0].minutiae()[0].y == fpm::decode(good).views[0].minutiae()[0].y);
    CHECK_DECODE_ERROR(b, as(Format::Iso19794_2_2005, true), ErrorCode::ReservedValue, "view[0].minutia[0].y", 30u);
  }
  SECTION("extended data running past the end of the last view") {
    auto b = good;
    const std::size_t ext = b.size() - 2;
    put16(b, ext, 3);
    b.push_back(0);
    b.push_back(2);
    put32(b, 8, static_cast<std::uint32_t>(b.size()));
    const auto rec = fpm::decode(b);
    REQUIRE(rec.warnings.size() == 1);
    CHECK(rec.views[0] == fpm::decode(good).views[0]);
    CHECK_DECODE_ERROR(b, as(Format::Iso19794_2_2005, true), ErrorCode::LengthMismatch,
                       "view[0].extended_data_length", ext);
  }
  SECTION("resolution 0 with an assumed resolution") {
    auto b = good;
    put16(b, 18, 0);
    fpm::DecodeOptions o;
    o.assume_resolution_ppcm = 197;
    const auto rec = fpm::decode(b, o);
    CHECK(rec.warnings.size() == 1);
    CHECK(rec.views[0].info().source_x_ppcm == 197);
  }
}

TEST_CASE("ISO 2005: extended data blocks are skipped and overrunning ones are errors mid-record",
          "[iso2005][errors]") {
  std::mt19937 rng(3);
  const auto t = random_template(rng, 2);
  auto b = fpm::encode(numbered_views({t, t}), Format::Iso19794_2_2005);
  // Give view 0 an extended data area of one 6-byte block (type 1, 2 data bytes).
  const std::size_t ext0 = 24 + 4 + 12;
  std::vector<std::uint8_t> area = {0x00, 0x06, 0x00, 0x01, 0x00, 0x06, 0xAA, 0xBB};
  b.erase(b.begin() + static_cast<long>(ext0), b.begin() + static_cast<long>(ext0) + 2);
  b.insert(b.begin() + static_cast<long>(ext0), area.begin(), area.end());
  put32(b, 8, static_cast<std::uint32_t>(b.size()));
  auto rec = fpm::decode(b);
  CHECK(rec.warnings.empty());
  REQUIRE(rec.views.size() == 2);
  CHECK(rec.views[1] == numbered_views({t, t})[1]);

  auto bad = b;
  put16(bad, ext0, 200);  // area longer than what is left: not the last view, so an error
  CHECK_DECODE_ERROR(bad, as(Format::Iso19794_2_2005), ErrorCode::LengthMismatch,
                     "view[0].extended_data_length", ext0);
  bad = b;
  put16(bad, ext0 + 4, 9);  // block longer than its area: recoverable
  CHECK(fpm::decode(bad).warnings.size() == 1);
  CHECK_DECODE_ERROR(bad, as(Format::Iso19794_2_2005, true), ErrorCode::LengthMismatch,
                     "view[0].extended_data_block.length", ext0 + 4);
}

TEST_CASE("ISO 2005: encoder refuses what the format cannot hold", "[iso2005]") {
  std::mt19937 rng(5);
  CHECK_THROWS_AS(fpm::encode({}, Format::Iso19794_2_2005), fpm::Error);
  CHECK(encode_error({random_template(rng, 256)}, Format::Iso19794_2_2005) == ErrorCode::InvalidArgument);
  // A template without an image size gets the smallest image that holds it.
  std::vector<fpm::Minutia> ms(1);
  ms[0].x = 99;
  ms[0].y = 49;
  const auto rec = fpm::decode(fpm::encode({fpm::Template(fpm::TemplateInfo{}, ms)}, Format::Iso19794_2_2005));
  CHECK(rec.views[0].info().width == 100);
  CHECK(rec.views[0].info().height == 50);
}

namespace {
fpm::Template as_view(const fpm::Template& t, fpm::FingerPosition position, std::uint8_t view) {
  fpm::TemplateInfo info = t.info();
  info.position = position;
  info.view = view;
  return fpm::Template(info, t.minutiae());
}
}  // namespace

TEST_CASE("ISO 2005: a finger's views need distinct view numbers", "[iso2005][errors]") {
  std::mt19937 rng(21);
  const auto strict = as(Format::Iso19794_2_2005, true);
  const fpm::Template a = as_view(random_template(rng, 3), fpm::FingerPosition::RightIndex, 0);
  const fpm::Template b = as_view(random_template(rng, 2), fpm::FingerPosition::RightIndex, 1);
  auto bytes = fpm::encode({a, b}, Format::Iso19794_2_2005);
  CHECK(fpm::decode(bytes, strict).views.size() == 2);
  const std::size_t second = 24 + 4 + 3 * 6 + 2;  // view 1's finger position
  bytes[second + 1] &= 0x0f;                      // view number 0, as view 0's
  CHECK_DECODE_ERROR(bytes, strict, ErrorCode::OutOfRange, "view[1].view_number", second + 1);
  const auto rec = fpm::decode(bytes);
  REQUIRE(rec.views.size() == 2);
  REQUIRE(rec.warnings.size() == 1);
  CHECK(rec.warnings[0].find("finger position 2 with view number 0 repeats view[0]") != std::string::npos);
  // The encoders refuse to write such a record.
  CHECK(encode_error({a, as_view(b, fpm::FingerPosition::RightIndex, 0)}, Format::Iso19794_2_2005) ==
        ErrorCode::InvalidArgument);
  CHECK_THROWS_AS(fpm::encode({a, a}, Format::Ansi378_2004), fpm::Error);
  // Another finger may reuse the view number.
  CHECK(fpm::decode(fpm::encode({a, as_view(b, fpm::FingerPosition::LeftIndex, 0)}, Format::Iso19794_2_2005), strict)
            .warnings.empty());
}

TEST_CASE("ISO 2005: repeated minutiae warn, or fail in strict mode", "[iso2005][errors]") {
  const auto strict = as(Format::Iso19794_2_2005, true);
  fpm::Minutia m;
  m.x = 100;
  m.y = 120;
  m.theta = static_cast<float>(64 * (2 * kPi / 256));
  m.quality = 80;
  // 255 minutiae at one point, one direction: the same minutia 255 times.
  std::vector<fpm::Minutia> pile(255, m);
  const auto bytes = fpm::encode({fpm::Template(fpm::TemplateInfo{}, pile)}, Format::Iso19794_2_2005);
  CHECK_DECODE_ERROR(bytes, strict, ErrorCode::OutOfRange, "view[0].minutia[1]", 28u + 6);
  const auto rec = fpm::decode(bytes);
  REQUIRE(rec.warnings.size() == 1);
  CHECK(rec.warnings[0] ==
        "view[0].minutia[1] at byte offset 34: repeats minutia[0] (same x, y and angle); 254 minutiae of this view "
        "repeat an earlier one; kept");
  CHECK(rec.views[0].size() == 255);
  // A repeat is a repeat whatever its type and quality.
  std::vector<fpm::Minutia> two = {m, m};
  two[1].type = fpm::MinutiaType::Bifurcation;
  two[1].quality = 10;
  CHECK_DECODE_ERROR(fpm::encode({fpm::Template(fpm::TemplateInfo{}, two)}, Format::Iso19794_2_2005), strict,
                     ErrorCode::OutOfRange, "view[0].minutia[1]", 34u);
  // Minutiae at one point in other directions are distinct minutiae (real
  // extractors put minutiae of different directions a pixel apart).
  for (std::size_t i = 0; i < pile.size(); ++i) pile[i].theta = static_cast<float>(i * (2 * kPi / 256));
  const auto fan = fpm::encode({fpm::Template(fpm::TemplateInfo{}, pile)}, Format::Iso19794_2_2005);
  CHECK(fpm::decode(fan, strict).views[0].size() == 255);
}
