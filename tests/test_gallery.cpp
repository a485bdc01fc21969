// Gallery: entries, memory accounting, the file format and its refusals.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>

#include "fpmatch/fpmatch.hpp"
#include "gallery_checksums.hpp"  // fuzz/: shared with the gallery fuzz target
#include "support.hpp"

namespace {

fpm::Gallery small_gallery(std::size_t subjects = 12, int fingers = 2, std::uint64_t seed = 5) {
  const fpm::SyntheticFingers sf = fpm_test::synthetic_fingers(seed);
  fpm::Gallery g;
  for (std::size_t s = 0; s < subjects; ++s)
    for (int f = 1; f <= fingers; ++f)
      g.add("subj" + std::to_string(s), static_cast<std::uint8_t>(f), fpm::encode_cylinders(sf.impression(s, f, 0)));
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
// The sections of a file this library writes (format version 2: twelve,
// the first-stage codes last).
constexpr int kSections = 12;
std::vector<std::pair<std::uint64_t, std::uint64_t>> sections(const std::vector<char>& b) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> s;
  for (int i = 0; i < kSections; ++i) {
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

// The load message of `b` written to `path` with its checksums recomputed:
// what the loader says of the content itself.
std::string resealed_load_message(const std::string& path, std::vector<char> b) {
  refresh_checksums(b);
  spit(path, b);
  return load_message(path);
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
    CHECK(resealed_load_message(path, b).find("valid cells outside its disc") != std::string::npos);
  }
  SECTION("a cell bit outside the valid cells") {
    std::vector<char> b = good;
    b[secs[5].first] = static_cast<char>(b[secs[5].first] | 1);  // cylinder_bits, first cylinder, layer 0, word 0
    CHECK(resealed_load_message(path, b).find("bits outside its valid cells") != std::string::npos);
  }
  SECTION("the unaltered file, its checksums recomputed, loads") {
    CHECK(resealed_load_message(path, good) == "loaded");
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
  for (int i = 0; i < kSections; ++i) {
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
  g.add("extra", 2, fpm::encode_cylinders(sf.impression(99, 2, 0)));
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
    b[8] = 3;  // version 3 (checked before the header checksum, so the message names it)
    spit(path, b);
    try {
      fpm::Gallery::load(path);
      FAIL("loaded a version-3 file");
    } catch (const fpm::Error& e) {
      CHECK(e.code() == fpm::ErrorCode::Corrupt);
      CHECK(std::string(e.what()).find("version 3") != std::string::npos);
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

// ---- temporary files of killed saves (docs/gallery-format.md, "Writing") ----

namespace {

// This process's host name and pid namespace as the documented temporary
// file name writes them: GALLERY.tmp.<host>.<pidns>.<pid>.<random>.
std::string host_tag_for_test() {
  char buf[256] = {};
  REQUIRE(::gethostname(buf, sizeof buf - 1) == 0);
  std::string out;
  for (const char* p = buf; *p; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}
std::uint64_t pid_namespace_for_test() {
  struct stat st;
  return ::stat("/proc/self/ns/pid", &st) == 0 ? static_cast<std::uint64_t>(st.st_ino) : 0;
}
std::string tmp_name(const std::string& gallery, const std::string& host, std::uint64_t ns, long pid,
                     const std::string& random) {
  return gallery + ".tmp." + host + "." + std::to_string(ns) + "." + std::to_string(pid) + "." + random;
}
bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}
void touch(const std::string& p, std::size_t bytes = 100) { spit(p, std::vector<char>(bytes, 'z')); }
// The pid of a process that has exited and been reaped.
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE((::kill(child, 0) != 0 && errno == ESRCH));  // (not handed out again yet)
  return child;
}
std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') out.emplace_back(e->d_name);
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}
void remove_all_in(const std::string& dir) {
  for (const auto& n : names_in(dir))
    if (::unlink((dir + "/" + n).c_str()) != 0) ::rmdir((dir + "/" + n).c_str());
  ::rmdir(dir.c_str());
}
// A fresh, empty folder `prefix` + this process's pid, for a test's files.
std::string fresh_dir(const std::string& prefix) {
  const std::string dir = prefix + std::to_string(::getpid());
  remove_all_in(dir);
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  return dir;
}

}  // namespace

TEST_CASE("gallery: a save removes the stale temporary files of killed saves, and only those", "[gallery]") {
  const std::string dir = fresh_dir("fpm_test_stale_tmp_");
  const std::string path = dir + "/g.fpg";
  const std::string host = host_tag_for_test();
  const std::uint64_t ns = pid_namespace_for_test();
  REQUIRE(!host.empty());
  REQUIRE(ns != 0);
  const pid_t dead = dead_pid();
  const std::string stale = tmp_name(path, host, ns, dead, "AbC123");
  const std::string stale2 = tmp_name(path, host, ns, dead, "zz99ZZ");
  const std::string live = tmp_name(path, host, ns, ::getpid(), "XyZ789");     // a save in progress
  const std::string other_host = tmp_name(path, host + "-elsewhere", ns, dead, "Qwe456");
  const std::string other_ns = tmp_name(path, host, ns + 1, dead, "Rty111");   // another container
  const std::string pid_zero = tmp_name(path, host, ns, 0, "Uio222");          // never kill(0, ...)
  const std::string old_style = path + ".tmp.Ab12Cd";                          // earlier versions' names
  const std::string other_gallery = tmp_name(dir + "/h.fpg", host, ns, dead, "Pas333");
  const std::string stale_dir = tmp_name(path, host, ns, dead, "Dir444");      // not a regular file
  for (const auto& p : {stale, stale2, live, other_host, other_ns, pid_zero, old_style, other_gallery}) touch(p);
  REQUIRE(::mkdir(stale_dir.c_str(), 0755) == 0);

  // While saving, the save's own temporary file is there, named after its
  // writer (this host, this pid namespace, this process).
  const std::string own_prefix = "g.fpg.tmp." + host + "." + std::to_string(ns) + "." + std::to_string(::getpid()) + ".";
  bool saw_own = false;
  small_gallery(3, 1).save(path, [&](std::size_t, std::size_t) {
    for (const auto& n : names_in(dir))
      if (n.compare(0, own_prefix.size(), own_prefix) == 0 && n != live.substr(dir.size() + 1) &&
          n.size() == own_prefix.size() + 6)
        saw_own = true;
  });
  CHECK(saw_own);
  CHECK(load_message(path) == "loaded");
  CHECK_FALSE(exists(stale));
  CHECK_FALSE(exists(stale2));
  for (const auto& p : {live, other_host, other_ns, pid_zero, old_style, other_gallery, stale_dir}) {
    INFO(p);
    CHECK(exists(p));
  }
  // Nothing else is left: the gallery and what was there before.
  CHECK(names_in(dir).size() == 1 + 7);
  remove_all_in(dir);
}

TEST_CASE("gallery: temporary_files tells stale, in-use, foreign and unrecognised temporaries apart", "[gallery]") {
  const std::string dir = fresh_dir("fpm_test_list_tmp_");
  const std::string path = dir + "/g.fpg";
  const std::string host = host_tag_for_test();
  const std::uint64_t ns = pid_namespace_for_test();
  const pid_t dead = dead_pid();
  using State = fpm::GalleryTemporaryFile::State;
  CHECK(fpm::Gallery::temporary_files(path).empty());
  CHECK(fpm::Gallery::temporary_files("/nonexistent-dir/g.fpg").empty());
  const std::string stale = tmp_name(path, host, ns, dead, "AbC123");
  touch(stale, 1234);
  touch(tmp_name(path, host, ns, ::getpid(), "XyZ789"));
  touch(tmp_name(path, "build%2Fhost.example", ns, dead, "Qwe456"));
  touch(path + ".tmp.Ab12Cd");
  touch(path + ".tmp." + host + ".x." + std::to_string(dead) + ".AbC123");  // not a number: unrecognised
  touch(dir + "/g.fpg2.tmp.Ab12Cd");                                         // another gallery's
  touch(path);                                                               // the gallery itself
  const auto t = fpm::Gallery::temporary_files(path);
  REQUIRE(t.size() == 5);
  std::map<std::string, fpm::GalleryTemporaryFile> by_path;
  for (const auto& f : t) by_path[f.path] = f;
  CHECK(by_path.at(stale).state == State::Stale);
  CHECK(by_path.at(stale).bytes == 1234);
  CHECK(by_path.at(stale).host == host);
  CHECK(by_path.at(stale).pid == static_cast<std::uint64_t>(dead));
  CHECK(by_path.at(tmp_name(path, host, ns, ::getpid(), "XyZ789")).state == State::InUse);
  CHECK(by_path.at(tmp_name(path, "build%2Fhost.example", ns, dead, "Qwe456")).state == State::OtherHost);
  CHECK(by_path.at(path + ".tmp.Ab12Cd").state == State::Unrecognised);
  CHECK(by_path.at(path + ".tmp." + host + ".x." + std::to_string(dead) + ".AbC123").state == State::Unrecognised);
  CHECK(std::is_sorted(t.begin(), t.end(), [](const auto& a, const auto& b) { return a.path < b.path; }));
  // Listing removes nothing.
  CHECK(exists(stale));
  CHECK(fpm::Gallery::temporary_files(path).size() == 5);
  remove_all_in(dir);
}

// ---- what the writer never writes is refused (docs/gallery-format.md) ----

TEST_CASE("gallery: bytes the writer never writes are refused, naming the field", "[gallery]") {
  const std::string path = "fpm_test_strict.fpg";
  small_gallery(6, 2).save(path);
  const std::vector<char> good = slurp(path);
  const auto secs = sections(good);
  const std::uint64_t last_end = secs[kSections - 1].first + secs[kSections - 1].second;
  REQUIRE(good.size() % 4096 == 0);
  REQUIRE(last_end < good.size());  // (there is padding after the last section)
  const auto refused_with = [&](const std::vector<char>& b, const std::string& words) {
    spit(path, b);
    const std::string m = load_message(path);
    INFO(m);
    CHECK(load_error(path) == fpm::ErrorCode::Corrupt);
    CHECK(m.find(words) != std::string::npos);
  };
  // `good` with byte `at` set to `value` and its checksums recomputed, so
  // that only the content can be refused.
  const auto with_byte = [&](std::size_t at, char value) {
    std::vector<char> b = good;
    b[at] = value;
    refresh_checksums(b);
    return b;
  };

  SECTION("a cut inside the padding after the last section") {
    for (std::uint64_t cut : {good.size() - 1, last_end + 1, last_end}) {
      INFO("cut at " << cut);
      refused_with(std::vector<char>(good.begin(), good.begin() + static_cast<long>(cut)), "truncated");
    }
  }
  SECTION("bytes after the last section's padding") {
    for (std::size_t extra : {std::size_t{1}, std::size_t{4096}, std::size_t{100000}}) {
      INFO(extra << " bytes appended");
      std::vector<char> b = good;
      b.resize(b.size() + extra, 0);
      refused_with(b, "trailing bytes: " + std::to_string(extra) + " bytes");
    }
  }
  SECTION("non-zero reserved header bytes") {
    for (std::size_t at : {std::size_t{56}, std::size_t{63}, std::size_t{64 + 32 * kSections}, std::size_t{64 + 32 * 16 - 1},
                           std::size_t{2000}, std::size_t{4091}}) {
      INFO("byte " << at);
      refused_with(with_byte(at, 1), "reserved header byte " + std::to_string(at) + " is 0x01, not zero");
    }
  }
  SECTION("non-zero reserved bytes of a section table entry") {
    for (int i = 0; i < kSections; ++i)
      for (int k : {24, 31}) {
        INFO("entry " << i << " byte " << k);
        const std::vector<char> b = with_byte(64 + 32 * i + k, static_cast<char>(0x80));
        refused_with(b, "section table entry " + std::to_string(i) + " ('");
        refused_with(b, "reserved byte " + std::to_string(k) + " is 0x80, not zero");
      }
  }
  SECTION("non-zero padding after a section") {
    for (int i : {0, 4, 10, kSections - 1}) {
      const std::uint64_t end = secs[i].first + secs[i].second;
      REQUIRE(end % 4096 != 0);
      for (std::uint64_t at : {end, (end + 4095) / 4096 * 4096 - 1}) {
        INFO("byte " << at);
        refused_with(with_byte(at, 7), "byte " + std::to_string(at) + " in the padding after section '");
      }
    }
  }
  SECTION("a gap before a section") {
    // A page of zeros before the subject names, the table pointing there.
    std::vector<char> b(good.begin(), good.begin() + static_cast<long>(secs[10].first));
    b.resize(b.size() + 4096, 0);
    b.insert(b.end(), good.begin() + static_cast<long>(secs[10].first), good.end());
    const std::uint64_t moved = secs[10].first + 4096;
    std::memcpy(b.data() + 64 + 32 * 10 + 8, &moved, 8);
    for (int i = 11; i < kSections; ++i) {  // the sections after it move too
      const std::uint64_t after = secs[i].first + 4096;
      std::memcpy(b.data() + 64 + 32 * i + 8, &after, 8);
    }
    refresh_checksums(b);
    refused_with(b, "section 'subject_names' starts at byte " + std::to_string(moved));
  }
  SECTION("the unaltered file, its checksums recomputed, loads") {
    CHECK(resealed_load_message(path, good) == "loaded");
  }
  std::remove(path.c_str());
}

TEST_CASE("gallery: subject ids with control characters are refused by add and by load", "[gallery]") {
  const fpm::SyntheticFingers sf;
  const fpm::EncodedTemplate t = fpm::encode_cylinders(sf.impression(1, 1, 0));
  fpm::Gallery g;
  for (const std::string& bad : {std::string("a\nb"), std::string("a\0b", 3), std::string("\x1b[31mred"),
                                 std::string("tab\there"), std::string("del\x7f"), std::string("cr\r"),
                                 std::string(1, '\x1f')}) {
    INFO("subject of " << bad.size() << " bytes");
    try {
      g.add(bad, 1, t);
      FAIL("added a subject id with a control character");
    } catch (const fpm::Error& e) {
      CHECK(e.code() == fpm::ErrorCode::InvalidArgument);
      CHECK(std::string(e.what()).find("control character") != std::string::npos);
    }
  }
  CHECK(g.size() == 0);
  CHECK(g.subjects() == 0);
  // Printable ASCII and UTF-8 stay allowed.
  for (const std::string& ok : {std::string("Jos\xc3\xa9"), std::string("a b~!"), std::string("\xe6\x8c\x87\xe7\xba\xb9"),
                                std::string(255, '\xff')})
    CHECK_NOTHROW(g.add(ok, 1, t));
  const std::string path = "fpm_test_names.fpg";
  g.save(path);
  const fpm::Gallery h = fpm::Gallery::load(path);
  CHECK(h.entry(0).subject == "Jos\xc3\xa9");

  // A file whose subject name holds one (its checksums rewritten) is refused.
  const std::vector<char> good = slurp(path);
  const auto secs = sections(good);
  // Names section: u32 count, then u8 length + bytes; name 1 is "a b~!".
  const std::uint64_t name1 = secs[10].first + 4 + 1 + 5 + 1;
  REQUIRE(std::string(good.data() + name1, 5) == "a b~!");
  for (char c : {'\0', '\n', '\x1b', '\x7f', '\x01'}) {
    std::vector<char> b = good;
    b[name1 + 1] = c;
    const std::string m = resealed_load_message(path, b);
    INFO(m);
    CHECK(load_error(path) == fpm::ErrorCode::Corrupt);
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(c));
    CHECK(m.find(std::string("subject name 1 holds a control character (byte 1 is ") + byte + ")") != std::string::npos);
  }
  std::remove(path.c_str());
}
