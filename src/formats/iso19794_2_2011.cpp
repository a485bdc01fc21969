// ISO/IEC 19794-2:2011 finger minutiae record (version "030"), decode only.
//
// Layout (big-endian):
//   0  "FMR\0", "030\0"       8
//   8  record length          4
//  12  number of representations 2
//  14  certification flag     1  0 or 1
//  15  representations, each:
//      representation length  4  this representation, its length field included
//      capture date/time      9
//      device technology 1, device vendor 2, device type 2
//      quality block count 1, then 5 bytes each (score, vendor, algorithm)
//      [certification count 1, then 3 bytes each]   only when the flag is 1
//      finger position 1, representation number 1
//      x/y resolution 2 + 2 (pixels per cm), impression type 1
//      image width/height 2 + 2
//      minutia item size (high 4 bits: 5 or 6) + ridge ending type (low 4 bits) 1
//      minutiae count 1, minutiae (5 or 6 bytes: no quality / quality)
//      extended data length 2 + data
// Angles in 360/256 degree units, counter-clockwise, y downwards (canonical).
#include "formats/codec.hpp"
#include "formats/incits_common.hpp"

namespace fpm::detail {

namespace {
constexpr RecordLayout kLayout = {"ISO/IEC 19794-2:2011", Format::Iso19794_2_2011, "030", 15};
constexpr std::size_t kMinRepresentationBytes = 4 + 9 + 5 + 1 + 2 + 4 + 1 + 4 + 2 + 2;

void read_iso2011(ByteReader& r, const DecodeOptions& opt, Diagnostics& diag, DecodedRecord& rec) {
  const std::size_t nreps_at = r.pos();
  const unsigned nreps = r.u16("number_of_representations");
  const std::size_t cert_at = r.pos();
  const std::uint8_t cert_flag = r.u8("certification_flag");
  if (cert_flag > 1)
    r.fail(ErrorCode::ReservedValue, "certification_flag", cert_at,
           "certification flag " + std::to_string(cert_flag) + " (valid: 0 or 1)");
  if (nreps == 0) r.fail(ErrorCode::NoViews, "number_of_representations", nreps_at,
                         "the record declares zero finger representations");
  rec.header.push_back({"number_of_representations", std::to_string(nreps)});
  rec.header.push_back({"certification_flag", std::to_string(cert_flag)});
  const std::size_t record_end = r.end();
  ViewNumbers numbers;
  for (unsigned v = 0; v < nreps; ++v) {
    r.set_end(record_end);
    begin_view(r, v, nreps, "number_of_representations", nreps_at, "representations");
    const std::size_t rep_at = r.pos();
    const std::uint32_t rep_length = r.u32("representation_length");
    if (rep_length < kMinRepresentationBytes)
      r.fail(ErrorCode::LengthMismatch, "representation_length", rep_at,
             "declares " + std::to_string(rep_length) + " bytes, less than the smallest representation (" +
                 std::to_string(kMinRepresentationBytes) + ")");
    if (rep_length > record_end - rep_at)
      r.fail(ErrorCode::LengthMismatch, "representation_length", rep_at,
             "declares " + std::to_string(rep_length) + " bytes, only " +
                 std::to_string(record_end - rep_at) + " left in the record");
    r.set_end(rep_at + rep_length);
    r.skip(9, "capture_datetime");
    r.skip(5, "capture_device");
    const unsigned nquality = r.u8("quality_record_count");
    r.skip(5u * nquality, "quality_records");
    if (cert_flag) {
      const unsigned ncert = r.u8("certification_record_count");
      r.skip(3u * ncert, "certification_records");
    }
    ViewFields f;
    f.position_at = r.pos();
    f.position = r.u8("finger_position");
    f.view_at = r.pos();
    f.view = r.u8("representation_number");
    Geometry g;
    read_resolution(r, g, opt, diag);
    f.impression_at = r.pos();
    f.impression = r.u8("impression_type");
    g.width = r.u16("image_width");
    g.height = r.u16("image_height");
    const std::size_t item_at = r.pos();
    const std::uint8_t item = r.u8("minutia_field_length");
    const unsigned item_bytes = item >> 4;
    if (item_bytes != 5 && item_bytes != 6)
      r.fail(ErrorCode::ReservedValue, "minutia_field_length", item_at,
             "minutia items of " + std::to_string(item_bytes) + " bytes (valid: 5 or 6)");
    if ((item & 0x0f) > 2)
      diag.recoverable(ErrorCode::ReservedValue, r.field_name("ridge_ending_type"), item_at,
                       "ridge ending type " + std::to_string(item & 0x0f) + " is reserved");
    const unsigned count = r.u8("minutiae_count");
    f.quality = 0;  // 2011 keeps finger quality in the quality blocks, not here
    const TemplateInfo info = make_info(r, g, f);
    numbers.add(r, f, v, "representation_number", diag);
    std::vector<Minutia> minutiae =
        read_minutiae(r, count, item_bytes, g, AngleUnit::Iso256, true, diag);
    skip_extended_data(r, v + 1 == nreps, diag);
    if (r.remaining() != 0)
      diag.recoverable(ErrorCode::LengthMismatch, r.field_name("representation_length"), rep_at,
                       std::to_string(r.remaining()) + " unused bytes at the end of the representation");
    r.seek(r.end());
    rec.views.emplace_back(info, std::move(minutiae));
  }
  r.set_end(record_end);
}
}  // namespace

DecodedRecord decode_iso2011(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt) {
  return decode_record(data, size, opt, kLayout, read_iso2011);
}

}  // namespace fpm::detail
