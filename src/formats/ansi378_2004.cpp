// ANSI INCITS 378-2004 finger minutiae record (version " 20").
//
// Layout (big-endian):
//   0  "FMR\0", " 20\0"   8
//   8  record length      2, or 0 followed by a 4-byte length (the 6-byte form)
//      CBEFF product id   4  owner 2 + type 2
//      capture equipment  2  4 bits compliance, 12 bits id
//      image width/height 2 + 2
//      x/y resolution     2 + 2 pixels per cm
//      number of views    1
//      reserved           1
//   views: as ISO 19794-2:2005, but angles in 2-degree units (0-179).
// Same canonical frame as ISO: counter-clockwise, y downwards.
#include "formats/codec.hpp"
#include "formats/incits_common.hpp"

namespace fpm::detail {

namespace {
constexpr const char* kFormat = "ANSI INCITS 378-2004";
}  // namespace

DecodedRecord decode_ansi2004(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt) {
  ByteReader r(data, size, kFormat);
  Diagnostics diag(opt.strict, kFormat);
  read_magic(r, " 20");
  std::uint32_t length = r.u16("record_length");
  bool long_form = false;
  if (length == 0) {
    length = r.u32("record_length_long");
    long_form = true;
  }
  const std::size_t header_bytes = long_form ? 30 : 26;
  check_record_length(r, length, size, header_bytes);
  const std::uint16_t cbeff_owner = r.u16("cbeff_product_owner");
  const std::uint16_t cbeff_type = r.u16("cbeff_product_type");

  DecodedRecord rec;
  rec.format = Format::Ansi378_2004;
  rec.header = {{"record_length", std::to_string(length) + (long_form ? " (6-byte form)" : "")},
                {"cbeff_product_id", hex16(cbeff_owner) + "/" + hex16(cbeff_type)}};
  read_body_2005(r, AngleUnit::Ansi2Degree, opt, diag, rec);
  check_record_end(r, length, size, diag);
  rec.warnings = diag.take();
  return rec;
}

std::vector<std::uint8_t> encode_ansi2004(const std::vector<Template>& views, const EncodeOptions& opt) {
  check_encodable(views, kFormat);
  const Geometry g = encode_geometry(views, kFormat);
  std::size_t body = 0;
  for (const Template& t : views) body += 4 + 6 * t.size() + 2;
  const bool long_form = 26 + body > 0xffff;
  ByteWriter w;
  w.bytes("FMR\0 20\0", 8);
  if (long_form) {
    w.u16(0);
    w.u32(static_cast<std::uint32_t>(30 + body));
  } else {
    w.u16(static_cast<std::uint16_t>(26 + body));
  }
  w.u16(opt.cbeff_owner);
  w.u16(opt.cbeff_type);
  write_body_2005(w, views, g, opt.capture_equipment_id, AngleUnit::Ansi2Degree, kFormat);
  return w.take();
}

}  // namespace fpm::detail
