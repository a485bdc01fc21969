// ANSI INCITS 378-2009 decoding against hand-assembled records.
#include <catch2/catch.hpp>

#include "decode_helpers.hpp"
#include "record_builders.hpp"
#include "support.hpp"

using fpm::ErrorCode;
using fpm::Format;
using namespace fpm_test;

namespace {
constexpr double kPi = 3.14159265358979323846;
View2009 sample_view(unsigned n = 3) {
  View2009 v;
  for (unsigned i = 0; i < n; ++i) v.minutiae.push_back({2, 100 + i, 14 + i, 45 + i, 90});
  return v;
}
constexpr std::size_t kFirstMinutia = 20 + 17;
}  // namespace

TEST_CASE("ANSI 2009: per-view geometry and 2-degree angles", "[ansi2009]") {
  View2009 a = sample_view();
  View2009 b = sample_view(2);
  b.position = 2;
  b.x_ppcm = 394;
  b.y_ppcm = 394;
  b.width = 1024;
  b.height = 1024;
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
  auto b = good;
  b[18] = 0;
  CHECK_DECODE_ERROR(b, opt, ErrorCode::NoViews, "number_of_views", 18u);
  b = good;
  b[22] = 10;
  CHECK_DECODE_ERROR(b, opt, ErrorCode::ReservedValue, "view[0].impression_type", 22u);
  b = good;
  put16(b, 28, 1);  // image width 1: x = 100 lies outside
  CHECK_DECODE_ERROR(b, opt, ErrorCode::OutOfRange, "view[0].minutia[0].x", kFirstMinutia);
  b = good;
  b[kFirstMinutia + 4] = 200;
  CHECK_DECODE_ERROR(b, opt, ErrorCode::OutOfRange, "view[0].minutia[0].angle", kFirstMinutia + 4);
  b = good;
  put32(b, 8, 19);
  CHECK_DECODE_ERROR(b, opt, ErrorCode::LengthMismatch, "record_length", 8u);
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    std::vector<std::uint8_t> t(good.begin(), good.begin() + static_cast<long>(cut));
    CHECK_THROWS_AS(fpm::decode(t, opt), fpm::DecodeError);
  }
}
