#include "targets.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fpmatch/fpmatch.hpp"
#include "gallery_checksums.hpp"
#include "mcc/content_hash.hpp"  // header-only: the gallery target recomputes entry hashes

namespace fpm_fuzz {

namespace {

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what);
  std::abort();
}

bool same_minutiae(const fpm::Template& a, const fpm::Template& b, double angle_tol) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const fpm::Minutia& x = a.minutiae()[i];
    const fpm::Minutia& y = b.minutiae()[i];
    const double d = std::fabs(std::remainder(static_cast<double>(x.theta) - y.theta, 2 * 3.14159265358979323846));
    if (x.x != y.x || x.y != y.y || d > angle_tol) return false;
  }
  return true;
}

// Whether the coordinates are whole canonical pixels, which encoders keep
// exactly (records at another resolution, and ANSI/NIST-ITL's 0.01 mm
// units, give fractions that encoders round).
bool native_resolution(const fpm::Template& t) {
  if (t.info().source_x_ppcm != 197 || t.info().source_y_ppcm != 197) return false;
  for (const fpm::Minutia& m : t.minutiae())
    if (m.x != std::floor(m.x) || m.y != std::floor(m.y)) return false;
  return true;
}

// Decodes as `in`; re-encodes whatever decodes as `out` and checks it.
// Returns 0, what a libFuzzer target returns for every input.
int exercise(fpm::Format in, fpm::Format out, const std::uint8_t* data, std::size_t size, double angle_tol) {
  for (bool strict : {false, true}) {
    fpm::DecodeOptions opt;
    opt.format = in;
    opt.strict = strict;
    fpm::DecodedRecord rec;
    try {
      rec = fpm::decode(data, size, opt);
    } catch (const fpm::DecodeError&) {
      continue;
    } catch (...) {
      finding("decode threw something other than DecodeError");
    }
    if (rec.views.empty()) finding("decoded record without views");
    if (strict && !rec.warnings.empty()) finding("strict decode returned warnings");
    std::vector<fpm::Template> views = rec.views;
    if (out == fpm::Format::NistXyt) views.resize(1);
    std::vector<std::uint8_t> bytes;
    try {
      bytes = fpm::encode(views, out);
    } catch (const fpm::Error& e) {
      if (e.code() != fpm::ErrorCode::InvalidArgument) finding("encode failed with an unexpected code");
      continue;
    } catch (...) {
      finding("encode threw something other than fpm::Error");
    }
    fpm::DecodeOptions back_opt;
    back_opt.format = out;
    back_opt.xyt_image_height = out == fpm::Format::NistXyt ? views[0].info().height : 0;
    fpm::DecodedRecord back;
    try {
      back = fpm::decode(bytes.data(), bytes.size(), back_opt);
    } catch (const fpm::DecodeError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      finding("an encoded record does not decode");
    }
    if (back.views.size() != views.size()) finding("round trip changed the number of views");
    for (std::size_t v = 0; v < views.size(); ++v) {
      if (!native_resolution(views[v])) continue;  // rescaled coordinates are rounded on encode
      if (!same_minutiae(views[v], back.views[v], angle_tol)) finding("round trip changed the minutiae");
    }
  }
  return 0;
}

}  // namespace

constexpr double kExact = 1e-5;
constexpr double kDegree = 3.14159265358979323846 / 180.0;

using fpm::Format;

// Each decoder's target: the format read, the format written back, how far
// a direction may move on the way.
int iso2005(const std::uint8_t* d, std::size_t n) { return exercise(Format::Iso19794_2_2005, Format::Iso19794_2_2005, d, n, kExact); }
int iso2011(const std::uint8_t* d, std::size_t n) { return exercise(Format::Iso19794_2_2011, Format::Iso19794_2_2005, d, n, kExact); }
int ansi2004(const std::uint8_t* d, std::size_t n) { return exercise(Format::Ansi378_2004, Format::Ansi378_2004, d, n, kExact); }
int ansi2009(const std::uint8_t* d, std::size_t n) { return exercise(Format::Ansi378_2009, Format::Ansi378_2004, d, n, kExact); }
int xyt(const std::uint8_t* d, std::size_t n) { return exercise(Format::NistXyt, Format::NistXyt, d, n, kDegree); }
int an2k(const std::uint8_t* d, std::size_t n) {
  // Whole degrees into ISO's 360/256-degree steps: within a degree.
  return exercise(Format::AnsiNistItl, Format::Iso19794_2_2005, d, n, 1.0 * kDegree);
}
int detect(const std::uint8_t* d, std::size_t n) {
  (void)fpm::detect_format(d, n);
  return exercise(Format::Auto, Format::Iso19794_2_2005, d, n, 1.0 * kDegree);
}

namespace {

// Recomputes the entries' content hashes, where the sections hold what the
// header's counts say, and then every checksum: mutated cylinders reach the
// cylinder checks and, when they pass them, the matchers.
void refresh_hashes_and_checksums(std::vector<std::uint8_t>& b) {
  if (b.size() < 4096) return;
  std::uint64_t E, C, off[12] = {}, len[12] = {};
  std::memcpy(&E, b.data() + 32, 8);
  std::memcpy(&C, b.data() + 40, 8);
  bool sections_ok = E < (1u << 20) && C < (1u << 24);
  for (std::size_t i = 0; i < 11; ++i) {
    std::memcpy(&off[i + 1], b.data() + 64 + 32 * i + 8, 8);
    std::memcpy(&len[i + 1], b.data() + 64 + 32 * i + 16, 8);
    sections_ok = sections_ok && off[i + 1] <= b.size() && len[i + 1] <= b.size() - off[i + 1] && off[i + 1] % 8 == 0;
  }
  const std::uint64_t W = fpm::mcc::kCylinderWords, V = fpm::mcc::kValidityWords;
  if (sections_ok && len[1] == (E + 1) * 8 && len[5] == E * 8 && len[6] == C * W * 8 && len[7] == C * V * 8 &&
      len[8] == C * 4 && len[9] == C * 4 && len[10] == C * 4) {
    std::vector<std::uint64_t> offsets(E + 1), bits(C * W), valid(C * V);
    std::vector<float> x(C), y(C), theta(C);
    const auto take = [&](void* to, int section) {  // (an empty vector's data() may be null)
      if (len[section]) std::memcpy(to, b.data() + off[section], len[section]);
    };
    take(offsets.data(), 1);
    take(bits.data(), 6);
    take(valid.data(), 7);
    take(x.data(), 8);
    take(y.data(), 9);
    take(theta.data(), 10);
    for (std::uint64_t e = 0; e < E; ++e) {
      const std::uint64_t c0 = offsets[e], c1 = offsets[e + 1];
      if (c0 > c1 || c1 > C) continue;
      const std::uint64_t h = fpm::mcc::content_hash(static_cast<int>(c1 - c0), bits.data() + c0 * W,
                                                     valid.data() + c0 * V, x.data() + c0, y.data() + c0,
                                                     theta.data() + c0);
      std::memcpy(b.data() + off[5] + 8 * e, &h, 8);
    }
  }
  refresh_checksums(b.data(), b.size());
}

void spit(const std::string& path, const std::vector<std::uint8_t>& b) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(b.data(), 1, b.size(), f) != b.size() || std::fclose(f) != 0) finding("cannot write a temporary file");
}

// Loads, or returns false when the file is refused as it may be.
bool load(const std::string& path, fpm::Gallery& out) {
  try {
    out = fpm::Gallery::load(path);
    return true;
  } catch (const fpm::Error& e) {
    if (e.code() != fpm::ErrorCode::Corrupt) finding("a gallery file was refused with a code other than Corrupt");
  } catch (...) {
    finding("gallery load threw something other than fpm::Error");
  }
  return false;
}

}  // namespace

int gallery(const std::uint8_t* d, std::size_t n) {
  std::vector<std::uint8_t> bytes(d, d + n);
  refresh_hashes_and_checksums(bytes);
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/fpm_fuzz_gallery_" + std::to_string(::getpid());
  spit(path + ".fpg", bytes);
  fpm::Gallery g;
  const bool loaded = load(path + ".fpg", g);
  std::remove((path + ".fpg").c_str());
  if (!loaded) return 0;
  // Whatever the checks let through must be safe to match, identically on
  // every SIMD level (the AVX-512 path relies on what the loader checks).
  std::vector<fpm::Matcher> matchers;
  for (fpm::SimdLevel l : {fpm::SimdLevel::Scalar, fpm::SimdLevel::Avx2, fpm::SimdLevel::Avx512})
    if (fpm::simd_level_supported(l)) matchers.emplace_back(l);
  const std::size_t entries = std::min<std::size_t>(g.size(), 16);
  for (std::size_t i = 0; i < entries; ++i)
    for (std::size_t j = 0; j < entries; ++j) {
      const fpm::EncodedTemplate a = g.encoded(i), b = g.encoded(j);
      const float ref = matchers[0].match(a, b);
      if (!(ref >= 0.0f && ref <= 1.0f)) finding("a score outside [0, 1]");
      for (std::size_t l = 1; l < matchers.size(); ++l)
        if (matchers[l].match(a, b) != ref) finding("SIMD levels disagree on a loaded gallery");
    }
  // And it must survive a save and a load unchanged.
  g.save(path + "-resaved.fpg");
  fpm::Gallery h;
  if (!load(path + "-resaved.fpg", h)) finding("a saved gallery does not load");
  std::remove((path + "-resaved.fpg").c_str());
  if (h.size() != g.size() || h.live_size() != g.live_size() || h.subjects() != g.subjects())
    finding("save and load changed the gallery");
  for (std::size_t i = 0; i < entries; ++i)
    if (matchers[0].match(g.encoded(i), g.encoded(0)) != matchers[0].match(h.encoded(i), h.encoded(0)))
      finding("save and load changed a score");
  return 0;
}

int shard(const std::uint8_t* d, std::size_t n) {
  // One small gallery file per process, whose header CRC the input is bound to.
  struct Files {
    std::string gallery;
    std::uint32_t crc = 0;
    Files() {
      const char* tmp = std::getenv("TMPDIR");
      gallery = std::string(tmp && *tmp ? tmp : "/tmp") + "/fpm_fuzz_shard_" + std::to_string(::getpid()) + ".fpg";
      fpm::Gallery().save(gallery);
      const std::vector<std::uint8_t> b = fpm::read_file(gallery);
      std::memcpy(&crc, b.data() + 4092, 4);
    }
    ~Files() {
      std::remove(gallery.c_str());
      std::remove(fpm::shard_info_path(gallery).c_str());
    }
  };
  static const Files files;
  std::vector<std::uint8_t> bytes(d, d + n);
  if (bytes.size() >= 28) std::memcpy(bytes.data() + 24, &files.crc, 4);
  if (bytes.size() >= 4) {
    const std::uint32_t crc = reference_crc32c(bytes.data(), bytes.size() - 4);
    std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
  }
  spit(fpm::shard_info_path(files.gallery), bytes);
  fpm::ShardInfo s;
  try {
    s = fpm::read_shard_info(files.gallery);
  } catch (const fpm::Error& e) {
    if (e.code() != fpm::ErrorCode::Corrupt) finding("shard metadata refused with a code other than Corrupt");
    return 0;
  } catch (...) {
    finding("read_shard_info threw something other than fpm::Error");
  }
  if (s.shards == 0 || s.shard >= s.shards || s.split_id.size() != 32 || !(s.weight > 0) ||
      s.global_index.size() != s.entries || s.subject_rank.size() != s.subjects || s.entries > s.source_live ||
      s.subjects > s.source_subjects || s.source_live > s.source_entries)
    finding("shard metadata read with inconsistent counts");
  for (std::size_t i = 0; i < s.global_index.size(); ++i)
    if (s.global_index[i] >= s.source_entries || (i > 0 && s.global_index[i] <= s.global_index[i - 1]))
      finding("shard metadata read with source indices out of order or range");
  for (std::size_t i = 0; i < s.subject_rank.size(); ++i)
    if (s.subject_rank[i] >= s.source_subjects || (i > 0 && s.subject_rank[i] <= s.subject_rank[i - 1]))
      finding("shard metadata read with subject ranks out of order or range");
  return 0;
}

const Target kTargets[] = {
    {"iso2005", iso2005}, {"iso2011", iso2011}, {"ansi2004", ansi2004},
    {"ansi2009", ansi2009}, {"xyt", xyt},       {"an2k", an2k},
    {"detect", detect},     {"gallery", gallery},   {"capi", capi},
    {"shard", shard},
};
const std::size_t kTargetCount = sizeof(kTargets) / sizeof(kTargets[0]);

}  // namespace fpm_fuzz
