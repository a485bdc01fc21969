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
constexpr RecordLayout kLayout = {"ISO/IEC 19794-2:2005", Format::Iso19794_2_2005, " 20", 24};
constexpr const char* kFormat = kLayout.name;

void read_iso2005(ByteReader& r, const DecodeOptions& opt, Diagnostics& diag, DecodedRecord& rec) {
  read_body_2005(r, AngleUnit::Iso256, opt, diag, rec);
}
}  // namespace

DecodedRecord decode_iso2005(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt) {
  return decode_record(data, size, opt, kLayout, read_iso2005);
}

std::vector<std::uint8_t> encode_iso2005(const std::vector<Template>& views, const EncodeOptions& opt) {
  check_encodable(views, kFormat);
  const Geometry g = encode_geometry(views, kFormat);
  ByteWriter w;
  w.bytes("FMR\0 20\0", 8);
  w.u32(0);  // record length, patched below
  write_body_2005(w, views, g, opt.capture_equipment_id, AngleUnit::Iso256, kFormat);
  w.patch_u32(8, static_cast<std::uint32_t>(w.size()));
  return w.take();
}

}  // namespace fpm::detail
