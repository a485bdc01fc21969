// Gallery: entries, memory accounting, the file format and its refusals.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "fpmatch/fpmatch.hpp"
#include "gallery_checksums.hpp"  // fuzz/: shared with the gallery fuzz target
#include "support.hpp"

namespace {

fpm::Gallery small_gallery(std::size_t subjects = 12, int fingers = 2, std::uint64_t seed = 5) {
  fpm::SynthOptions o;
  o.seed = seed;
  const fpm::SyntheticFingers sf(o);
  fpm::Gallery g;
  for (std::size_t s = 0; s < subjects; ++s)
    for (int f = 1; f <= fingers; ++f)
      g.add("subj" + std::to_string(s), static_cast<std::uint8_t>(f), fpm::encode(sf.impression(s, f, 0)));
  return g;
}

std::vector<char> slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void spit(const std::string& p, const std::vector<char>& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

fpm::ErrorCode load_error(const std::string& path) {
  try {
    fpm::Gallery::load(path);
  } catch (const fpm::Error& e) {
    INFO(e.what());
    return e.code();
  }
  return fpm::ErrorCode::Ok;
}

// Section table: offsets at 64 + 32 * i + 8 of the header.
std::vector<std::pair<std::uint64_t, std::uint64_t>> sections(const std::vector<char>& b) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> s;
  for (int i = 0; i < 11; ++i) {
    std::uint64_t off, len;
    std::memcpy(&off, b.data() + 64 + 32 * i + 8, 8);
    std::memcpy(&len, b.data() + 64 + 32 * i + 16, 8);
    s.emplace_back(off, len);
  }
  return s;
}

std::uint32_t u32_at(const std::vector<char>& b, std::size_t off) {
  std::uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

void refresh_checksums(std::vector<char>& b) {
  fpm_fuzz::refresh_checksums(reinterpret_cast<unsigned char*>(b.data()), b.size());
}

std::string load_message(const std::string& path) {
  try {
    fpm::Gallery::load(path);
  } catch (const fpm::Error& e) {
    return e.what();
  }
  return "loaded";
}

}  // namespace

TEST_CASE("gallery: impossible cylinders are refused even with correct checksums", "[gallery]") {
  const std::string path = "fpm_test_impossible.fpg";
  small_gallery(3, 1).save(path);
  const std::vector<char> good = slurp(path);
  const auto secs = sections(good);
  // Spatial cell 0 (a corner of the 16 x 16 grid) lies outside the disc:
  // never valid, and never set in a layer.
  SECTION("a valid cell outside the disc") {
    std::vector<char> b = good;
    b[secs[6].first] = static_cast<char>(b[secs[6].first] | 1);  // cylinder_validity, first cylinder, word 0
    refresh_checksums(b);
    spit(path, b);
    CHECK(load_message(path).find("valid cells outside its disc") != std::string::npos);
  }
  SECTION("a cell bit outside the valid cells") {
    std::vector<char> b = good;
    b[secs[5].first] = static_cast<char>(b[secs[5].first] | 1);  // cylinder_bits, first cylinder, layer 0, word 0
    refresh_checksums(b);
    spit(path, b);
    CHECK(load_message(path).find("bits outside its valid cells") != std::string::npos);
  }
  SECTION("the unaltered file, its checksums recomputed, loads") {
    std::vector<char> b = good;
    refresh_checksums(b);
    spit(path, b);
    CHECK(load_message(path) == "loaded");
  }
  std::remove(path.c_str());
}

TEST_CASE("gallery: the file's checksums are standard CRC-32C", "[gallery]") {
  REQUIRE(fpm_fuzz::reference_crc32c("123456789", 9) == 0xe3069283u);  // the published check value
  const std::string path = "fpm_test_crc.fpg";
  small_gallery(9, 2).save(path);
  const std::vector<char> b = slurp(path);
  REQUIRE(b.size() > 4096);
  CHECK(u32_at(b, 4092) == fpm_fuzz::reference_crc32c(b.data(), 4092));
  const auto secs = sections(b);
  for (int i = 0; i < 11; ++i) {
    INFO("section " << i + 1);
    REQUIRE(secs[i].first + secs[i].second <= b.size());
    CHECK(u32_at(b, 64 + 32 * i + 4) ==
          fpm_fuzz::reference_crc32c(b.data() + secs[i].first, static_cast<std::size_t>(secs[i].second)));
  }
  std::remove(path.c_str());
}

TEST_CASE("gallery: add, remove, compact and account for memory", "[gallery]") {
  fpm::Gallery g = small_gallery(10, 2);
  CHECK(g.size() == 20);
  CHECK(g.live_size() == 20);
  CHECK(g.subjects() == 10);
  const fpm::GalleryEntryInfo e = g.entry(3);
  CHECK(e.subject == "subj1");
  CHECK(e.position == 2);
  CHECK(e.cylinders > 10);
  const fpm::GalleryMemory m = g.memory();
  CHECK(m.entries == 20);
  CHECK(m.bytes_per_entry < 12 * 1024);
  CHECK(m.bytes >= m.cylinders * 236);
  g.remove(3);
  CHECK(g.entry(3).removed);
  CHECK(g.live_size() == 19);
  CHECK(g.subjects() == 10);
  CHECK(g.remove_subject("subj1") == 1);
  CHECK(g.subjects() == 9);
  CHECK(g.remove_subject("nobody") == 0);
  CHECK_THROWS_AS(g.remove(20), fpm::Error);
  CHECK_THROWS_AS(g.entry(99), fpm::Error);
  const fpm::EncodedTemplate kept = g.encoded(5);
  g.compact();
  CHECK(g.size() == 18);
  CHECK(g.entry(3).subject == "subj2");
  // Entry 5 moved to index 3 after two removals before it.
  CHECK(fpm::match(g.encoded(3), kept) == fpm::match(kept, kept));
  CHECK_THROWS_AS(g.add("", 1, kept), fpm::Error);
  CHECK_THROWS_AS(g.add(std::string(256, 'x'), 1, kept), fpm::Error);
  CHECK_THROWS_AS(g.add("s", 11, kept), fpm::Error);
}

TEST_CASE("gallery: save and load give the same gallery", "[gallery]") {
  fpm::Gallery g = small_gallery(15, 3);
  g.remove(7);
  const std::string path = "fpm_test_roundtrip.fpg";
  g.save(path);
  const fpm::Gallery h = fpm::Gallery::load(path);
  REQUIRE(h.size() == g.size());
  CHECK(h.live_size() == g.live_size());
  CHECK(h.subjects() == g.subjects());
  for (std::size_t i = 0; i < g.size(); ++i) {
    const auto a = g.entry(i), b = h.entry(i);
    CHECK(a.subject == b.subject);
    CHECK(a.position == b.position);
    CHECK(a.cylinders == b.cylinders);
    CHECK(a.removed == b.removed);
    CHECK(fpm::match(g.encoded(i), g.encoded(0)) == fpm::match(h.encoded(i), h.encoded(0)));
  }
  CHECK(g.memory().bytes == h.memory().bytes);
  // Saved twice: byte-identical files (deterministic format).
  g.save(path + "2");
  CHECK(slurp(path) == slurp(path + "2"));
  std::remove(path.c_str());
  std::remove((path + "2").c_str());
}

// A loaded gallery uses the file's mapping in place: changing the gallery
// must never change the file, saving over the file it came from must work,
// and copies must outlive the original.
TEST_CASE("gallery: a loaded gallery is independent of its file", "[gallery]") {
  const std::string path = "fpm_test_mapped.fpg";
  const fpm::Gallery original = small_gallery(8, 2);
  original.save(path);
  const std::vector<char> bytes = slurp(path);
  fpm::Gallery g = fpm::Gallery::load(path);
  g.remove(3);   // writes a flag in place
  g.remove_subject("subj5");
  CHECK(slurp(path) == bytes);  // the file did not change
  CHECK(fpm::Gallery::load(path).live_size() == original.live_size());
  // Growing moves the arrays out of the mapping; the values stay.
  const fpm::SyntheticFingers sf;
  g.add("extra", 2, fpm::encode(sf.impression(99, 2, 0)));
  CHECK(g.size() == original.size() + 1);
  for (std::size_t i = 0; i < original.size(); ++i)
    CHECK(fpm::match(g.encoded(i), g.encoded(0)) == fpm::match(original.encoded(i), original.encoded(0)));
  // Saved over its own file while loaded from it, then loaded again.
  fpm::Gallery copy;
  {
    fpm::Gallery h = fpm::Gallery::load(path);
    h.remove(1);
    copy = h;  // a deep copy
    h.save(path);
  }
  const fpm::Gallery again = fpm::Gallery::load(path);
  CHECK(again.size() == original.size());
  CHECK(again.live_size() == original.live_size() - 1);
  CHECK(copy.live_size() == again.live_size());
  for (std::size_t i = 0; i < original.size(); ++i)
    CHECK(fpm::match(copy.encoded(i), again.encoded(i)) == fpm::match(original.encoded(i), original.encoded(i)));
  std::remove(path.c_str());
}

TEST_CASE("gallery: damaged files are refused, never half-loaded", "[gallery]") {
  const fpm::Gallery g = small_gallery(6, 2);
  const std::string path = "fpm_test_damaged.fpg";
  g.save(path);
  const std::vector<char> good = slurp(path);
  REQUIRE(load_error(path) == fpm::ErrorCode::Ok);
  const auto secs = sections(good);

  SECTION("truncated at every section boundary and inside the header") {
    std::vector<std::uint64_t> cuts = {0, 7, 100, 4095, 4096};
    for (const auto& s : secs) {
      cuts.push_back(s.first);
      cuts.push_back(s.first + s.second / 2);
      cuts.push_back(s.first + s.second - (s.second ? 1 : 0));
    }
    for (std::uint64_t cut : cuts) {
      if (cut >= good.size()) continue;
      INFO("cut at " << cut);
      spit(path, std::vector<char>(good.begin(), good.begin() + static_cast<long>(cut)));
      CHECK(load_error(path) == fpm::ErrorCode::Corrupt);
    }
  }
  SECTION("a flipped byte in every section and in the header") {
    std::vector<std::uint64_t> at = {9, 40, 64 + 8, 2000};
    for (const auto& s : secs)
      if (s.second) {
        at.push_back(s.first);
        at.push_back(s.first + s.second - 1);
      }
    for (std::uint64_t a : at) {
      INFO("flip at " << a);
      std::vector<char> b = good;
      b[a] = static_cast<char>(b[a] ^ 0x20);
      spit(path, b);
      CHECK(load_error(path) == fpm::ErrorCode::Corrupt);
    }
  }
  SECTION("another format version, another file type, a missing file") {
    std::vector<char> b = good;
    b[8] = 2;  // version 2 (checked before the header checksum, so the message names it)
    spit(path, b);
    try {
      fpm::Gallery::load(path);
      FAIL("loaded a version-2 file");
    } catch (const fpm::Error& e) {
      CHECK(e.code() == fpm::ErrorCode::Corrupt);
      CHECK(std::string(e.what()).find("version 2") != std::string::npos);
    }
    spit(path, std::vector<char>(5000, 'x'));
    CHECK(load_error(path) == fpm::ErrorCode::Corrupt);
    CHECK(load_error("/nonexistent/gallery.fpg") == fpm::ErrorCode::Io);
  }
  std::remove(path.c_str());
}

TEST_CASE("gallery: a failed save leaves the old file and no temporary behind", "[gallery]") {
  const fpm::Gallery g = small_gallery(3, 1);
  CHECK_THROWS_AS(g.save("/nonexistent-dir/x.fpg"), fpm::Error);
  const std::string path = "fpm_test_keep.fpg";
  g.save(path);
  const std::vector<char> before = slurp(path);
  ::chmod(".", 0555);  // no new files in this folder
  const bool can_still_write = ::access(".", W_OK) == 0;  // root ignores permissions
  if (!can_still_write) {
    CHECK_THROWS_AS(small_gallery(4, 1).save(path), fpm::Error);
    CHECK(slurp(path) == before);
  }
  ::chmod(".", 0755);
  std::remove(path.c_str());
}
