#include "formats/incits_common.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <tuple>

namespace fpm::detail {

namespace {
constexpr double kPi = 3.14159265358979323846;

float to_canonical(std::uint32_t raw, std::uint16_t ppcm) {
  return static_cast<float>(static_cast<double>(raw) * kCanonicalPpcm / ppcm);
}
std::uint16_t canonical_size(std::uint16_t raw, std::uint16_t ppcm) {
  double v = std::round(static_cast<double>(raw) * kCanonicalPpcm / ppcm);
  return v > 65535.0 ? 65535 : static_cast<std::uint16_t>(v);
}
}  // namespace

void Diagnostics::recoverable(ErrorCode code, const std::string& field, std::size_t offset,
                              const std::string& detail, const std::string& accepted, std::size_t line) {
  if (strict_) throw DecodeError(code, format_, field, offset, detail + " (strict mode)", line);
  warnings_.push_back(field + " at byte offset " + std::to_string(offset) + ": " + detail + "; " + accepted);
}

RepeatedMinutiae find_repeated_minutiae(const std::vector<Minutia>& ms) {
  std::vector<std::size_t> order(ms.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto key = [&](std::size_t i) { return std::make_tuple(ms[i].x, ms[i].y, ms[i].theta); };
  // Stable: within a run of equal minutiae the earliest comes first.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  RepeatedMinutiae rep;
  for (std::size_t k = 1, run = 0; k < order.size(); ++k) {
    if (key(order[k]) != key(order[run])) {
      run = k;
      continue;
    }
    if (rep.count++ == 0 || order[k] < rep.first) {
      rep.first = order[k];
      rep.original = order[run];
    }
  }
  return rep;
}

std::string hex16(std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

void read_magic(ByteReader& r, const char version[4]) {
  std::uint8_t magic[4];
  for (auto& b : magic) b = r.u8("format_identifier");
  if (std::memcmp(magic, kMagic, 4) != 0)
    r.fail(ErrorCode::UnknownFormat, "format_identifier", 0, "expected \"FMR\\0\"");
  std::uint8_t ver[4];
  for (auto& b : ver) b = r.u8("version");
  if (std::memcmp(ver, version, 4) != 0) {
    // Printable bytes as they are, others escaped: the message reaches
    // terminals and JSON.
    auto shown = [](const std::uint8_t* b) {
      std::string s;
      for (int i = 0; i < 4; ++i) {
        if (b[i] == 0) s += "\\0";
        else if (b[i] >= 32 && b[i] < 127 && b[i] != '"' && b[i] != '\\') s += static_cast<char>(b[i]);
        else {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", b[i]);
          s += hex;
        }
      }
      return s;
    };
    std::string hint;
    if (std::memcmp(ver, " 20\0", 4) == 0) hint = " (version 2.0: ISO 19794-2:2005 or ANSI 378-2004; detection reads it)";
    else if (std::memcmp(ver, "030\0", 4) == 0) hint = " (version 3.0: ISO 19794-2:2011 or ANSI 378-2009; detection reads it)";
    r.fail(ErrorCode::UnknownFormat, "version", 4,
           "expected \"" + shown(reinterpret_cast<const std::uint8_t*>(version)) + "\", found \"" + shown(ver) +
               "\"" + hint);
  }
}

void read_resolution(ByteReader& r, Geometry& g, const DecodeOptions& opt, Diagnostics& diag) {
  const std::size_t at = r.pos();
  g.x_ppcm = r.u16("x_resolution");
  g.y_ppcm = r.u16("y_resolution");
  for (int axis = 0; axis < 2; ++axis) {
    std::uint16_t& v = axis == 0 ? g.x_ppcm : g.y_ppcm;
    const char* field = axis == 0 ? "x_resolution" : "y_resolution";
    if (v != 0) continue;
    if (opt.assume_resolution_ppcm == 0)
      r.fail(ErrorCode::OutOfRange, field, at + 2 * axis,
             "resolution 0 cannot be rescaled to 500 ppi (set an assumed resolution to accept it)");
    diag.recoverable(ErrorCode::OutOfRange, r.field_name(field), at + 2 * axis, "resolution 0",
                     "assumed " + std::to_string(opt.assume_resolution_ppcm) + " px/cm as asked");
    v = opt.assume_resolution_ppcm;
  }
}

TemplateInfo make_info(const ByteReader& r, const Geometry& g, const ViewFields& f) {
  if (f.position > 10)
    r.fail(ErrorCode::ReservedValue, "finger_position", f.position_at,
           "finger position " + std::to_string(f.position) + " is not a single-finger code (0-10)");
  if (f.impression > 9)
    r.fail(ErrorCode::ReservedValue, "impression_type", f.impression_at,
           "impression type " + std::to_string(f.impression) + " is reserved (valid: 0-9)");
  if (f.quality > 100)
    r.fail(ErrorCode::OutOfRange, "finger_quality", f.quality_at,
           "finger quality " + std::to_string(f.quality) + " is above 100");
  TemplateInfo info;
  info.width = canonical_size(g.width, g.x_ppcm);
  info.height = canonical_size(g.height, g.y_ppcm);
  info.source_x_ppcm = g.x_ppcm;
  info.source_y_ppcm = g.y_ppcm;
  info.position = static_cast<FingerPosition>(f.position);
  info.view = f.view;
  info.impression = static_cast<ImpressionType>(f.impression);
  info.finger_quality = f.quality;
  return info;
}

void ViewNumbers::add(const ByteReader& r, const ViewFields& f, unsigned index, const char* field,
                      Diagnostics& diag) {
  if (f.view > 15)
    diag.recoverable(ErrorCode::OutOfRange, r.field_name(field), f.view_at,
                     "view number " + std::to_string(f.view) + " is above 15 (valid: 0-15)",
                     "kept (ISO 2005 and ANSI 2004 records cannot hold it: the encoders refuse the view)");
  int& first = first_[static_cast<std::size_t>(f.position) * 256 + f.view];
  if (first >= 0) {
    diag.recoverable(ErrorCode::OutOfRange, r.field_name(field), f.view_at,
                     "finger position " + std::to_string(f.position) + " with view number " +
                         std::to_string(f.view) + " repeats view[" + std::to_string(first) +
                         "] (a finger's views must have distinct view numbers)",
                     "both views kept");
    return;
  }
  first = static_cast<int>(index);
}

std::vector<Minutia> read_minutiae(ByteReader& r, unsigned count, unsigned item_bytes,
                                   const Geometry& g, AngleUnit unit, bool iso2011_quality,
                                   Diagnostics& diag) {
  const std::size_t count_at = r.pos() - 1;  // the count byte was just read
  if (static_cast<std::size_t>(count) * item_bytes > r.remaining())
    r.fail(ErrorCode::CountMismatch, "minutiae_count", count_at,
           std::to_string(count) + " minutiae need " + std::to_string(count * item_bytes) +
               " bytes, only " + std::to_string(r.remaining()) + " left");
  std::vector<Minutia> out;
  out.reserve(count);
  for (unsigned i = 0; i < count; ++i) {
    r.set_minutia(static_cast<int>(i));
    const std::size_t at = r.pos();
    const std::uint16_t tx = r.u16("type_x");
    const std::uint16_t ry = r.u16("y");
    const std::uint8_t angle = r.u8("angle");
    const std::uint8_t quality = item_bytes >= 6 ? r.u8("quality") : 254;  // 254: not reported
    const unsigned type = tx >> 14;
    const unsigned x = tx & 0x3fffu;
    const unsigned y = ry & 0x3fffu;
    if (type == 3) r.fail(ErrorCode::ReservedValue, "type", at, "minutia type code 3 is reserved");
    if (ry >> 14)
      diag.recoverable(ErrorCode::ReservedValue, r.field_name("y"), at + 2,
                       "reserved top bits of the y field are non-zero");
    if (g.width != 0 && x >= g.width)
      r.fail(ErrorCode::OutOfRange, "x", at,
             "x = " + std::to_string(x) + " lies outside the declared image width " + std::to_string(g.width));
    if (g.height != 0 && y >= g.height)
      r.fail(ErrorCode::OutOfRange, "y", at + 2,
             "y = " + std::to_string(y) + " lies outside the declared image height " +
                 std::to_string(g.height));
    if (unit == AngleUnit::Ansi2Degree && angle > 179)
      r.fail(ErrorCode::OutOfRange, "angle", at + 4,
             "angle " + std::to_string(angle) + " is above 179 (2-degree units)");
    const bool quality_ok = quality <= 100 || (iso2011_quality && quality >= 254);
    if (!quality_ok)
      r.fail(ErrorCode::OutOfRange, "quality", at + 5,
             "minutia quality " + std::to_string(quality) + " is not 0-100" +
                 (iso2011_quality ? ", 254 or 255" : ""));
    Minutia m;
    m.x = to_canonical(x, g.x_ppcm);
    m.y = to_canonical(y, g.y_ppcm);
    if (m.x > 16383.0f || m.y > 16383.0f)
      r.fail(ErrorCode::OutOfRange, "x", at,
             "coordinates rescaled to 500 ppi exceed the 16383-pixel canonical range");
    const double rad = unit == AngleUnit::Iso256 ? angle * (2.0 * kPi / 256.0) : angle * (kPi / 90.0);
    m.theta = static_cast<float>(rad);
    m.type = static_cast<MinutiaType>(type);
    m.quality = quality;
    out.push_back(m);
  }
  r.set_minutia(-1);
  const RepeatedMinutiae rep = find_repeated_minutiae(out);
  if (rep.count > 0) {
    const std::string field = "minutia[" + std::to_string(rep.first) + "]";
    std::string detail = "repeats minutia[" + std::to_string(rep.original) + "] (same x, y and angle)";
    if (rep.count > 1) detail += "; " + std::to_string(rep.count) + " minutiae of this view repeat an earlier one";
    diag.recoverable(ErrorCode::OutOfRange, r.field_name(field.c_str()), count_at + 1 + rep.first * item_bytes,
                     detail, "kept");
  }
  return out;
}

void skip_extended_data(ByteReader& r, bool last_in_record, Diagnostics& diag) {
  const std::size_t at = r.pos();
  const std::uint16_t len = r.u16("extended_data_length");
  if (len == 0) return;
  if (len > r.remaining()) {
    const std::string detail = "declares " + std::to_string(len) + " bytes of extended data, only " +
                               std::to_string(r.remaining()) + " left in the record";
    if (!last_in_record) r.fail(ErrorCode::LengthMismatch, "extended_data_length", at, detail);
    diag.recoverable(ErrorCode::LengthMismatch, r.field_name("extended_data_length"), at, detail,
                     "skipped to the record end (extended data is not used for matching)");
    r.seek(r.end());
    return;
  }
  const std::size_t end = r.pos() + len;
  while (r.pos() < end) {
    const std::size_t block_at = r.pos();
    if (end - block_at < 4) {
      diag.recoverable(ErrorCode::LengthMismatch, r.field_name("extended_data_block"), block_at,
                       std::to_string(end - block_at) + " bytes left in the extended data, too few for a block header",
                       "rest of the extended data skipped");
      break;
    }
    const std::uint16_t type = r.u16("extended_data_block.type");
    const std::uint16_t blen = r.u16("extended_data_block.length");
    if (blen < 4 || blen > end - block_at) {
      diag.recoverable(ErrorCode::LengthMismatch, r.field_name("extended_data_block.length"), block_at + 2,
                       "block of type " + hex16(type) + " declares " + std::to_string(blen) +
                           " bytes, " + std::to_string(end - block_at) + " left in the extended data",
                       "rest of the extended data skipped");
      break;
    }
    r.skip(blen - 4u, "extended_data_block.data");
  }
  r.seek(end);
}

void check_record_length(ByteReader& r, std::uint32_t length, std::size_t size, std::size_t header_bytes) {
  if (length > size)
    r.fail(ErrorCode::Truncated, "record_length", 8,
           "declares " + std::to_string(length) + " bytes, the data holds " + std::to_string(size));
  if (length < header_bytes)
    r.fail(ErrorCode::LengthMismatch, "record_length", 8,
           "declares " + std::to_string(length) + " bytes, less than the " + std::to_string(header_bytes) +
               "-byte header");
  r.set_end(length);
}

unsigned read_view_count(ByteReader& r, Diagnostics& diag, std::size_t* at) {
  *at = r.pos();
  const unsigned nviews = r.u8("number_of_views");
  const std::size_t reserved_at = r.pos();
  if (r.u8("reserved") != 0)
    diag.recoverable(ErrorCode::ReservedValue, "reserved", reserved_at, "reserved header byte is non-zero");
  if (nviews == 0) r.fail(ErrorCode::NoViews, "number_of_views", *at, "the record declares zero finger views");
  return nviews;
}

void begin_view(ByteReader& r, unsigned v, unsigned n, const char* count_field, std::size_t count_at,
                const char* what) {
  r.clear_context();
  if (r.remaining() == 0)
    r.fail(ErrorCode::CountMismatch, count_field, count_at,
           "the record declares " + std::to_string(n) + " " + what + " and ends after " + std::to_string(v));
  r.set_view(static_cast<int>(v));
}

void add_equipment_fields(std::vector<HeaderField>& header, std::uint16_t equipment) {
  header.push_back({"capture_equipment_compliance", std::to_string(equipment >> 12)});
  header.push_back({"capture_equipment_id", hex16(equipment & 0x0fff)});
}

void add_geometry_fields(std::vector<HeaderField>& header, const Geometry& g) {
  header.push_back({"image_width", std::to_string(g.width)});
  header.push_back({"image_height", std::to_string(g.height)});
  header.push_back({"x_resolution_ppcm", std::to_string(g.x_ppcm)});
  header.push_back({"y_resolution_ppcm", std::to_string(g.y_ppcm)});
}

void check_record_end(ByteReader& r, std::size_t declared_length, std::size_t physical_size,
                      Diagnostics& diag) {
  r.clear_context();
  if (r.pos() < r.end())
    diag.recoverable(ErrorCode::LengthMismatch, "record_length", 8,
                     std::to_string(r.end() - r.pos()) +
                         " unused bytes between the last view and the declared record end");
  if (physical_size > declared_length)
    diag.recoverable(ErrorCode::LengthMismatch, "record_length", 8,
                     std::to_string(physical_size - declared_length) +
                         " bytes after the declared record end");
}

namespace {
// The view head of ISO 19794-2:2005 and ANSI 378-2004: position, view
// number and impression sharing a byte, quality; the record's geometry.
void read_view_head_2005(ByteReader& r, ViewFields& f, Geometry&, const DecodeOptions&, Diagnostics&) {
  f.position_at = r.pos();
  f.position = r.u8("finger_position");
  f.impression_at = f.view_at = r.pos();
  const std::uint8_t vi = r.u8("view_number_impression_type");
  f.view = vi >> 4;
  f.impression = vi & 0x0f;
  f.quality_at = r.pos();
  f.quality = r.u8("finger_quality");
}
}  // namespace

std::vector<Template> read_views(ByteReader& r, unsigned nviews, std::size_t nviews_at, AngleUnit unit,
                                 ViewHeadReader read_head, const Geometry& record_geometry,
                                 const DecodeOptions& opt, Diagnostics& diag) {
  std::vector<Template> views;
  views.reserve(nviews);
  ViewNumbers numbers;
  for (unsigned v = 0; v < nviews; ++v) {
    begin_view(r, v, nviews, "number_of_views", nviews_at, "views");
    ViewFields f;
    Geometry g = record_geometry;
    read_head(r, f, g, opt, diag);
    const unsigned count = r.u8("minutiae_count");
    const TemplateInfo info = make_info(r, g, f);
    numbers.add(r, f, v, "view_number", diag);
    std::vector<Minutia> minutiae = read_minutiae(r, count, 6, g, unit, false, diag);
    skip_extended_data(r, v + 1 == nviews, diag);
    views.emplace_back(info, std::move(minutiae));
  }
  r.clear_context();
  return views;
}

void read_body_2005(ByteReader& r, AngleUnit unit, const DecodeOptions& opt, Diagnostics& diag, DecodedRecord& rec) {
  const std::uint16_t equipment = r.u16("capture_equipment");
  Geometry g;
  g.width = r.u16("image_width");
  g.height = r.u16("image_height");
  read_resolution(r, g, opt, diag);
  std::size_t nviews_at = 0;
  const unsigned nviews = read_view_count(r, diag, &nviews_at);
  add_equipment_fields(rec.header, equipment);
  add_geometry_fields(rec.header, g);
  rec.header.push_back({"number_of_views", std::to_string(nviews)});
  rec.views = read_views(r, nviews, nviews_at, unit, read_view_head_2005, g, opt, diag);
}

void write_body_2005(ByteWriter& w, const std::vector<Template>& views, const Geometry& g,
                     std::uint16_t equipment_id, AngleUnit unit, const char* format) {
  w.u16(static_cast<std::uint16_t>(equipment_id & 0x0fff));
  w.u16(g.width);
  w.u16(g.height);
  w.u16(kCanonicalPpcm);
  w.u16(kCanonicalPpcm);
  w.u8(static_cast<std::uint8_t>(views.size()));
  w.u8(0);
  for (const Template& t : views) {
    const TemplateInfo& in = t.info();
    w.u8(static_cast<std::uint8_t>(in.position));
    w.u8(static_cast<std::uint8_t>((in.view << 4) | static_cast<unsigned>(in.impression)));
    w.u8(in.finger_quality);
    w.u8(static_cast<std::uint8_t>(t.size()));
    for (const Minutia& m : t.minutiae()) write_minutia(w, m, unit, g, format);
    w.u16(0);  // no extended data
  }
}

DecodedRecord decode_record(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt,
                            const RecordLayout& layout, RecordBodyReader read_body) {
  ByteReader r(data, size, layout.name);
  Diagnostics diag(opt.strict, layout.name);
  read_magic(r, layout.version);
  const std::uint32_t length = r.u32("record_length");
  check_record_length(r, length, size, layout.header_bytes);
  DecodedRecord rec;
  rec.format = layout.format;
  rec.header = {{"record_length", std::to_string(length)}};
  read_body(r, opt, diag, rec);
  check_record_end(r, length, size, diag);
  rec.warnings = diag.take();
  return rec;
}

// ---- encoding -------------------------------------------------------------

void check_encodable(const std::vector<Template>& views, const char* format) {
  const std::string f = format;
  if (views.empty()) throw Error(ErrorCode::InvalidArgument, f + ": a record needs at least one view");
  if (views.size() > 255) throw Error(ErrorCode::InvalidArgument, f + ": at most 255 views per record");
  for (std::size_t i = 0; i < views.size(); ++i) {
    if (views[i].size() > 255)
      throw Error(ErrorCode::InvalidArgument,
                  f + ": view " + std::to_string(i) + " has " + std::to_string(views[i].size()) +
                      " minutiae, the format holds at most 255");
    if (views[i].info().view > 15)
      throw Error(ErrorCode::InvalidArgument, f + ": view numbers are 4-bit (0-15)");
  }
  // What strict decoding refuses (ViewNumbers): a finger's views need
  // distinct view numbers.
  std::vector<int> first(11 * 16, -1);
  for (std::size_t i = 0; i < views.size(); ++i) {
    const TemplateInfo& in = views[i].info();
    int& seen = first[static_cast<std::size_t>(in.position) * 16 + in.view];
    if (seen >= 0)
      throw Error(ErrorCode::InvalidArgument,
                  f + ": views " + std::to_string(seen) + " and " + std::to_string(i) + " are both finger position " +
                      std::to_string(static_cast<unsigned>(in.position)) + ", view number " +
                      std::to_string(in.view) + " (a finger's views need distinct view numbers)");
    seen = static_cast<int>(i);
  }
}

Geometry encode_geometry(const std::vector<Template>& views, const char* format) {
  Geometry g;
  unsigned max_x = 0, max_y = 0;
  for (const Template& t : views) {
    g.width = std::max(g.width, t.info().width);
    g.height = std::max(g.height, t.info().height);
    for (const Minutia& m : t.minutiae()) {
      max_x = std::max(max_x, static_cast<unsigned>(std::lround(m.x)));
      max_y = std::max(max_y, static_cast<unsigned>(std::lround(m.y)));
    }
  }
  if (g.width == 0) g.width = static_cast<std::uint16_t>(max_x + 1);
  if (g.height == 0) g.height = static_cast<std::uint16_t>(max_y + 1);
  if (max_x >= g.width || max_y >= g.height)
    throw Error(ErrorCode::InvalidArgument,
                std::string(format) + ": a minutia lies outside the declared image size " +
                    std::to_string(g.width) + "x" + std::to_string(g.height));
  if (g.width > 16383 || g.height > 16383)
    throw Error(ErrorCode::InvalidArgument, std::string(format) + ": image larger than 16383 pixels");
  return g;
}

void write_minutia(ByteWriter& w, const Minutia& m, AngleUnit unit, const Geometry&, const char*) {
  const unsigned x = static_cast<unsigned>(std::lround(m.x));
  const unsigned y = static_cast<unsigned>(std::lround(m.y));
  w.u16(static_cast<std::uint16_t>((static_cast<unsigned>(m.type) << 14) | x));
  w.u16(static_cast<std::uint16_t>(y));
  long a;
  if (unit == AngleUnit::Iso256) {
    a = std::lround(m.theta * (256.0 / (2.0 * kPi))) % 256;
  } else {
    a = std::lround(m.theta * (90.0 / kPi)) % 180;
  }
  w.u8(static_cast<std::uint8_t>(a));
  // ISO 2011's "not computed" (254) and "failed" (255) have no 2005/2004
  // equivalent; they are written as 0.
  w.u8(m.quality <= 100 ? m.quality : 0);
}

}  // namespace fpm::detail
