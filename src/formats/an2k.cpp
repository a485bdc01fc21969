// ANSI/NIST-ITL transactions (traditional encoding, "an2k"): the minutiae of
// the Type-9 records in the standard FBI/IAFIS format (9.004 = "S"; fields
// 9.010 minutiae count and 9.012 minutiae and ridge counts), one view per
// Type-9 record, in record order.
//
// A transaction is a Type-1 record, whose field 1.003 (CNT) lists the types
// and IDCs of the records that follow, then those records. Tagged records
// (Types 1, 2, 9, 10, 13 and up) are "T.NNN:value" fields separated by GS
// (0x1d), subfields by RS (0x1e), items by US (0x1f), the record ended by FS
// (0x1c); their first field, T.001, is the record's length in bytes. Field
// 999 of an image record holds binary data to the record's end. Binary
// records (Types 3 to 8) start with a four-byte big-endian length.
//
// Standard-format minutiae (ANSI/NIST-ITL 1-2000, Type-9): one 9.012
// subfield per minutia, items: index, "XXXXYYYYTTT", quality (0-63), type
// (A ridge ending, B bifurcation, C compound, D undetermined), then ridge
// counts. X and Y are in units of 0.01 mm from the image's bottom-left
// corner, y upwards; theta is in degrees counter-clockwise and points the
// opposite way to the ISO direction (the NIST convention of mindtct's .xyt
// output; NIST's an2k-to-FMR conversion turns theta by 180 degrees and
// flips y with the image height). The height comes from the image record
// with the Type-9 record's IDC (Type-4: its header and the scanning
// resolution; Types 13 and 14: fields 006-010); without one, the height is
// taken as the largest y and a warning says so (matching does not depend on
// it). Quality: 0 (manual) and 1 (no confidence given) are stored as 0, 2
// (highest confidence) to 63 as 100 down to 1.
//
// Not decoded, and reported as warnings: Type-9 records whose minutiae are
// in another block only (user-defined format, the INCITS 378 fields
// 9.126-9.140, the extended feature set 9.300 and up).
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "formats/codec.hpp"

namespace fpm::detail {

namespace {

constexpr const char* kFormat = "ANSI/NIST-ITL transaction";
constexpr std::uint8_t kFS = 0x1c, kGS = 0x1d, kRS = 0x1e, kUS = 0x1f;
constexpr double kPi = 3.14159265358979323846;
constexpr double kCanonicalPerMm = 500.0 / 25.4;  // canonical pixels (500 ppi) per millimetre
constexpr std::size_t kMaxRecords = 10000;          // bounds work on hostile input
constexpr std::size_t kMaxMinutiae = 1000;          // index has 3 digits
constexpr std::size_t kMaxItems = 1000000;          // items in the fields read, all records

[[noreturn]] void fail(ErrorCode code, const std::string& field, std::size_t offset, const std::string& detail) {
  throw DecodeError(code, kFormat, field, offset, detail);
}

// A field of a tagged record: its number, where its value starts, and its
// value split into subfields of items.
struct Field {
  int number = 0;
  std::size_t offset = 0;
  std::vector<std::vector<std::string>> subfields;
  const std::string& item(std::size_t s, std::size_t i) const {
    static const std::string none;
    return s < subfields.size() && i < subfields[s].size() ? subfields[s][i] : none;
  }
};

struct Record {
  int type = 0;
  int idc = -1;
  std::size_t offset = 0, length = 0;
  std::map<int, Field> fields;  // tagged records, fields before 999
  // Image geometry where the record gives it: pixels and pixels per mm.
  long width = 0, height = 0;
  double x_ppmm = 0, y_ppmm = 0;  // 0: not given
  int isr = -1;                   // Types 3-6: 0 minimum scanning resolution, 1 native (1.011)
};

// "9.012": a field's tag as the standard writes it.
std::string field_name(long type, long field) {
  std::string f = std::to_string(field);
  if (f.size() < 3) f.insert(0, 3 - f.size(), '0');
  return std::to_string(type) + "." + f;
}

// A length in millimetres as canonical pixels, within the template's range.
std::uint16_t canonical_length(double mm) {
  return static_cast<std::uint16_t>(std::min(16383L, std::max(0L, std::lround(mm * kCanonicalPerMm))));
}

std::string where(const Record& r) { return "Type-" + std::to_string(r.type) + " record at byte " + std::to_string(r.offset); }

// Whole non-negative decimal number of at most 9 digits, or -1.
long number(const std::string& s) {
  if (s.empty() || s.size() > 9) return -1;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Decimal number with an optional fraction ("19.69"), or -1.
double decimal(const std::string& s) {
  const std::size_t dot = s.find('.');
  const long whole = number(s.substr(0, dot));
  if (whole < 0) return -1;
  if (dot == std::string::npos) return static_cast<double>(whole);
  const std::string frac = s.substr(dot + 1);
  const long f = number(frac);
  if (f < 0) return -1;
  return static_cast<double>(whole) + static_cast<double>(f) / std::pow(10.0, static_cast<double>(frac.size()));
}

class Reader {
 public:
  Reader(const std::uint8_t* d, std::size_t n, bool strict) : d_(d), n_(n), diag_(strict, kFormat) {}

  DecodedRecord decode() {
    Record t1 = tagged(0, 1);
    std::vector<std::pair<int, int>> listed = content_list(t1);
    std::vector<Record> records;
    std::size_t pos = t1.offset + t1.length;
    for (std::size_t i = 0; i < listed.size(); ++i) {
      if (pos >= n_)
        fail(ErrorCode::Truncated, "1.003", field_offset(t1, 3),
             "1.003 lists " + std::to_string(listed.size()) + " records after Type-1, the data ends after " +
                 std::to_string(i));
      const int type = listed[i].first;
      Record r = binary_type(type) ? binary(pos, type) : tagged(pos, type);
      if (r.idc >= 0 && r.idc != listed[i].second)
        diag_.recoverable(ErrorCode::CountMismatch, "IDC", r.offset,
                          where(r) + " has IDC " + std::to_string(r.idc) + ", 1.003 lists " +
                              std::to_string(listed[i].second));
      pos += r.length;
      records.push_back(std::move(r));
    }
    if (pos < n_)
      diag_.recoverable(ErrorCode::LengthMismatch, "transaction", pos,
                        std::to_string(n_ - pos) + " bytes after the last record 1.003 lists");

    DecodedRecord out;
    out.format = Format::AnsiNistItl;
    const double nsr = decimal(t1.fields.count(11) ? t1.fields.at(11).item(0, 0) : std::string());
    int type9 = 0;
    for (const Record& r : records) {
      if (r.type != 9) continue;
      ++type9;
      if (auto view = type9_view(r, records, nsr)) out.views.push_back(std::move(*view));
    }
    out.header = {
        {"version", t1.fields.count(2) ? t1.fields.at(2).item(0, 0) : "-"},
        {"transaction_type", t1.fields.count(4) ? t1.fields.at(4).item(0, 0) : "-"},
        {"date", t1.fields.count(5) ? t1.fields.at(5).item(0, 0) : "-"},
        {"records", std::to_string(records.size() + 1)},
        {"type9_records", std::to_string(type9)},
    };
    if (out.views.empty())
      fail(ErrorCode::NoViews, "Type-9", 0,
           type9 == 0 ? "no Type-9 (minutiae) record in the transaction"
                      : "no Type-9 record holds minutiae in the standard format (9.004 = S, fields 9.010-9.012)");
    out.warnings = diag_.take();
    return out;
  }

 private:
  static bool binary_type(int type) { return type >= 3 && type <= 8; }

  std::size_t field_offset(const Record& r, int number) const {
    auto it = r.fields.find(number);
    return it == r.fields.end() ? r.offset : it->second.offset;
  }

  // A tagged record of `type` at `pos`: its length from T.001, and its
  // fields up to field 999 (image data, not needed here).
  Record tagged(std::size_t pos, int type) {
    Record r;
    r.type = type;
    r.offset = pos;
    const std::string len_field = field_name(type, 1);
    // T.001, the record's length: the record is [pos, pos + length), its
    // last byte the FS.
    std::size_t p = pos;
    long t = 0, f = 0;
    p = tag(p, n_, type, &t, &f);
    if (t != type || f != 1)
      fail(ErrorCode::Syntax, "tag", pos,
           "a Type-" + std::to_string(type) + " record (as 1.003 lists) must start with field " + len_field);
    const std::size_t len_at = p;
    while (p < n_ && d_[p] != kGS && d_[p] != kFS) ++p;
    const long len = number(std::string(reinterpret_cast<const char*>(d_ + len_at), p - len_at));
    if (len < 0) fail(ErrorCode::Syntax, len_field, len_at, "record length is not a number");
    if (static_cast<std::size_t>(len) < p - pos + 1)
      fail(ErrorCode::LengthMismatch, len_field, len_at,
           "record length " + std::to_string(len) + " ends inside the record's first field");
    if (static_cast<std::size_t>(len) > n_ - pos)
      fail(ErrorCode::Truncated, len_field, len_at,
           "record of " + std::to_string(len) + " bytes, " + std::to_string(n_ - pos) + " remain");
    r.length = static_cast<std::size_t>(len);
    const std::size_t end = pos + r.length - 1;  // the FS
    if (d_[end] != kFS)
      fail(ErrorCode::LengthMismatch, len_field, len_at,
           where(r) + ": the byte its length " + std::to_string(len) + " points to is not the record separator FS");
    // The other fields, each "T.NNN:value" ended by GS (the last by the FS),
    // of the records read here: the transaction's header, minutiae, images.
    const bool read_fields = type == 1 || type == 9 || type == 13 || type == 14;
    while (read_fields && p < end) {
      const std::size_t tag_at = ++p;  // past the GS
      p = tag(p, end, type, &t, &f);
      if (f == 999) break;  // binary image data to the end
      const std::size_t value_at = p;
      while (p < end && d_[p] != kGS) ++p;
      Field field;
      field.number = static_cast<int>(f);
      field.offset = value_at;
      split(value_at, p, &field);
      const std::string name = field_name(t, f);
      if (t != type)
        diag_.recoverable(ErrorCode::Syntax, name, tag_at, "field tagged " + name + " inside " + where(r),
                          "field ignored");
      else if (r.fields.count(field.number))
        diag_.recoverable(ErrorCode::Syntax, name, tag_at, "field " + name + " repeated in " + where(r),
                          "the first kept");
      else
        r.fields.emplace(field.number, std::move(field));
    }
    if (type == 13 || type == 14) image_geometry_tagged(r);
    if (r.fields.count(2)) r.idc = static_cast<int>(number(r.fields.at(2).item(0, 0)));
    return r;
  }

  // Reads a field tag "T.NNN:" at p (before `limit`); returns the position
  // after the colon.
  std::size_t tag(std::size_t p, std::size_t limit, int type, long* t, long* f) const {
    const std::size_t at = p;
    auto digits = [&](long* v, int most) {
      int n = 0;
      *v = 0;
      while (p < limit && n < most && d_[p] >= '0' && d_[p] <= '9') *v = *v * 10 + (d_[p++] - '0'), ++n;
      return n;
    };
    const bool ok = digits(t, 3) > 0 && p < limit && d_[p++] == '.' && digits(f, 9) > 0 && p < limit && d_[p++] == ':';
    if (!ok)
      fail(ErrorCode::Syntax, "tag", at,
           "expected a field tag \"" + std::to_string(type) + ".NNN:\" inside the record");
    return p;
  }

  // The value [b, e) as subfields (RS) of items (US).
  void split(std::size_t b, std::size_t e, Field* f) {
    std::size_t items = 1;
    for (std::size_t i = b; i < e; ++i) items += d_[i] == kRS || d_[i] == kUS;
    items_ += items;
    if (items_ > kMaxItems)  // bounds memory on hostile input
      fail(ErrorCode::CountMismatch, "record", b, "more than " + std::to_string(kMaxItems) + " items in the records read");
    f->subfields.emplace_back(1);
    for (std::size_t i = b; i < e; ++i) {
      const std::uint8_t c = d_[i];
      if (c == kRS)
        f->subfields.emplace_back(1);
      else if (c == kUS)
        f->subfields.back().emplace_back();
      else
        f->subfields.back().back() += static_cast<char>(c);
    }
  }

  // Types 13 and 14: line lengths (006, 007), scale units (008: 1 pixels per
  // inch, 2 per cm) and pixel scales (009, 010).
  static void image_geometry_tagged(Record& r) {
    auto num = [&](int f) { return r.fields.count(f) ? number(r.fields.at(f).item(0, 0)) : -1; };
    r.width = std::max(0L, num(6));
    r.height = std::max(0L, num(7));
    const long slc = num(8), hps = num(9), vps = num(10);
    if (hps > 0 && vps > 0 && (slc == 1 || slc == 2)) {
      const double per_mm = slc == 1 ? 1.0 / 25.4 : 0.1;
      r.x_ppmm = static_cast<double>(hps) * per_mm;
      r.y_ppmm = static_cast<double>(vps) * per_mm;
    }
  }

  // A binary record (Types 3 to 8) at `pos`: length and IDC; for the
  // fingerprint image types, line lengths and the scanning-resolution flag.
  Record binary(std::size_t pos, int type) {
    Record r;
    r.type = type;
    r.offset = pos;
    if (n_ - pos < 5) fail(ErrorCode::Truncated, "LEN", pos, where(r) + ": fewer than 5 bytes remain");
    const std::size_t len = (std::size_t(d_[pos]) << 24) | (std::size_t(d_[pos + 1]) << 16) |
                            (std::size_t(d_[pos + 2]) << 8) | d_[pos + 3];
    const std::size_t header = type <= 6 ? 18 : 5;
    if (len < header) fail(ErrorCode::LengthMismatch, "LEN", pos, where(r) + ": length " + std::to_string(len) + " is shorter than its header");
    if (len > n_ - pos)
      fail(ErrorCode::Truncated, "LEN", pos,
           where(r) + " of " + std::to_string(len) + " bytes, " + std::to_string(n_ - pos) + " remain");
    r.length = len;
    r.idc = d_[pos + 4];
    if (type <= 6) {
      r.width = (long(d_[pos + 13]) << 8) | d_[pos + 14];
      r.height = (long(d_[pos + 15]) << 8) | d_[pos + 16];
      r.isr = d_[pos + 12];
    }
    return r;
  }

  // 1.003: (1, count of the other records), then (type, IDC) per record.
  std::vector<std::pair<int, int>> content_list(const Record& t1) {
    auto it = t1.fields.find(3);
    if (it == t1.fields.end()) fail(ErrorCode::Syntax, "1.003", t1.offset, "Type-1 record without field 1.003 (CNT)");
    const Field& cnt = it->second;
    const long count = number(cnt.item(0, 1));
    if (number(cnt.item(0, 0)) != 1 || count < 0)
      fail(ErrorCode::Syntax, "1.003", cnt.offset, "first subfield of 1.003 must be \"1\", US, the record count");
    if (static_cast<std::size_t>(count) != cnt.subfields.size() - 1)
      diag_.recoverable(ErrorCode::CountMismatch, "1.003", cnt.offset,
                        "1.003 announces " + std::to_string(count) + " records and lists " +
                            std::to_string(cnt.subfields.size() - 1),
                        "the listed ones read");
    if (cnt.subfields.size() - 1 > kMaxRecords)
      fail(ErrorCode::CountMismatch, "1.003", cnt.offset, "more than " + std::to_string(kMaxRecords) + " records");
    std::vector<std::pair<int, int>> out;
    for (std::size_t s = 1; s < cnt.subfields.size(); ++s) {
      const long type = number(cnt.item(s, 0)), idc = number(cnt.item(s, 1));
      if (type < 2 || type > 99 || idc < 0 || idc > 255)
        fail(ErrorCode::Syntax, "1.003", cnt.offset,
             "1.003 subfield " + std::to_string(s + 1) + " is not a record type (2-99) and IDC (0-255)");
      out.emplace_back(static_cast<int>(type), static_cast<int>(idc));
    }
    return out;
  }

  // The view of a Type-9 record, or nothing (with a warning) when its
  // minutiae are not in the standard format.
  std::unique_ptr<Template> type9_view(const Record& r, const std::vector<Record>& records, double nsr) {
    const std::string id = "Type-9 record (IDC " + std::to_string(r.idc) + ")";
    const bool standard = r.fields.count(4) && r.fields.at(4).item(0, 0) == "S";
    if (!standard || !r.fields.count(12)) {
      std::string other = "minutiae in another format than the standard one";
      if (r.fields.count(137)) other = "minutiae in the INCITS 378 fields (9.126-9.140) only";
      else if (r.fields.lower_bound(300) != r.fields.end()) other = "minutiae in the extended feature set (9.300+) only";
      else if (!standard) other = "minutiae in a user-defined format (9.004 = U)";
      diag_.recoverable(ErrorCode::UnsupportedFormat, "Type-9", r.offset, id + ": " + other, "record skipped");
      return nullptr;
    }
    const Field& mrc = r.fields.at(12);
    if (mrc.subfields.size() > kMaxMinutiae)
      fail(ErrorCode::CountMismatch, "9.012", mrc.offset, id + ": more than " + std::to_string(kMaxMinutiae) + " minutiae");
    const long declared = r.fields.count(10) ? number(r.fields.at(10).item(0, 0)) : -1;
    if (declared != static_cast<long>(mrc.subfields.size()))
      diag_.recoverable(ErrorCode::CountMismatch, "9.010", field_offset(r, 10),
                        id + ": 9.010 gives " + (declared < 0 ? std::string("no count") : std::to_string(declared)) +
                            ", 9.012 holds " + std::to_string(mrc.subfields.size()) + " minutiae",
                        "the minutiae of 9.012 read");

    // The image with this IDC, for the height (y is measured upwards).
    const Record* image = nullptr;
    for (const Record& o : records)
      if (o.idc == r.idc && (o.type == 4 || o.type == 3 || o.type == 5 || o.type == 6 || o.type == 13 || o.type == 14))
        image = &o;
    double height_mm = 0, width_mm = 0, x_ppmm = 0;
    if (image != nullptr) {
      double xp = image->x_ppmm, yp = image->y_ppmm;
      if (image->type <= 6) {  // ISR: 0 minimum scanning resolution (19.69), 1 native (1.011)
        xp = yp = image->isr == 0 ? 19.69 : nsr;
        if (image->type == 3 || image->type == 5) xp = yp = xp / 2;  // low-resolution types
      }
      if (xp > 0 && yp > 0 && image->height > 0) {
        height_mm = static_cast<double>(image->height) / yp;
        width_mm = static_cast<double>(image->width) / xp;
        x_ppmm = xp;
        if ((std::max(height_mm, width_mm) * kCanonicalPerMm > 16383.0) || x_ppmm * 10.0 > 65535.0) {
          diag_.recoverable(ErrorCode::OutOfRange, "image", image->offset,
                            id + ": the image " + where(*image) + " describes is over 16383 canonical pixels",
                            "its size ignored");
          height_mm = width_mm = x_ppmm = 0;
        }
      }
    }

    struct Raw {
      long x, y, t, q;
      char type;
    };
    std::vector<Raw> raw;
    long max_y = 0;
    for (std::size_t s = 0; s < mrc.subfields.size(); ++s) {
      const std::string field = "9.012[" + std::to_string(s) + "]";
      const std::string& xyt = mrc.item(s, 1);
      if (xyt.size() != 11 || number(xyt.substr(0, 9)) < 0 || number(xyt.substr(9)) < 0)
        fail(ErrorCode::Syntax, field, mrc.offset, id + ", minutia " + std::to_string(s + 1) +
                                                      ": position and direction must be 11 digits XXXXYYYYTTT");
      Raw m{number(xyt.substr(0, 4)), number(xyt.substr(4, 4)), number(xyt.substr(8, 3)), 0, 'D'};
      if (m.t > 359)
        fail(ErrorCode::OutOfRange, field, mrc.offset,
             id + ", minutia " + std::to_string(s + 1) + ": theta " + std::to_string(m.t) + " (valid: 0-359)");
      const std::string& q = mrc.item(s, 2);
      m.q = q.empty() ? 0 : number(q);
      if (m.q < 0 || m.q > 63)
        fail(ErrorCode::OutOfRange, field, mrc.offset,
             id + ", minutia " + std::to_string(s + 1) + ": quality '" + q + "' (valid: 0-63)");
      const std::string& ty = mrc.item(s, 3);
      if (ty.size() == 1 && ty[0] >= 'A' && ty[0] <= 'D')
        m.type = ty[0];
      else
        diag_.recoverable(ErrorCode::ReservedValue, field, mrc.offset,
                          id + ", minutia " + std::to_string(s + 1) + ": type '" + ty + "' (valid: A-D)",
                          "taken as undetermined");
      max_y = std::max(max_y, m.y);
      raw.push_back(m);
    }

    TemplateInfo info;
    if (height_mm > 0) {
      if (static_cast<double>(max_y) / 100.0 > height_mm + 0.01)
        diag_.recoverable(ErrorCode::OutOfRange, "9.012", mrc.offset,
                          id + ": a minutia lies above the image's top edge", "the image height taken from the minutiae");
      info.width = canonical_length(width_mm);
      const long ppcm = std::lround(x_ppmm * 10.0);
      info.source_x_ppcm = info.source_y_ppcm = static_cast<std::uint16_t>(std::max(1L, std::min(65535L, ppcm)));
    } else if (!raw.empty()) {
      diag_.recoverable(ErrorCode::OutOfRange, "9.012", mrc.offset,
                        id + ": no image record with its IDC gives the image height (y is measured upwards)",
                        "the height taken as the largest y; matching does not depend on it");
    }
    if (static_cast<double>(max_y) / 100.0 > height_mm) height_mm = static_cast<double>(max_y) / 100.0;
    info.height = canonical_length(height_mm);

    // 9.006 FGP (finger position; 0 unknown, 1-10 the fingers) and 9.003 IMP.
    const long fgp = r.fields.count(6) ? number(r.fields.at(6).item(0, 0)) : 0;
    if (fgp >= 1 && fgp <= 10) info.position = static_cast<FingerPosition>(fgp);
    else if (fgp != 0)
      diag_.recoverable(ErrorCode::ReservedValue, "9.006", field_offset(r, 6),
                        id + ": finger position " + std::to_string(fgp) + " is not a single finger (1-10)",
                        "taken as unknown");
    const long imp = r.fields.count(3) ? number(r.fields.at(3).item(0, 0)) : 0;
    if (imp >= 0 && imp <= 8) info.impression = static_cast<ImpressionType>(imp);
    else if (imp >= 24 && imp <= 29) info.impression = ImpressionType::Contactless;
    else
      diag_.recoverable(ErrorCode::ReservedValue, "9.003", field_offset(r, 3),
                        id + ": impression type " + std::to_string(imp) + " has no ISO equivalent",
                        "taken as live-scan plain");

    std::vector<Minutia> minutiae;
    minutiae.reserve(raw.size());
    for (const Raw& m : raw) {
      Minutia c;
      c.x = static_cast<float>(static_cast<double>(m.x) / 100.0 * kCanonicalPerMm);
      c.y = static_cast<float>((height_mm - static_cast<double>(m.y) / 100.0) * kCanonicalPerMm);
      c.theta = static_cast<float>(static_cast<double>((m.t + 180) % 360) * (kPi / 180.0));
      c.type = m.type == 'A' ? MinutiaType::RidgeEnding : m.type == 'B' ? MinutiaType::Bifurcation : MinutiaType::Other;
      c.quality = static_cast<std::uint8_t>(m.q < 2 ? 0 : 1 + (99 * (63 - m.q)) / 61);
      minutiae.push_back(c);
    }
    const RepeatedMinutiae rep = find_repeated_minutiae(minutiae);
    if (rep.count > 0) {
      std::string detail = id + ", minutia " + std::to_string(rep.first + 1) + " repeats minutia " +
                           std::to_string(rep.original + 1) + " (same position and direction)";
      if (rep.count > 1) detail += "; " + std::to_string(rep.count) + " minutiae of this record repeat an earlier one";
      diag_.recoverable(ErrorCode::OutOfRange, "9.012[" + std::to_string(rep.first) + "]", mrc.offset, detail, "kept");
    }
    return std::make_unique<Template>(info, std::move(minutiae));
  }

  const std::uint8_t* d_;
  std::size_t n_;
  Diagnostics diag_;
  std::size_t items_ = 0;  // items split so far, all records
};

}  // namespace

DecodedRecord decode_an2k(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt) {
  return Reader(data, size, opt.strict).decode();
}

}  // namespace fpm::detail
