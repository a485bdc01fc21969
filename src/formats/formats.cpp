// Format names, detection and dispatch to the per-format codecs.
#include <cmath>
#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>

#include "formats/codec.hpp"
#include "util/file_io.hpp"

namespace fpm {

const char* format_name(Format f) noexcept {
  switch (f) {
    case Format::Auto: return "auto";
    case Format::Iso19794_2_2005: return "iso2005";
    case Format::Iso19794_2_2011: return "iso2011";
    case Format::Ansi378_2004: return "ansi2004";
    case Format::Ansi378_2009: return "ansi2009";
    case Format::NistXyt: return "xyt";
    case Format::AnsiNistItl: return "an2k";
    case Format::Unknown: return "unknown";
  }
  return "unknown";
}

const char* format_title(Format f) noexcept {
  switch (f) {
    case Format::Auto: return "automatic detection";
    case Format::Iso19794_2_2005: return "ISO/IEC 19794-2:2005";
    case Format::Iso19794_2_2011: return "ISO/IEC 19794-2:2011";
    case Format::Ansi378_2004: return "ANSI INCITS 378-2004";
    case Format::Ansi378_2009: return "ANSI INCITS 378-2009";
    case Format::NistXyt: return "NIST .xyt text";
    case Format::AnsiNistItl: return "ANSI/NIST-ITL transaction";
    case Format::Unknown: return "unknown";
  }
  return "unknown";
}

Format parse_format_name(const std::string& name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  n.erase(std::remove_if(n.begin(), n.end(), [](char c) { return c == '-' || c == '_' || c == ':' || c == ' '; }),
          n.end());
  if (n == "auto") return Format::Auto;
  if (n == "iso2005" || n == "iso" || n == "iso197942" || n == "iso1979422005") return Format::Iso19794_2_2005;
  if (n == "iso2011" || n == "iso1979422011") return Format::Iso19794_2_2011;
  if (n == "ansi2004" || n == "ansi" || n == "ansi378" || n == "ansi3782004" || n == "incits3782004")
    return Format::Ansi378_2004;
  if (n == "ansi2009" || n == "ansi3782009" || n == "incits3782009") return Format::Ansi378_2009;
  if (n == "xyt" || n == "nistxyt" || n == "nist") return Format::NistXyt;
  if (n == "an2k" || n == "ansinist" || n == "ansinistitl") return Format::AnsiNistItl;
  throw Error(ErrorCode::InvalidArgument,
              "unknown format name '" + name + "' (known: iso2005, iso2011, ansi2004, ansi2009, xyt, an2k)");
}

namespace {

using detail::Diagnostics;

DecodedRecord decode_as(Format f, const std::uint8_t* data, std::size_t size, const DecodeOptions& opt) {
  switch (f) {
    case Format::Iso19794_2_2005: return detail::decode_iso2005(data, size, opt);
    case Format::Iso19794_2_2011: return detail::decode_iso2011(data, size, opt);
    case Format::Ansi378_2004: return detail::decode_ansi2004(data, size, opt);
    case Format::Ansi378_2009: return detail::decode_ansi2009(data, size, opt);
    case Format::NistXyt: return detail::decode_xyt(data, size, opt);
    case Format::AnsiNistItl: return detail::decode_an2k(data, size, opt);
    default:
      throw Error(ErrorCode::InvalidArgument, std::string("cannot decode as '") + format_name(f) + "'");
  }
}

bool has_fmr_magic(const std::uint8_t* d, std::size_t n) {
  return n >= 8 && std::memcmp(d, "FMR\0", 4) == 0;
}

bool looks_like_an2k(const std::uint8_t* d, std::size_t n) {
  return n >= 6 && std::memcmp(d, "1.001:", 6) == 0;
}

bool looks_like_xyt(const std::uint8_t* d, std::size_t n) {
  bool digit = false;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t c = d[i];
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '-') {
      return false;
    }
  }
  return digit;
}

// The two layouts that share an FMR version string, tried in order of
// preference when both decode.
struct Candidates {
  Format first, second;
};

bool fmr_candidates(const std::uint8_t* d, std::size_t n, Candidates* c) {
  if (std::memcmp(d + 4, " 20\0", 4) == 0) {
    *c = {Format::Iso19794_2_2005, Format::Ansi378_2004};
    return true;
  }
  if (std::memcmp(d + 4, "030\0", 4) == 0) {
    *c = {Format::Iso19794_2_2011, Format::Ansi378_2009};
    return true;
  }
  (void)n;
  return false;
}

std::size_t be(const std::uint8_t* d, int bytes) {
  std::size_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | d[i];
  return v;
}

// Whether a layout's record-length field fits the data (fits: at least the
// header, at most the bytes present). Needs n >= 8.
bool length_plausible(Format f, const std::uint8_t* d, std::size_t n) {
  auto fits = [n](std::size_t len, std::size_t header) { return len >= header && len <= n; };
  switch (f) {
    case Format::Iso19794_2_2005: return n >= 12 && fits(be(d + 8, 4), 24);
    case Format::Iso19794_2_2011: return n >= 12 && fits(be(d + 8, 4), 15);
    case Format::Ansi378_2009: return n >= 12 && fits(be(d + 8, 4), 20);
    case Format::Ansi378_2004:
      if (n < 10) return false;
      if (be(d + 8, 2) != 0) return fits(be(d + 8, 2), 26);
      return n >= 14 && fits(be(d + 10, 4), 30);
    default: return false;
  }
}

struct Attempt {
  bool ok = false;
  DecodedRecord record;
  std::exception_ptr error;
  std::size_t reached = 0;  // byte offset of the failure: how far the layout made sense
};

Attempt attempt(Format f, const std::uint8_t* d, std::size_t n, const DecodeOptions& opt) {
  Attempt a;
  try {
    a.record = decode_as(f, d, n, opt);
    a.ok = true;
  } catch (const DecodeError& e) {
    a.error = std::current_exception();
    a.reached = e.offset();
  }
  return a;
}

// ISO and ANSI records share magic and version; their length fields sit at
// the same offset with different widths, so for a genuine record only one
// layout parses. Both parsing is possible only for contrived input: then the
// one with fewer warnings wins, ISO on a tie. When neither parses, the error
// of the layout that got further is the one reported.
Attempt decode_fmr(const std::uint8_t* d, std::size_t n, const DecodeOptions& opt) {
  Candidates c;
  if (!fmr_candidates(d, n, &c)) {
    std::string v;
    for (int i = 4; i < 7; ++i) v += (d[i] >= 32 && d[i] < 127) ? static_cast<char>(d[i]) : '?';
    Attempt a;
    a.error = std::make_exception_ptr(DecodeError(
        ErrorCode::UnsupportedFormat, "FMR record", "version", 4,
        "version \"" + v + "\" is not supported (known: \" 20\" = 2004/2005, \"030\" = 2009/2011)"));
    a.reached = 4;
    return a;
  }
  const bool pa = length_plausible(c.first, d, n);
  const bool pb = length_plausible(c.second, d, n);
  // A layout whose length field does not fit fails at that field: when only
  // one fits, try it alone first (saves a thrown exception per record).
  if (pa != pb) {
    Attempt only = attempt(pa ? c.first : c.second, d, n, opt);
    if (only.ok) return only;
  }
  Attempt a = attempt(c.first, d, n, opt);
  Attempt b = attempt(c.second, d, n, opt);
  if (a.ok && b.ok) return b.record.warnings.size() < a.record.warnings.size() ? b : a;
  if (a.ok) return a;
  if (b.ok) return b;
  if (pa != pb) return pa ? a : b;
  return b.reached > a.reached ? b : a;
}

}  // namespace

Format detect_format(const std::uint8_t* data, std::size_t size) noexcept {
  if (data == nullptr || size == 0) return Format::Unknown;
  try {
    if (has_fmr_magic(data, size)) {
      Candidates c;
      if (!fmr_candidates(data, size, &c)) return Format::Unknown;
      const Attempt a = decode_fmr(data, size, DecodeOptions{});
      if (a.ok) return a.record.format;
      // Neither layout decodes: name the one whose length field fits.
      if (!length_plausible(c.first, data, size) && length_plausible(c.second, data, size)) return c.second;
      return c.first;
    }
    if (looks_like_an2k(data, size)) return Format::AnsiNistItl;
    if (looks_like_xyt(data, size)) return Format::NistXyt;
  } catch (...) {
  }
  return Format::Unknown;
}

namespace {

DecodedRecord decode_as_declared(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt) {
  if (data == nullptr && size != 0) throw Error(ErrorCode::InvalidArgument, "decode: null data");
  static const std::uint8_t kEmpty = 0;
  if (data == nullptr) data = &kEmpty;
  if (opt.format != Format::Auto) return decode_as(opt.format, data, size, opt);
  if (has_fmr_magic(data, size)) {
    Attempt a = decode_fmr(data, size, opt);
    if (!a.ok) std::rethrow_exception(a.error);
    return std::move(a.record);
  }
  if (looks_like_an2k(data, size)) return decode_as(Format::AnsiNistItl, data, size, opt);
  if (looks_like_xyt(data, size)) return detail::decode_xyt(data, size, opt);
  throw DecodeError(ErrorCode::UnknownFormat, "", "", 0,
                    size == 0 ? "empty input"
                              : "neither an ISO/ANSI minutiae record (no \"FMR\" magic) nor .xyt text");
}

}  // namespace

DecodedRecord decode(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt) {
  // Checked here, not only by rescaled: a record without views refuses a bad option too.
  for (const double s : {opt.rescale_x, opt.rescale_y})
    if (!std::isfinite(s) || s < 0.25 || s > 4.0)
      throw Error(ErrorCode::InvalidArgument, "decode: rescale " + std::to_string(s) + " is not finite or outside [0.25, 4]");
  DecodedRecord r = decode_as_declared(data, size, opt);
  if (opt.rescale_x != 1.0 || opt.rescale_y != 1.0)
    for (Template& v : r.views) v = rescaled(v, opt.rescale_x, opt.rescale_y);
  return r;
}

DecodedRecord decode(const std::vector<std::uint8_t>& bytes, const DecodeOptions& opt) {
  return decode(bytes.data(), bytes.size(), opt);
}

DecodedRecord decode_file(const std::string& path, const DecodeOptions& opt) {
  constexpr std::size_t kMaxRecordFile = 64u << 20;  // no template record comes near this
  const std::vector<std::uint8_t> bytes = detail::read_file_limited(path, kMaxRecordFile);
  DecodeOptions o = opt;
  if (o.format == Format::Auto) {
    std::string ext = path.size() >= 4 ? path.substr(path.size() - 4) : "";
    for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    // An .xyt file may be empty (no minutiae found), which no detector can
    // recognise: the extension decides.
    if (ext == ".xyt") o.format = Format::NistXyt;
  }
  try {
    return decode(bytes.data(), bytes.size(), o);
  } catch (const DecodeError& e) {
    throw DecodeError(e.code(), e.format(), e.field(), e.offset(),
                      e.detail() + " (file '" + path + "')", e.line());
  }
}

std::vector<std::uint8_t> encode(const std::vector<Template>& views, Format format, const EncodeOptions& opt) {
  switch (format) {
    case Format::Iso19794_2_2005: return detail::encode_iso2005(views, opt);
    case Format::Ansi378_2004: return detail::encode_ansi2004(views, opt);
    case Format::NistXyt: return detail::encode_xyt(views, opt);
    case Format::AnsiNistItl: return detail::encode_an2k(views, opt);
    case Format::Iso19794_2_2011:
    case Format::Ansi378_2009:
      throw Error(ErrorCode::UnsupportedFormat, std::string(format_title(format)) +
                                                    " is decoded but not encoded (encoders: iso2005, ansi2004, xyt, an2k)");
    default:
      throw Error(ErrorCode::InvalidArgument, std::string("cannot encode as '") + format_name(format) + "'");
  }
}

}  // namespace fpm
