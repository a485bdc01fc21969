// Pieces shared by the ISO/IEC 19794-2 and ANSI INCITS 378 codecs: the
// record frame, the 2005 layout ISO 2005 and ANSI 2004 share, the run of
// views, the 5/6-byte minutia item, the extended data area, view metadata
// checks and the canonical-frame conversion. Each format's own layout lives
// in its own file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/codec.hpp"
#include "util/byte_reader.hpp"
#include "util/byte_writer.hpp"

namespace fpm::detail {

constexpr std::uint16_t kCanonicalPpcm = 197;  // 500 ppi
constexpr std::uint8_t kMagic[4] = {'F', 'M', 'R', 0};

enum class AngleUnit {
  Iso256,       // ISO 19794-2: 360/256 degrees per unit, 0-255
  Ansi2Degree,  // ANSI 378: 2 degrees per unit, 0-179
};

// Image geometry as declared by a record (raw, in the record's own pixels).
struct Geometry {
  std::uint16_t width = 0;
  std::uint16_t height = 0;
  std::uint16_t x_ppcm = kCanonicalPpcm;
  std::uint16_t y_ppcm = kCanonicalPpcm;
};

// Checks the 8-byte magic + version; throws DecodeError(UnknownFormat).
void read_magic(ByteReader& r, const char version[4]);

// The record length (stored at byte 8) against the data and the header:
// Truncated or LengthMismatch; the reader then ends at the declared length.
void check_record_length(ByteReader& r, std::uint32_t length, std::size_t size, std::size_t header_bytes);

// number_of_views and the reserved byte after it (ISO 2005, ANSI 2004 and
// 2009): a non-zero reserved byte is recoverable, zero views are refused.
// *at receives the count's offset.
unsigned read_view_count(ByteReader& r, Diagnostics& diag, std::size_t* at);

// Starts view (or representation) v of n: fields are then reported with
// the view's number; a record that ends before it is CountMismatch against
// the count `count_field` at `count_at`.
void begin_view(ByteReader& r, unsigned v, unsigned n, const char* count_field, std::size_t count_at,
                const char* what);

// Header fields for display: the capture equipment word (compliance, id)
// and the image geometry (size, resolution).
void add_equipment_fields(std::vector<HeaderField>& header, std::uint16_t equipment);
void add_geometry_fields(std::vector<HeaderField>& header, const Geometry& g);

// Reads the two resolution fields (pixels per cm) and handles a zero value
// (refused unless the caller supplied an assumed resolution).
void read_resolution(ByteReader& r, Geometry& g, const DecodeOptions& opt, Diagnostics& diag);

// Validates the per-view metadata; `at` are the byte offsets of the fields.
struct ViewFields {
  std::uint8_t position = 0;
  std::size_t position_at = 0;
  std::uint8_t view = 0;
  std::size_t view_at = 0;
  std::uint8_t impression = 0;
  std::size_t impression_at = 0;
  std::uint8_t quality = 0;
  std::size_t quality_at = 0;
};
TemplateInfo make_info(const ByteReader& r, const Geometry& g, const ViewFields& f);

// The view numbers of one record. All four standards give a finger's views
// distinct view numbers, 0-15 (a 4-bit field in ISO 2005 / ANSI 2004, a byte
// holding 0-15 in ISO 2011 / ANSI 2009): a view number above 15 or a
// (finger position, view number) pair seen before is recoverable (strict mode
// refuses it; lenient decoding keeps the view as it is). Call after
// make_info(), which refuses finger positions above 10. `field` names the
// view-number field.
class ViewNumbers {
 public:
  ViewNumbers() : first_(11 * 256, -1) {}
  void add(const ByteReader& r, const ViewFields& f, unsigned index, const char* field, Diagnostics& diag);

 private:
  std::vector<int> first_;  // [position * 256 + view]: the first view with that pair, -1 if none
};

// Reads `count` minutiae of `item_bytes` (5: no quality, 6: with quality).
// Checks up front that the count fits in the data (CountMismatch otherwise).
// A minutia repeating an earlier one (same x, y and angle) is recoverable.
std::vector<Minutia> read_minutiae(ByteReader& r, unsigned count, unsigned item_bytes,
                                   const Geometry& g, AngleUnit unit, bool iso2011_quality,
                                   Diagnostics& diag);

// Reads the extended data length and skips the blocks it announces, checking
// each block's header. fpmatch does not use extended data; inconsistencies in
// it are recoverable, except that the area must not run past the record
// unless it is the very last thing in it (`last_in_record`).
void skip_extended_data(ByteReader& r, bool last_in_record, Diagnostics& diag);

// After the last view: the declared record end versus what was parsed and the
// bytes physically present.
void check_record_end(ByteReader& r, std::size_t declared_length, std::size_t physical_size,
                      Diagnostics& diag);

// Reads the fields of a view before its minutiae count: finger position,
// view number, impression and quality into f and, where the format gives
// each view its own image (ANSI 2009), that geometry into g, which comes in
// as the record's.
using ViewHeadReader = void (*)(ByteReader& r, ViewFields& f, Geometry& g, const DecodeOptions& opt,
                                Diagnostics& diag);

// `nviews` views in a row (ISO 2005, ANSI 2004 and ANSI 2009), each: its
// head (`read_head`, starting from `record_geometry`), the minutiae count,
// 6-byte minutiae with `unit` angles, the extended data.
std::vector<Template> read_views(ByteReader& r, unsigned nviews, std::size_t nviews_at, AngleUnit unit,
                                 ViewHeadReader read_head, const Geometry& record_geometry,
                                 const DecodeOptions& opt, Diagnostics& diag);

// From the capture equipment word on, ISO 19794-2:2005 and ANSI 378-2004
// records are identical but for the angle unit: equipment, image size and
// resolution, view count and reserved byte, then the views. Reads them into
// rec, appending to the header fields already there.
void read_body_2005(ByteReader& r, AngleUnit unit, const DecodeOptions& opt, Diagnostics& diag, DecodedRecord& rec);
// The same part written: `equipment_id`, the geometry g at 500 ppi, the views.
void write_body_2005(ByteWriter& w, const std::vector<Template>& views, const Geometry& g,
                     std::uint16_t equipment_id, AngleUnit unit, const char* format);

// ---- the record frame -----------------------------------------------------
// What tells apart the records whose length is the 4-byte field at byte 8
// (ISO 2005, ISO 2011, ANSI 2009): the format's name for errors, its
// version string and its fixed header size. (ANSI 2004, with its 2- or
// 6-byte length, frames its records itself.)
struct RecordLayout {
  const char* name;
  Format format;
  const char* version;
  std::size_t header_bytes;
};
// Reads a record's own fields and views, after the record length, into rec.
using RecordBodyReader = void (*)(ByteReader& r, const DecodeOptions& opt, Diagnostics& diag, DecodedRecord& rec);
// Decodes such a record: magic, version and length (header field
// "record_length" first), then `read_body`, then the record's end against
// the length and the data; the warnings collected go into the result.
DecodedRecord decode_record(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt,
                            const RecordLayout& layout, RecordBodyReader read_body);

// ---- encoding -------------------------------------------------------------
// Record-level geometry for a set of views at 500 ppi: the largest declared
// image size, or (when unknown) the smallest image holding every minutia.
Geometry encode_geometry(const std::vector<Template>& views, const char* format);
void write_minutia(ByteWriter& w, const Minutia& m, AngleUnit unit, const Geometry& g,
                   const char* format);
void check_encodable(const std::vector<Template>& views, const char* format);

std::string hex16(std::uint16_t v);

}  // namespace fpm::detail
