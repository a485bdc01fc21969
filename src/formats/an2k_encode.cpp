// ANSI/NIST-ITL transactions (traditional encoding) written: a Type-1
// record, then one Type-9 record per view with its minutiae in the
// standard FBI/IAFIS format (9.004 = S), the fields the decoder
// (an2k.cpp) reads. No image records: a transaction of minutiae only, as a
// booking station's search request may be (docs/formats.md, "ANSI/NIST-ITL
// transactions"). The inverse of the decoder's conversion: X, Y in 0.01 mm
// from the bottom-left corner (y upwards, from the view's image height, or
// its highest minutia when the height is not known), theta in degrees
// turned by 180 degrees.
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>

#include "formats/codec.hpp"

namespace fpm::detail {

namespace {

constexpr char kFS = 0x1C, kGS = 0x1D, kRS = 0x1E, kUS = 0x1F;
constexpr double kCanonicalPerMm = 500.0 / 25.4;
constexpr double kPi = 3.14159265358979323846;

std::string digits(long v, int width) {
  char b[24];
  std::snprintf(b, sizeof b, "%0*ld", width, v);
  return b;
}

// A tagged record: "T.001:LEN" first, GS between fields, FS at the end.
// LEN counts the whole record, its own digits included.
std::string tagged_record(int type, const std::vector<std::pair<int, std::string>>& fields) {
  std::string body;
  for (const auto& [number, value] : fields)
    body += kGS + std::to_string(type) + "." + digits(number, 3) + ":" + value;
  body += kFS;
  const std::string prefix = std::to_string(type) + ".001:";
  std::size_t len = prefix.size() + body.size() + 1;
  while (prefix.size() + std::to_string(len).size() + body.size() != len) ++len;
  return prefix + std::to_string(len) + body;
}

// 0.01 mm units of a canonical length, in the 4 digits the format has.
long hundredths(double px, const char* what, std::size_t view, std::size_t m) {
  const long v = std::lround(px / kCanonicalPerMm * 100.0);
  if (v < 0 || v > 9999)
    throw Error(ErrorCode::InvalidArgument, "ANSI/NIST-ITL: view " + std::to_string(view) + ", minutia " +
                                                std::to_string(m) + ": " + what + " " + std::to_string(v / 100.0) +
                                                " mm does not fit the 4 digits (0-99.99 mm) of the format");
  return v;
}

// Quality 0 (not given) is written as 1 ("no method of indicating
// confidence"); 1-100 as 63 down to 2, the decoder's scale reversed.
int an2k_quality(std::uint8_t q) {
  if (q == 0 || q > 100) return 1;
  return 63 - static_cast<int>(std::lround((q - 1) * 61.0 / 99.0));
}

}  // namespace

std::vector<std::uint8_t> encode_an2k(const std::vector<Template>& views, const EncodeOptions& opt) {
  if (views.empty()) throw Error(ErrorCode::InvalidArgument, "ANSI/NIST-ITL: no views to write");
  if (views.size() > 99) throw Error(ErrorCode::InvalidArgument, "ANSI/NIST-ITL: at most 99 views (two-digit IDC)");
  std::string date = opt.date;
  if (date.empty()) {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char b[16];
    std::strftime(b, sizeof b, "%Y%m%d", &utc);
    date = b;
  }
  if (date.size() != 8 || date.find_first_not_of("0123456789") != std::string::npos)
    throw Error(ErrorCode::InvalidArgument, "ANSI/NIST-ITL: the date must be 8 digits YYYYMMDD, not '" + date + "'");
  std::string cnt = "1" + std::string(1, kUS) + std::to_string(views.size());
  for (std::size_t v = 0; v < views.size(); ++v) cnt += kRS + std::string("9") + kUS + digits(long(v), 2);
  std::string out = tagged_record(1, {{2, "0500"},
                                      {3, cnt},
                                      {4, opt.transaction_type.empty() ? "FPM" : opt.transaction_type},
                                      {5, date},
                                      {7, "UNKNOWN"},
                                      {8, "UNKNOWN"},
                                      {9, "FPM" + date},
                                      {11, "00.00"},
                                      {12, "00.00"}});
  for (std::size_t v = 0; v < views.size(); ++v) {
    const Template& t = views[v];
    if (t.size() == 0)
      throw Error(ErrorCode::InvalidArgument, "ANSI/NIST-ITL: view " + std::to_string(v) +
                                                  " has no minutiae (a Type-9 record's 9.012 lists at least one)");
    if (t.size() > 999) throw Error(ErrorCode::InvalidArgument, "ANSI/NIST-ITL: more than 999 minutiae in view " + std::to_string(v));
    // y is measured upwards from the image's bottom edge.
    double height_px = t.info().height;
    for (const Minutia& m : t.minutiae()) height_px = std::max(height_px, static_cast<double>(m.y));
    std::string minutiae;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const Minutia& m = t.minutiae()[i];
      const long x = hundredths(m.x, "x", v, i), y = hundredths(height_px - m.y, "y", v, i);
      const long deg = std::lround(m.theta * 180.0 / kPi) % 360;
      const long theta = (deg + 180) % 360;
      const char* type = m.type == MinutiaType::RidgeEnding ? "A" : m.type == MinutiaType::Bifurcation ? "B" : "D";
      if (i > 0) minutiae += kRS;
      minutiae += digits(long(i + 1), 3) + kUS + digits(x, 4) + digits(y, 4) + digits(theta, 3) + kUS +
                  std::to_string(an2k_quality(m.quality)) + kUS + type;
    }
    const int imp = static_cast<int>(t.info().impression);
    std::vector<std::pair<int, std::string>> fields = {{2, digits(long(v), 2)},
                                                       {3, std::to_string(imp == 9 ? 24 : imp)},  // contactless: 24
                                                       {4, "S"},
                                                       {5, std::string("FPMATCH") + kUS + "A"},
                                                       {6, digits(static_cast<int>(t.info().position), 2)},
                                                       {7, std::string("T") + kUS + "UN"},
                                                       {10, std::to_string(t.size())},
                                                       {11, "0"}};
    fields.push_back({12, minutiae});
    out += tagged_record(9, fields);
  }
  return std::vector<std::uint8_t>(out.begin(), out.end());
}

}  // namespace fpm::detail
