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
constexpr const char* kFormat = "ANSI INCITS 378-2009";
constexpr std::size_t kHeaderBytes = 20;
}  // namespace

DecodedRecord decode_ansi2009(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt) {
  ByteReader r(data, size, kFormat);
  Diagnostics diag(opt.strict, kFormat);
  read_magic(r, "030");
  const std::uint32_t length = r.u32("record_length");
  check_record_length(r, length, size, kHeaderBytes);
  const std::uint16_t cbeff_owner = r.u16("cbeff_product_owner");
  const std::uint16_t cbeff_type = r.u16("cbeff_product_type");
  const std::uint16_t equipment = r.u16("capture_equipment");
  std::size_t nviews_at = 0;
  const unsigned nviews = read_view_count(r, diag, &nviews_at);

  DecodedRecord rec;
  rec.format = Format::Ansi378_2009;
  rec.header = {{"record_length", std::to_string(length)},
                {"cbeff_product_id", hex16(cbeff_owner) + "/" + hex16(cbeff_type)}};
  add_equipment_fields(rec.header, equipment);
  rec.header.push_back({"number_of_views", std::to_string(nviews)});
  ViewNumbers numbers;
  for (unsigned v = 0; v < nviews; ++v) {
    begin_view(r, v, nviews, "number_of_views", nviews_at, "views");
    ViewFields f;
    f.position_at = r.pos();
    f.position = r.u8("finger_position");
    f.view_at = r.pos();
    f.view = r.u8("view_number");
    f.impression_at = r.pos();
    f.impression = r.u8("impression_type");
    f.quality_at = r.pos();
    f.quality = r.u8("finger_quality");
    r.skip(4, "quality_algorithm");
    Geometry g;
    g.width = r.u16("image_width");
    g.height = r.u16("image_height");
    read_resolution(r, g, opt, diag);
    const unsigned count = r.u8("minutiae_count");
    const TemplateInfo info = make_info(r, g, f);
    numbers.add(r, f, v, "view_number", diag);
    std::vector<Minutia> minutiae = read_minutiae(r, count, 6, g, AngleUnit::Ansi2Degree, false, diag);
    skip_extended_data(r, v + 1 == nviews, diag);
    rec.views.emplace_back(info, std::move(minutiae));
  }
  check_record_end(r, length, size, diag);
  rec.warnings = diag.take();
  return rec;
}

}  // namespace fpm::detail
