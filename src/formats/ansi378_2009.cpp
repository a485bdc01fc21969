// ANSI INCITS 378-2009 finger minutiae record (version "030" in the ANSI
// layout), decode only.
//
// Layout (big-endian):
//   0  "FMR\0", "030\0"   8
//   8  record length      4
//  12  CBEFF product id   4  owner 2 + type 2
//  16  capture equipment  2  4 bits compliance, 12 bits id
//  18  number of views    1
//  19  reserved           1
//  20  views, each:
//      finger position 1, view number 1, impression type 1, finger quality 1,
//      quality algorithm owner 2 + id 2,
//      image width/height 2 + 2, x/y resolution 2 + 2 (pixels per cm),
//      minutiae count 1, minutiae 6 bytes each (angles in 2-degree units),
//      extended data length 2 + data.
#include "formats/codec.hpp"
#include "formats/incits_common.hpp"

namespace fpm::detail {

namespace {
constexpr RecordLayout kLayout = {"ANSI INCITS 378-2009", Format::Ansi378_2009, "030", 20};

// A 2009 view carries its own quality algorithm and image (size and
// resolution) where 2004 has one image for the record.
void read_view_head(ByteReader& r, ViewFields& f, Geometry& g, const DecodeOptions& opt, Diagnostics& diag) {
  f.position_at = r.pos();
  f.position = r.u8("finger_position");
  f.view_at = r.pos();
  f.view = r.u8("view_number");
  f.impression_at = r.pos();
  f.impression = r.u8("impression_type");
  f.quality_at = r.pos();
  f.quality = r.u8("finger_quality");
  r.skip(4, "quality_algorithm");
  g.width = r.u16("image_width");
  g.height = r.u16("image_height");
  read_resolution(r, g, opt, diag);
}

void read_ansi2009(ByteReader& r, const DecodeOptions& opt, Diagnostics& diag, DecodedRecord& rec) {
  const std::uint16_t cbeff_owner = r.u16("cbeff_product_owner");
  const std::uint16_t cbeff_type = r.u16("cbeff_product_type");
  const std::uint16_t equipment = r.u16("capture_equipment");
  std::size_t nviews_at = 0;
  const unsigned nviews = read_view_count(r, diag, &nviews_at);
  rec.header.push_back({"cbeff_product_id", hex16(cbeff_owner) + "/" + hex16(cbeff_type)});
  add_equipment_fields(rec.header, equipment);
  rec.header.push_back({"number_of_views", std::to_string(nviews)});
  rec.views = read_views(r, nviews, nviews_at, AngleUnit::Ansi2Degree, read_view_head, Geometry{}, opt, diag);
}
}  // namespace

DecodedRecord decode_ansi2009(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt) {
  return decode_record(data, size, opt, kLayout, read_ansi2009);
}

}  // namespace fpm::detail
