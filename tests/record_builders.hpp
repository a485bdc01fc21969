// Hand-assembled ISO 19794-2:2011 and ANSI 378-2009 records (fpmatch only
// decodes these formats), written field by field from the standards' layouts
// so that the decoders can be tested against independent bytes.
#pragma once

#include <cstdint>
#include <vector>

namespace fpm_test {

struct RawMinutia {
  unsigned type = 1, x = 0, y = 0, angle = 0, quality = 50;
};

class Bytes {
 public:
  Bytes& u8(unsigned v) { b.push_back(static_cast<std::uint8_t>(v)); return *this; }
  Bytes& u16(unsigned v) { return u8(v >> 8).u8(v); }
  Bytes& u32(std::uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
  Bytes& raw(const char* s, std::size_t n) { b.insert(b.end(), s, s + n); return *this; }
  Bytes& append(const std::vector<std::uint8_t>& o) { b.insert(b.end(), o.begin(), o.end()); return *this; }
  std::vector<std::uint8_t> b;
};

// `v` (a View2009 or a Rep2011) as scanned at `ppcm` pixels per centimetre
// both ways, on a width x height image.
template <class View>
View scanned(View v, unsigned ppcm, unsigned width, unsigned height) {
  v.x_ppcm = ppcm;
  v.y_ppcm = ppcm;
  v.width = width;
  v.height = height;
  return v;
}

struct Rep2011 {
  unsigned position = 2, number = 0, impression = 0;
  unsigned x_ppcm = 197, y_ppcm = 197, width = 400, height = 500;
  unsigned item_bytes = 6, ending_type = 0;
  unsigned quality_blocks = 1, certifications = 0;
  std::vector<RawMinutia> minutiae;
  std::vector<std::uint8_t> extended;  // the extended data area, without its length
};

inline std::vector<std::uint8_t> build_iso2011(const std::vector<Rep2011>& reps, bool cert_flag = false) {
  Bytes body;
  for (const Rep2011& r : reps) {
    Bytes rep;
    rep.u16(2024).u8(5).u8(17).u8(12).u8(30).u8(0).u16(0);  // capture date/time
    rep.u8(1).u16(0x0042).u16(0x0007);                        // device technology, vendor, type
    rep.u8(r.quality_blocks);
    for (unsigned q = 0; q < r.quality_blocks; ++q) rep.u8(60).u16(0x0101).u16(0x0001);
    if (cert_flag) {
      rep.u8(r.certifications);
      for (unsigned c = 0; c < r.certifications; ++c) rep.u16(0x0101).u8(1);
    }
    rep.u8(r.position).u8(r.number).u16(r.x_ppcm).u16(r.y_ppcm).u8(r.impression);
    rep.u16(r.width).u16(r.height).u8((r.item_bytes << 4) | r.ending_type).u8(static_cast<unsigned>(r.minutiae.size()));
    for (const RawMinutia& m : r.minutiae) {
      rep.u16((m.type << 14) | m.x).u16(m.y).u8(m.angle);
      if (r.item_bytes == 6) rep.u8(m.quality);
    }
    rep.u16(static_cast<unsigned>(r.extended.size())).append(r.extended);
    body.u32(static_cast<std::uint32_t>(rep.b.size() + 4)).append(rep.b);
  }
  Bytes rec;
  rec.raw("FMR\0" "030\0", 8).u32(static_cast<std::uint32_t>(15 + body.b.size()));
  rec.u16(static_cast<unsigned>(reps.size())).u8(cert_flag ? 1 : 0).append(body.b);
  return rec.b;
}

struct View2009 {
  unsigned position = 7, number = 0, impression = 0, quality = 90;
  unsigned width = 512, height = 512, x_ppcm = 197, y_ppcm = 197;
  std::vector<RawMinutia> minutiae;
  std::vector<std::uint8_t> extended;
};

inline std::vector<std::uint8_t> build_ansi2009(const std::vector<View2009>& views) {
  Bytes body;
  for (const View2009& v : views) {
    body.u8(v.position).u8(v.number).u8(v.impression).u8(v.quality).u16(0x0006).u16(0x0037);
    body.u16(v.width).u16(v.height).u16(v.x_ppcm).u16(v.y_ppcm).u8(static_cast<unsigned>(v.minutiae.size()));
    for (const RawMinutia& m : v.minutiae) body.u16((m.type << 14) | m.x).u16(m.y).u8(m.angle).u8(m.quality);
    body.u16(static_cast<unsigned>(v.extended.size())).append(v.extended);
  }
  Bytes rec;
  rec.raw("FMR\0" "030\0", 8).u32(static_cast<std::uint32_t>(20 + body.b.size()));
  rec.u16(0x0042).u16(0x0011).u16(0x00b5).u8(static_cast<unsigned>(views.size())).u8(0).append(body.b);
  return rec.b;
}

}  // namespace fpm_test
