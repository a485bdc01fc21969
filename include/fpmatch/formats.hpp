// fpmatch: reading and writing standard minutiae template records.
//
// Supported formats (see docs/formats.md for what each decoder accepts and
// refuses):
//   ISO/IEC 19794-2:2005 ........ decode + encode
//   ISO/IEC 19794-2:2011 ........ decode
//   ANSI INCITS 378-2004 ........ decode + encode (2- and 6-byte length forms)
//   ANSI INCITS 378-2009 ........ decode ("030" in the ANSI layout)
//   NIST .xyt text .............. decode + encode (NIST and M1 conventions)
//   ANSI/NIST-ITL (Type-9) ...... decode + encode (traditional encoding, minutiae only)
// Every decoder converts into the canonical frame of template.hpp and every
// encoder converts out of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fpmatch/export.h"
#include "fpmatch/template.hpp"

namespace fpm {

enum class Format : std::uint8_t {
  Auto = 0,            // decode: detect from the bytes
  Iso19794_2_2005 = 1,
  Iso19794_2_2011 = 2,
  Ansi378_2004 = 3,
  Ansi378_2009 = 4,
  NistXyt = 5,
  AnsiNistItl = 6,     // Type-9 minutiae in the standard format (docs/formats.md)
  Unknown = 255,       // detect_format(): none of the above
};

// "iso2005", "iso2011", "ansi2004", "ansi2009", "xyt", "an2k", "auto", "unknown".
FPM_API const char* format_name(Format format) noexcept;
// Long name, e.g. "ISO/IEC 19794-2:2005".
FPM_API const char* format_title(Format format) noexcept;
// Inverse of format_name(); also accepts "iso", "ansi", "iso19794-2:2005",
// "ansi378-2004" style spellings. Throws fpm::Error(InvalidArgument).
FPM_API Format parse_format_name(const std::string& name);

// How .xyt text places its origin and measures theta.
enum class XytConvention : std::uint8_t {
  // mindtct's default output and bozorth3's default input: origin at the
  // bottom-left (y grows upwards), theta in degrees counter-clockwise pointing
  // opposite to the ISO direction (ISO theta = NIST theta + 180 degrees).
  Nist = 0,
  // mindtct -m1 / bozorth3 -m1 (ANSI INCITS 378 convention): origin at the
  // top-left, theta in degrees counter-clockwise along the ridge, as ISO.
  M1 = 1,
};

struct DecodeOptions {
  Format format = Format::Auto;  // Auto: detect from the bytes
  // Strict: refuse records with recoverable oddities (bytes after the declared
  // record, an extended-data block running past the record, non-zero reserved
  // bits) instead of decoding them with a warning.
  bool strict = false;
  XytConvention xyt_convention = XytConvention::Nist;
  // .xyt records carry no image size. The NIST convention needs the image
  // height to flip y; give it here (canonical pixels). When 0, the height is
  // taken as max(y) + 1 and a warning says so: the frame is then only defined
  // up to a vertical shift, which matching does not care about.
  std::uint16_t xyt_image_width = 0;
  std::uint16_t xyt_image_height = 0;
  // Records that declare a resolution of 0 are refused unless this is set
  // (pixels per cm; 197 = 500 ppi), in which case it is assumed instead.
  std::uint16_t assume_resolution_ppcm = 0;
  // Coordinates known not to be at the resolution the record declares (the
  // image was resized before extraction, e.g. without keeping its aspect
  // ratio): every decoded view is rescaled(view, rescale_x, rescale_y)
  // (template.hpp). To undo a resize by (fx, fy), give (1 / fx, 1 / fy).
  // 1, 1: as declared. Each must be finite and in [0.25, 4].
  double rescale_x = 1.0;
  double rescale_y = 1.0;
};

struct HeaderField {
  std::string name;
  std::string value;
};

struct DecodedRecord {
  Format format = Format::Unknown;
  std::vector<HeaderField> header;    // record-level fields as stored, for display
  std::vector<Template> views;        // one template per finger view, in record order
  std::vector<std::string> warnings;  // recoverable oddities accepted in lenient mode
};

// Detects the format of a record from its bytes. ISO and ANSI records share
// their magic and version strings; they are told apart by their length fields
// and structure. Returns Format::Unknown when nothing matches.
FPM_API Format detect_format(const std::uint8_t* data, std::size_t size) noexcept;

// Decodes a record. Throws fpm::DecodeError naming the field and byte offset
// on malformed input; never returns a partially filled template.
FPM_API DecodedRecord decode(const std::uint8_t* data, std::size_t size,
                             const DecodeOptions& options = {});
FPM_API DecodedRecord decode(const std::vector<std::uint8_t>& bytes,
                             const DecodeOptions& options = {});
// Reads a whole file and decodes it (fpm::Error(Io) when it cannot be read).
FPM_API DecodedRecord decode_file(const std::string& path, const DecodeOptions& options = {});

struct EncodeOptions {
  XytConvention xyt_convention = XytConvention::Nist;
  // ISO/ANSI header fields that the template model does not carry.
  std::uint16_t capture_equipment_id = 0;   // 12 bits
  std::uint16_t cbeff_owner = 0;            // ANSI only
  std::uint16_t cbeff_type = 0;             // ANSI only
  // ANSI/NIST-ITL only: 1.005 (date, YYYYMMDD; empty: today, UTC) and
  // 1.004 (type of transaction, agency-defined; empty: "FPM").
  std::string date;
  std::string transaction_type;
};

// Encodes one or more views as one record, at 500 ppi in the format's own
// convention. Supported: Iso19794_2_2005, Ansi378_2004, NistXyt (one view),
// AnsiNistItl (a transaction: Type-1 and one Type-9 record per view, minutiae
// only, docs/formats.md).
// Throws fpm::Error(InvalidArgument) for templates the format cannot hold
// (more than 255 minutiae, coordinates past 14 bits, ...), UnsupportedFormat
// for formats without an encoder.
FPM_API std::vector<std::uint8_t> encode(const std::vector<Template>& views, Format format,
                                         const EncodeOptions& options = {});

// Reads a whole file (fpm::Error(Io) on failure). Writes atomically: a
// temporary file in the same folder, flushed, then renamed over the target.
FPM_API std::vector<std::uint8_t> read_file(const std::string& path);
FPM_API void write_file_atomic(const std::string& path, const std::uint8_t* data, std::size_t size);

}  // namespace fpm
