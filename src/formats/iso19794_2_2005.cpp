// ISO/IEC 19794-2:2005 finger minutiae record (version " 20").
//
// Layout (big-endian):
//   0  "FMR\0"            4  format identifier
//   4  " 20\0"            4  version
//   8  record length      4  whole record, header included
//  12  capture equipment  2  4 bits compliance, 12 bits equipment id
//  14  image width        2  pixels
//  16  image height       2  pixels
//  18  x resolution       2  pixels per cm
//  20  y resolution       2  pixels per cm
//  22  number of views    1
//  23  reserved           1  0
//  24  views: position 1, view number (4 bits) + impression (4 bits) 1,
//      finger quality 1, minutiae count 1, minutiae 6 bytes each
//      (type 2 bits + x 14 bits, reserved 2 bits + y 14 bits, angle in
//      360/256 degree units, quality), extended data length 2 + data.
// Angles are counter-clockwise from the positive x axis with y downwards:
// already the canonical frame, only the unit changes.
#include "formats/codec.hpp"
#include "formats/incits_common.hpp"

namespace fpm::detail {

namespace {
constexpr const char* kFormat = "ISO/IEC 19794-2:2005";
constexpr std::size_t kHeaderBytes = 24;
}  // namespace

DecodedRecord decode_iso2005(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt) {
  ByteReader r(data, size, kFormat);
  Diagnostics diag(opt.strict, kFormat);
  read_magic(r, " 20");
  const std::uint32_t length = r.u32("record_length");
  check_record_length(r, length, size, kHeaderBytes);
  const std::uint16_t equipment = r.u16("capture_equipment");
  Geometry g;
  g.width = r.u16("image_width");
  g.height = r.u16("image_height");
  read_resolution(r, g, opt, diag);
  std::size_t nviews_at = 0;
  const unsigned nviews = read_view_count(r, diag, &nviews_at);

  DecodedRecord rec;
  rec.format = Format::Iso19794_2_2005;
  rec.header = {{"record_length", std::to_string(length)}};
  add_equipment_fields(rec.header, equipment);
  add_geometry_fields(rec.header, g);
  rec.header.push_back({"number_of_views", std::to_string(nviews)});
  rec.views = read_views_2005(r, g, nviews, nviews_at, AngleUnit::Iso256, diag);
  check_record_end(r, length, size, diag);
  rec.warnings = diag.take();
  return rec;
}

std::vector<std::uint8_t> encode_iso2005(const std::vector<Template>& views, const EncodeOptions& opt) {
  check_encodable(views, kFormat);
  const Geometry g = encode_geometry(views, kFormat);
  ByteWriter w;
  w.bytes("FMR\0 20\0", 8);
  w.u32(0);  // record length, patched below
  w.u16(static_cast<std::uint16_t>(opt.capture_equipment_id & 0x0fff));
  w.u16(g.width);
  w.u16(g.height);
  w.u16(kCanonicalPpcm);
  w.u16(kCanonicalPpcm);
  w.u8(static_cast<std::uint8_t>(views.size()));
  w.u8(0);
  write_views_2005(w, views, g, AngleUnit::Iso256, kFormat);
  w.patch_u32(8, static_cast<std::uint32_t>(w.size()));
  return w.take();
}

}  // namespace fpm::detail
