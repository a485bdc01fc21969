// ANSI/NIST-ITL transactions: Type-9 standard-format minutiae into the
// canonical frame, the image record that gives the height, records that are
// skipped or refused, and hostile bytes. The transactions are built here
// (tests read the shared libbiomeval samples in test_shared_data.cpp).
#include <catch2/catch.hpp>
#include <algorithm>
#include <random>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "fpmatch/fpmatch.hpp"
#include "support.hpp"

using fpm::ErrorCode;

namespace {

const std::string GS = "\x1d", RS = "\x1e", US = "\x1f", FS = "\x1c";
constexpr double kPerMm = 500.0 / 25.4;
constexpr double kPi = 3.14159265358979323846;

// A transaction under construction: records after Type-1, listed in 1.003.
class Transaction {
 public:
  // A tagged record: fields (number, value) after T.001, whose value (the
  // record's length) is filled in; `image` becomes field 999.
  Transaction& tagged(int type, int idc, std::vector<std::pair<int, std::string>> fields,
                      const std::string& image = "") {
    std::string body;
    for (const auto& f : fields) body += GS + tag(type, f.first) + f.second;
    if (!image.empty()) body += GS + tag(type, 999) + image;
    body += FS;
    records_.push_back({type, idc, with_length(type, body)});
    return *this;
  }
  // A Type-4 record: 18-byte header (resolution flag, line lengths) and
  // some image bytes.
  Transaction& type4(int idc, int isr, int width, int height) {
    std::string r(18, '\0');
    const std::string data(40, '\x1c');  // separator bytes inside binary data
    const std::size_t len = r.size() + data.size();
    r[0] = static_cast<char>(len >> 24), r[1] = static_cast<char>(len >> 16);
    r[2] = static_cast<char>(len >> 8), r[3] = static_cast<char>(len);
    r[4] = static_cast<char>(idc);
    r[5] = 1;  // rolled
    r[6] = 2;  // finger position, then 5 unused (255)
    for (int i = 7; i < 12; ++i) r[i] = static_cast<char>(255);
    r[12] = static_cast<char>(isr);
    r[13] = static_cast<char>(width >> 8), r[14] = static_cast<char>(width);
    r[15] = static_cast<char>(height >> 8), r[16] = static_cast<char>(height);
    r[17] = 1;  // WSQ
    records_.push_back({4, idc, r + data});
    return *this;
  }
  // The transaction; 1.003 lists `phantom` more Type-9 records than it holds.
  std::vector<std::uint8_t> bytes(int phantom = 0) const {
    const std::string nsr = "19.69";
    std::string cnt = "1" + US + std::to_string(records_.size() + static_cast<std::size_t>(phantom));
    for (const Record& r : records_) cnt += RS + std::to_string(r.type) + US + (r.idc < 10 ? "0" : "") + std::to_string(r.idc);
    for (int i = 0; i < phantom; ++i) cnt += RS + "9" + US + "01";
    const std::string t1body = GS + "1.002:0300" + GS + "1.003:" + cnt + GS + "1.004:CAR" + GS + "1.005:20261128" +
                               GS + "1.011:" + nsr + GS + "1.012:" + nsr + FS;
    std::string all = with_length(1, t1body);
    for (const Record& r : records_) all += r.bytes;
    return {all.begin(), all.end()};
  }

 private:
  struct Record {
    int type, idc;
    std::string bytes;
  };
  static std::string tag(int type, int field) {
    std::string f = std::to_string(field);
    while (f.size() < 3) f.insert(0, "0");
    return std::to_string(type) + "." + f + ":";
  }
  // "T.001:<length>" + body, the length counting itself.
  static std::string with_length(int type, const std::string& body) {
    std::size_t len = body.size();
    for (;;) {
      const std::string head = tag(type, 1) + std::to_string(len);
      if (head.size() + body.size() == len) return head + body;
      len = head.size() + body.size();
    }
  }
  std::vector<Record> records_;
};

// A 9.012 subfield: index, XXXXYYYYTTT, quality, type, a ridge count.
std::string minutia(int index, int x, int y, int theta, int quality, char type) {
  char xyt[16];
  std::snprintf(xyt, sizeof xyt, "%04d%04d%03d", x, y, theta);
  char idx[8];
  std::snprintf(idx, sizeof idx, "%03d", index);
  return std::string(idx) + US + xyt + US + std::to_string(quality) + US + type + US + "2,5";
}

std::vector<std::pair<int, std::string>> type9_fields(int idc, int fgp, const std::vector<std::string>& minutiae,
                                                       int declared = -1) {
  std::string mrc;
  for (std::size_t i = 0; i < minutiae.size(); ++i) mrc += (i ? RS : "") + minutiae[i];
  return {{2, (idc < 10 ? "0" : "") + std::to_string(idc)},
          {3, "1"},
          {4, "S"},
          {5, "EXISTING IMAGE" + US + "A"},
          {6, (fgp < 10 ? "0" : "") + std::to_string(fgp)},
          {7, "T" + US + "UN"},
          {10, std::to_string(declared < 0 ? static_cast<int>(minutiae.size()) : declared)},
          {11, "1"},
          {12, mrc}};
}

fpm::DecodedRecord decode(const std::vector<std::uint8_t>& b, bool strict = false) {
  fpm::DecodeOptions o;
  o.strict = strict;
  return fpm::decode(b, o);
}

fpm::DecodeError decode_error(const std::vector<std::uint8_t>& b, bool strict = false) {
  try {
    decode(b, strict);
  } catch (const fpm::DecodeError& e) {
    return e;
  }
  FAIL("decoded without an error");
  return fpm::DecodeError(ErrorCode::Ok, "", "", 0, "");
}

bool mentions(const std::vector<std::string>& warnings, const std::string& part) {
  for (const auto& w : warnings)
    if (w.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("an2k: standard-format minutiae in canonical pixels", "[an2k]") {
  Transaction t;
  t.type4(1, 0, 400, 500);  // minimum scanning resolution: 19.69 px/mm
  t.tagged(9, 1,
           type9_fields(1, 2,
                        {minutia(1, 132, 715, 248, 0, 'A'), minutia(2, 1000, 2400, 0, 2, 'B'),
                         minutia(3, 1, 1, 359, 63, 'D'), minutia(4, 500, 500, 90, 32, 'C')}));
  const auto bytes = t.bytes();
  REQUIRE(fpm::detect_format(bytes.data(), bytes.size()) == fpm::Format::AnsiNistItl);
  const fpm::DecodedRecord r = decode(bytes);
  CHECK(r.format == fpm::Format::AnsiNistItl);
  CHECK(r.warnings.empty());
  REQUIRE(r.views.size() == 1);
  const fpm::Template& v = r.views[0];
  CHECK(v.info().position == fpm::FingerPosition::RightIndex);
  CHECK(v.info().impression == fpm::ImpressionType::LiveRolled);
  const double height_mm = 500 / 19.69;
  CHECK(v.info().height == std::lround(height_mm * kPerMm));
  CHECK(v.info().width == std::lround(400 / 19.69 * kPerMm));
  CHECK(v.info().source_x_ppcm == 197);
  REQUIRE(v.size() == 4);
  struct Want {
    int x, y, theta;
    fpm::MinutiaType type;
    int quality;
  };
  const Want want[] = {{132, 715, 248, fpm::MinutiaType::RidgeEnding, 0},
                       {1000, 2400, 0, fpm::MinutiaType::Bifurcation, 100},
                       {1, 1, 359, fpm::MinutiaType::Other, 1},
                       {500, 500, 90, fpm::MinutiaType::Other, 1 + 99 * 31 / 61}};
  for (std::size_t i = 0; i < 4; ++i) {
    INFO("minutia " << i);
    const fpm::Minutia& m = v.minutiae()[i];
    // 0.01 mm from the bottom-left corner, theta opposite to the ISO direction.
    CHECK(m.x == Approx(want[i].x / 100.0 * kPerMm).margin(1e-3));
    CHECK(m.y == Approx((height_mm - want[i].y / 100.0) * kPerMm).margin(1e-3));
    CHECK(m.theta == Approx(((want[i].theta + 180) % 360) * kPi / 180).margin(1e-5));
    CHECK(m.type == want[i].type);
    CHECK(m.quality == want[i].quality);
  }
  // Written out as NIST .xyt, the coordinates are the record's own, in pixels.
  const std::vector<std::uint8_t> xyt = fpm::encode({v}, fpm::Format::NistXyt);
  CHECK(std::string(xyt.begin(), xyt.end()).rfind("26 141 248", 0) == 0);
}

TEST_CASE("an2k: several fingers, an image record in pixels per inch", "[an2k]") {
  Transaction t;
  // Type-13 at 1000 ppi, binary image data (with separator bytes) in 13.999.
  t.tagged(13, 1,
           {{2, "01"}, {3, "0"}, {4, "TEST"}, {5, "20261128"}, {6, "800"}, {7, "1000"}, {8, "1"}, {9, "1000"},
            {10, "1000"}, {11, "NONE"}, {12, "8"}, {13, "2"}},
           std::string("\x1d\x1e\x1f\x1c binary", 11));
  t.tagged(9, 1, type9_fields(1, 2, {minutia(1, 1000, 1000, 45, 10, 'A')}));
  t.tagged(9, 2, type9_fields(2, 7, {minutia(1, 300, 400, 180, 10, 'B'), minutia(2, 350, 420, 10, 10, 'A')}));
  const fpm::DecodedRecord r = decode(t.bytes());
  REQUIRE(r.views.size() == 2);
  const double height_mm = 1000 / (1000 / 25.4);
  CHECK(r.views[0].info().position == fpm::FingerPosition::RightIndex);
  CHECK(r.views[0].info().height == std::lround(height_mm * kPerMm));
  CHECK(r.views[0].info().source_x_ppcm == 394);
  CHECK(r.views[0].minutiae()[0].y == Approx((height_mm - 10.0) * kPerMm).margin(1e-3));
  // The second finger has no image record: its height is its largest y.
  CHECK(r.views[1].info().position == fpm::FingerPosition::LeftIndex);
  CHECK(r.views[1].minutiae()[1].y == Approx(0.0).margin(1e-3));
  CHECK(r.views[1].minutiae()[0].y == Approx(0.2 * kPerMm).margin(1e-3));
  CHECK(mentions(r.warnings, "IDC 2"));
  CHECK(decode_error(t.bytes(), true).code() == ErrorCode::OutOfRange);  // strict: no height
}

TEST_CASE("an2k: records skipped with a warning, transactions refused", "[an2k]") {
  const auto one = [] { return type9_fields(1, 3, {minutia(1, 100, 100, 10, 5, 'A')}); };
  SECTION("a user-defined Type-9 beside a standard one") {
    auto user = one();
    user[2].second = "U";
    Transaction t;
    t.type4(1, 0, 400, 500).tagged(9, 1, user).tagged(9, 1, one());
    const fpm::DecodedRecord r = decode(t.bytes());
    CHECK(r.views.size() == 1);
    CHECK(mentions(r.warnings, "user-defined"));
    CHECK(decode_error(t.bytes(), true).code() == ErrorCode::UnsupportedFormat);
  }
  SECTION("no standard-format minutiae at all") {
    auto m1 = one();
    m1[2].second = "U";
    m1.pop_back();
    m1.push_back({137, "1" + US + "100" + US + "100" + US + "10" + US + "60" + US + "A"});
    Transaction t;
    t.tagged(9, 1, m1);
    const fpm::DecodeError e = decode_error(t.bytes());
    CHECK(e.code() == ErrorCode::NoViews);
    Transaction none;
    none.type4(1, 0, 400, 500);
    CHECK(decode_error(none.bytes()).code() == ErrorCode::NoViews);
  }
  SECTION("a minutiae count that disagrees, an unknown minutia type") {
    auto f = type9_fields(1, 3, {minutia(1, 100, 100, 10, 5, 'E'), minutia(2, 120, 100, 10, 5, 'A')}, 5);
    Transaction t;
    t.type4(1, 0, 400, 500).tagged(9, 1, f);
    const fpm::DecodedRecord r = decode(t.bytes());
    REQUIRE(r.views.size() == 1);
    CHECK(r.views[0].size() == 2);
    CHECK(r.views[0].minutiae()[0].type == fpm::MinutiaType::Other);
    CHECK(mentions(r.warnings, "9.010 gives 5"));
    CHECK(mentions(r.warnings, "type 'E'"));
    CHECK(decode_error(t.bytes(), true).code() == ErrorCode::CountMismatch);
  }
  SECTION("malformed minutiae") {
    const std::pair<std::string, ErrorCode> bad[] = {
        {"001" + US + "0100010001" + US + "5" + US + "A", ErrorCode::Syntax},       // 10 digits
        {"001" + US + "01000100x10" + US + "5" + US + "A", ErrorCode::Syntax},      // not a digit
        {"001" + US + "01000100360" + US + "5" + US + "A", ErrorCode::OutOfRange},  // theta 360
        {"001" + US + "01000100010" + US + "64" + US + "A", ErrorCode::OutOfRange}, // quality 64
    };
    for (const auto& b : bad) {
      auto f = one();
      f.back().second = b.first;
      Transaction t;
      t.type4(1, 0, 400, 500).tagged(9, 1, f);
      INFO(b.first);
      const fpm::DecodeError e = decode_error(t.bytes());
      CHECK(e.code() == b.second);
      CHECK(e.field().rfind("9.012", 0) == 0);
    }
  }
  SECTION("structure") {
    Transaction t;
    t.type4(1, 0, 400, 500).tagged(9, 1, one());
    const auto good = t.bytes();
    REQUIRE_NOTHROW(decode(good));
    // 1.003 lists a record the data lacks.
    CHECK(decode_error(t.bytes(1)).code() == ErrorCode::Truncated);
    // A record length that does not end on the record separator.
    std::string off(good.begin(), good.end());
    const std::size_t t9 = off.find("9.001:");
    off[t9 + 6] = static_cast<char>(off[t9 + 6] - 1);
    CHECK(decode_error({off.begin(), off.end()}).code() == ErrorCode::LengthMismatch);
    // Bytes after the last record: a warning (strict: refused).
    auto tail = good;
    tail.push_back('x');
    CHECK(mentions(decode(tail).warnings, "after the last record"));
    CHECK(decode_error(tail, true).code() == ErrorCode::LengthMismatch);
  }
}

TEST_CASE("an2k: every prefix and every byte change decodes or fails cleanly", "[an2k]") {
  Transaction t;
  t.tagged(13, 1, {{2, "01"}, {6, "800"}, {7, "1000"}, {8, "2"}, {9, "394"}, {10, "394"}}, "\x1c\x1d image");
  t.type4(2, 1, 300, 300);
  t.tagged(9, 1, type9_fields(1, 2, {minutia(1, 1000, 1000, 45, 10, 'A'), minutia(2, 10, 20, 30, 2, 'B')}));
  t.tagged(9, 2, type9_fields(2, 7, {minutia(1, 300, 400, 180, 10, 'B')}));
  const auto good = t.bytes();
  REQUIRE(decode(good).views.size() == 2);
  for (std::size_t n = 0; n < good.size(); ++n) {
    const std::vector<std::uint8_t> prefix(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    try {
      decode(prefix);
      FAIL("a prefix of " << n << " bytes decoded");
    } catch (const fpm::DecodeError&) {
    }
  }
  const std::uint8_t values[] = {0, '0', '9', ':', '.', 0x1c, 0x1d, 0x1e, 0x1f, 0xff};
  for (std::size_t i = 0; i < good.size(); ++i)
    for (std::uint8_t v : values) {
      auto b = good;
      b[i] = v;
      try {
        decode(b);
      } catch (const fpm::DecodeError&) {
      }
    }
}

TEST_CASE("an2k: a repeated minutia warns, or fails in strict mode", "[an2k]") {
  Transaction t;
  t.type4(1, 0, 400, 500);
  t.tagged(9, 1,
           type9_fields(1, 2,
                        {minutia(1, 132, 715, 248, 0, 'A'), minutia(2, 1000, 2400, 0, 2, 'B'),
                         minutia(3, 132, 715, 248, 20, 'B'), minutia(4, 132, 715, 249, 0, 'A')}));
  const auto bytes = t.bytes();
  const fpm::DecodedRecord r = decode(bytes);
  REQUIRE(r.views.size() == 1);
  CHECK(r.views[0].size() == 4);
  REQUIRE(r.warnings.size() == 1);
  CHECK(mentions(r.warnings, "minutia 3 repeats minutia 1 (same position and direction)"));
  const fpm::DecodeError e = decode_error(bytes, true);
  CHECK(e.code() == ErrorCode::OutOfRange);
  CHECK(e.field() == "9.012[2]");
}

TEST_CASE("an2k: encode writes a transaction the decoder reads back", "[an2k]") {
  std::mt19937 rng(fpm_test::fresh_seed("an2k encode"));
  // Ten fingers with their positions and an image height; one of unknown
  // position and height; one without minutiae.
  std::vector<fpm::Template> views;
  for (int f = 1; f <= 10; ++f) {
    const fpm::Template t = fpm_test::random_template(rng, 20 + f, 400, 500);
    fpm::TemplateInfo info = t.info();
    info.position = static_cast<fpm::FingerPosition>(f);
    info.impression = f == 3 ? fpm::ImpressionType::LiveRolled : fpm::ImpressionType::LivePlain;
    views.push_back(fpm::Template(info, t.minutiae()));
  }
  fpm::EncodeOptions eo;
  eo.date = "20261203";
  eo.transaction_type = "CAR";
  const std::vector<std::uint8_t> bytes = fpm::encode(views, fpm::Format::AnsiNistItl, eo);
  CHECK(fpm::encode(views, fpm::Format::AnsiNistItl, eo) == bytes);  // deterministic with a date
  CHECK(fpm::detect_format(bytes.data(), bytes.size()) == fpm::Format::AnsiNistItl);
  const std::string text(bytes.begin(), bytes.end());
  CHECK(text.find("1.004:CAR") != std::string::npos);
  CHECK(text.find("1.005:20261203") != std::string::npos);
  const fpm::DecodedRecord rec = fpm::decode(bytes);
  REQUIRE(rec.views.size() == 10);
  for (std::size_t v = 0; v < 10; ++v) {
    const fpm::Template& a = views[v];
    const fpm::Template& b = rec.views[v];
    CHECK(b.info().position == a.info().position);
    CHECK(b.info().impression == a.info().impression);
    REQUIRE(b.size() == a.size());
    // No image record: the decoder takes the height from the highest
    // minutia, so y comes back shifted by the smallest y (a translation).
    float min_y = 1e9f;
    for (const auto& m : a.minutiae()) min_y = std::min(min_y, m.y);
    for (std::size_t i = 0; i < a.size(); ++i) {
      const fpm::Minutia &ma = a.minutiae()[i], &mb = b.minutiae()[i];
      CHECK(std::fabs(mb.x - ma.x) <= 0.11f);  // 0.01 mm steps: 0.197 px
      CHECK(std::fabs(mb.y - (ma.y - min_y)) <= 0.21f);
      const double dt = std::remainder(static_cast<double>(mb.theta) - ma.theta, 2 * kPi);
      CHECK(std::fabs(dt) <= kPi / 360 + 1e-6);  // whole degrees
      CHECK(mb.type == ma.type);
      if (ma.quality == 0) CHECK(mb.quality == 0);
      else CHECK(std::abs(int(mb.quality) - int(ma.quality)) <= 2);
    }
  }
  // Matching does not depend on the translation: the same scores.
  fpm::Matcher m;
  for (std::size_t v = 0; v < 10; v += 3)
    CHECK(m.match(fpm::encode_cylinders(views[v]), fpm::encode_cylinders(views[(v + 1) % 10])) ==
          Approx(m.match(fpm::encode_cylinders(rec.views[v]), fpm::encode_cylinders(rec.views[(v + 1) % 10]))).margin(0.02));

  SECTION("an unknown position and image size") {
    const fpm::Template t = views[4];
    const fpm::Template unknown(fpm::TemplateInfo{}, t.minutiae());
    const fpm::DecodedRecord r2 = fpm::decode(fpm::encode({unknown, views[0]}, fpm::Format::AnsiNistItl, eo));
    REQUIRE(r2.views.size() == 2);
    CHECK(r2.views[0].info().position == fpm::FingerPosition::Unknown);
    CHECK(r2.views[0].size() == t.size());
    CHECK(r2.views[1].info().position == fpm::FingerPosition::RightThumb);
  }
  SECTION("refused: no views, a view without minutiae, a bad date, a minutia past 99.99 mm") {
    CHECK_THROWS_WITH(fpm::encode({}, fpm::Format::AnsiNistItl, eo), Catch::Contains("no views"));
    CHECK_THROWS_WITH(fpm::encode({views[0], fpm::Template()}, fpm::Format::AnsiNistItl, eo),
                      Catch::Contains("view 1 has no minutiae"));
    fpm::EncodeOptions bad = eo;
    bad.date = "2026-12-03";
    CHECK_THROWS_WITH(fpm::encode(views, fpm::Format::AnsiNistItl, bad), Catch::Contains("YYYYMMDD"));
    fpm::TemplateInfo info;
    const fpm::Template far(info, {fpm::Minutia{2000.0f, 10.0f, 0.0f, fpm::MinutiaType::RidgeEnding, 50}});
    try {
      fpm::encode({far}, fpm::Format::AnsiNistItl, eo);
      FAIL("encoded a minutia past the format's range");
    } catch (const fpm::Error& e) {
      CHECK(e.code() == ErrorCode::InvalidArgument);
    }
  }
}
