// NIST .xyt text (mindtct output, bozorth3 input): one minutia per line,
// "x y theta [quality]", integers separated by blanks.
//
// Two conventions, chosen explicitly through XytConvention:
//   Nist (default: what mindtct writes and bozorth3 reads without -m1):
//     origin bottom-left, y upwards; theta in degrees counter-clockwise,
//     pointing opposite to the ISO direction. Canonical y = H - y and
//     canonical theta = theta + 180 degrees, with H the image height
//     (mindtct writes y = H - row, so 1 <= y <= H).
//   M1 (mindtct -m1, bozorth3 -m1; the ANSI INCITS 378 convention):
//     origin top-left, theta in degrees as ISO. Only the unit changes.
// The file holds no resolution: coordinates are taken as 500 ppi.
#include <algorithm>
#include <cmath>
#include <string>

#include "formats/codec.hpp"

namespace fpm::detail {

namespace {

constexpr const char* kFormat = "NIST .xyt";
constexpr double kPi = 3.14159265358979323846;
constexpr std::size_t kMaxMinutiae = 10000;  // bounds memory on hostile input

struct Row {
  long v[4];
  int n;
  std::size_t offset;
  std::size_t line;
};

[[noreturn]] void fail(ErrorCode code, const char* field, std::size_t offset, std::size_t line,
                       const std::string& detail) {
  throw DecodeError(code, kFormat, field, offset, detail, line);
}

bool blank(std::uint8_t c) { return c == ' ' || c == '\t' || c == '\r'; }

std::vector<Row> parse_rows(const std::uint8_t* data, std::size_t size) {
  std::vector<Row> rows;
  std::size_t pos = 0;
  std::size_t line = 1;
  while (pos < size) {
    Row row{{0, 0, 0, 0}, 0, pos, line};
    while (pos < size && data[pos] != '\n') {
      if (blank(data[pos])) {
        ++pos;
        continue;
      }
      const std::size_t tok = pos;
      bool neg = false;
      if (data[pos] == '-') {
        neg = true;
        ++pos;
      }
      long value = 0;
      int digits = 0;
      while (pos < size && data[pos] >= '0' && data[pos] <= '9') {
        if (digits == 9)
          fail(ErrorCode::OutOfRange, "value", tok, line, "number with more than 9 digits");
        value = value * 10 + (data[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0 || (pos < size && !blank(data[pos]) && data[pos] != '\n')) {
        const std::size_t bad = digits == 0 ? pos : pos;
        const std::uint8_t c = bad < size ? data[bad] : 0;
        std::string shown = (c >= 32 && c < 127) ? std::string("'") + static_cast<char>(c) + "'"
                                                 : "byte " + std::to_string(c);
        fail(ErrorCode::Syntax, "value", bad, line, "unexpected " + shown + " (expected an integer)");
      }
      if (row.n == 4)
        fail(ErrorCode::Syntax, "line", row.offset, line,
             "more than 4 numbers on a line (expected: x y theta [quality])");
      row.v[row.n++] = neg ? -value : value;
    }
    if (row.n != 0) {
      if (row.n < 3)
        fail(ErrorCode::Syntax, "line", row.offset, line,
             std::to_string(row.n) + " number" + (row.n == 1 ? "" : "s") +
                 " on a line (expected: x y theta [quality])");
      if (rows.size() == kMaxMinutiae)
        fail(ErrorCode::CountMismatch, "line", row.offset, line,
             "more than " + std::to_string(kMaxMinutiae) + " minutiae");
      rows.push_back(row);
    }
    ++pos;  // past '\n'
    ++line;
  }
  return rows;
}

}  // namespace

DecodedRecord decode_xyt(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt) {
  const std::vector<Row> rows = parse_rows(data, size);
  const bool nist = opt.xyt_convention == XytConvention::Nist;
  long max_y = 0;
  for (const Row& r : rows) {
    const char* names[4] = {"x", "y", "theta", "quality"};
    for (int i = 0; i < r.n; ++i)
      if (r.v[i] < 0)
        fail(ErrorCode::OutOfRange, names[i], r.offset, r.line, std::string(names[i]) + " is negative");
    if (r.v[0] > 16383 || r.v[1] > 16383)
      fail(ErrorCode::OutOfRange, "x", r.offset, r.line, "coordinate above 16383");
    if (opt.xyt_image_width != 0 && r.v[0] >= opt.xyt_image_width)
      fail(ErrorCode::OutOfRange, "x", r.offset, r.line,
           "x = " + std::to_string(r.v[0]) + " lies outside the image width " + std::to_string(opt.xyt_image_width));
    const long ylimit = nist ? opt.xyt_image_height : opt.xyt_image_height - 1L;
    if (opt.xyt_image_height != 0 && r.v[1] > ylimit)
      fail(ErrorCode::OutOfRange, "y", r.offset, r.line,
           "y = " + std::to_string(r.v[1]) + " lies outside the image height " + std::to_string(opt.xyt_image_height));
    if (r.v[2] > 360)
      fail(ErrorCode::OutOfRange, "theta", r.offset, r.line,
           "theta = " + std::to_string(r.v[2]) + " degrees (valid: 0-360)");
    if (r.n == 4 && r.v[3] > 100)
      fail(ErrorCode::OutOfRange, "quality", r.offset, r.line,
           "quality = " + std::to_string(r.v[3]) + " (valid: 0-100)");
    max_y = std::max(max_y, r.v[1]);
  }

  DecodedRecord rec;
  rec.format = Format::NistXyt;
  Diagnostics diag(opt.strict, kFormat);
  TemplateInfo info;
  info.width = opt.xyt_image_width;
  info.height = opt.xyt_image_height;
  long flip_h = opt.xyt_image_height;
  if (nist && flip_h == 0) {
    flip_h = max_y;
    info.height = static_cast<std::uint16_t>(max_y);
    if (!rows.empty())
      diag.recoverable(ErrorCode::OutOfRange, "image_height", 0,
                       "image height unknown for the NIST bottom-left origin",
                       "assumed " + std::to_string(max_y) +
                           " (the largest y); pass the image height for exact frames");
  }
  std::vector<Minutia> minutiae;
  minutiae.reserve(rows.size());
  for (const Row& r : rows) {
    Minutia m;
    m.x = static_cast<float>(r.v[0]);
    const long y = nist ? flip_h - r.v[1] : r.v[1];
    // Flipped in a tall image, a small y can land past what a template holds.
    if (y > 16383)
      fail(ErrorCode::OutOfRange, "y", r.offset, r.line,
           "y = " + std::to_string(r.v[1]) + " in an image of height " + std::to_string(flip_h) +
               " lies at canonical y = " + std::to_string(y) + ", above 16383");
    m.y = static_cast<float>(y);
    long deg = (nist ? r.v[2] + 180 : r.v[2]) % 360;
    m.theta = static_cast<float>(deg * (kPi / 180.0));
    m.type = MinutiaType::Other;  // .xyt carries no type
    m.quality = static_cast<std::uint8_t>(r.n == 4 ? r.v[3] : 0);
    minutiae.push_back(m);
  }
  // Theta 0 and 360 are one direction: compared in the canonical frame.
  const RepeatedMinutiae rep = find_repeated_minutiae(minutiae);
  if (rep.count > 0) {
    const Row& r = rows[rep.first];
    std::string detail = "line " + std::to_string(r.line) + " repeats line " +
                         std::to_string(rows[rep.original].line) + " (same x, y and direction)";
    if (rep.count > 1) detail += "; " + std::to_string(rep.count) + " lines repeat an earlier one";
    diag.recoverable(ErrorCode::OutOfRange, "line", r.offset, detail, "kept", r.line);
  }
  rec.warnings = diag.take();
  rec.header = {
      {"convention", nist ? "nist (origin bottom-left)" : "m1 (origin top-left)"},
      {"minutiae", std::to_string(rows.size())},
      {"columns", rows.empty() ? "-" : std::to_string(rows.front().n)},
  };
  rec.views.emplace_back(info, std::move(minutiae));
  return rec;
}

std::vector<std::uint8_t> encode_xyt(const std::vector<Template>& views, const EncodeOptions& opt) {
  if (views.size() != 1)
    throw Error(ErrorCode::InvalidArgument,
                std::string(kFormat) + ": holds exactly one view, got " + std::to_string(views.size()));
  const Template& t = views.front();
  const bool nist = opt.xyt_convention == XytConvention::Nist;
  long h = t.info().height;
  if (nist && h == 0)
    for (const Minutia& m : t.minutiae()) h = std::max(h, std::lround(m.y));
  std::string out;
  for (const Minutia& m : t.minutiae()) {
    const long x = std::lround(m.x);
    const long y = nist ? h - std::lround(m.y) : std::lround(m.y);
    if (y < 0)
      throw Error(ErrorCode::InvalidArgument,
                  std::string(kFormat) + ": a minutia lies below the image height " + std::to_string(h));
    long deg = std::lround(m.theta * (180.0 / kPi)) + (nist ? 180 : 0);
    deg %= 360;
    out += std::to_string(x) + ' ' + std::to_string(y) + ' ' + std::to_string(deg) + ' ' +
           std::to_string(m.quality <= 100 ? m.quality : 0) + '\n';
  }
  return std::vector<std::uint8_t>(out.begin(), out.end());
}

}  // namespace fpm::detail
