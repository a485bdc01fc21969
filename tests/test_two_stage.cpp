// The two-stage search through the public API: SearchOptions' shortlist
// against an independent oracle (stage 1 by fpm::first_stage_score, stage 2
// by fpm::Matcher), its determinism over threads and SIMD levels, refused
// options, and the first-stage codes in gallery files (stored, computed
// for older files, damaged sections refused).
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include "fpmatch/fpmatch.hpp"
#include "gallery_checksums.hpp"  // fuzz/: shared with the gallery fuzz target
#include "support.hpp"

namespace {

struct TwoStageFixture {
  fpm::SyntheticFingers sf = fpm_test::synthetic_fingers(fpm_test::fresh_seed("two-stage"));
  fpm::Gallery g;
  std::vector<fpm::EncodedTemplate> probes;
  TwoStageFixture() {
    // 30 subjects of two fingers; probes: another impression of some.
    for (std::size_t s = 0; s < 30; ++s)
      for (int f = 1; f <= 2; ++f)
        g.add("s" + std::to_string(100 + s), static_cast<std::uint8_t>(f), fpm::encode_cylinders(sf.impression(s, f, 0)));
    for (std::size_t s = 0; s < 30; s += 4) probes.push_back(fpm::encode_cylinders(sf.impression(s, 1 + s % 2, 1)));
  }
};

// The two-stage answer as the options describe it, from public functions:
// the m live entries of best first-stage score (then smaller index), scored
// by the full matcher, the k best (then smaller index).
std::vector<fpm::Candidate> oracle(const fpm::Gallery& g, const fpm::EncodedTemplate& probe, std::size_t m,
                                   std::size_t k) {
  const fpm::FirstStageCode pc = fpm::first_stage_code(probe);
  std::vector<std::pair<std::uint32_t, std::size_t>> s1;
  for (std::size_t e = 0; e < g.size(); ++e)
    if (!g.entry(e).removed) s1.push_back({fpm::first_stage_score(pc, fpm::first_stage_code(g.encoded(e))), e});
  std::sort(s1.begin(), s1.end(), [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  s1.resize(std::min(m, s1.size()));
  fpm::Matcher matcher(fpm::SimdLevel::Scalar);
  std::vector<fpm::Candidate> c;
  for (const auto& x : s1) {
    const fpm::GalleryEntryInfo info = g.entry(x.second);
    c.push_back({x.second, info.subject, info.position, matcher.match(probe, g.encoded(x.second))});
  }
  std::sort(c.begin(), c.end(), [](const auto& a, const auto& b) { return a.score > b.score || (a.score == b.score && a.index < b.index); });
  if (c.size() > k) c.resize(k);
  return c;
}

void check_same(const std::vector<fpm::Candidate>& a, const std::vector<fpm::Candidate>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].index == b[i].index);
    CHECK(a[i].score == b[i].score);
    CHECK(a[i].subject == b[i].subject);
  }
}

fpm::SearchOptions shortlist_of(std::size_t m, std::size_t k) {
  fpm::SearchOptions o;
  o.top_k = k;
  o.shortlist = m;
  return o;
}

std::vector<char> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}
void spit(const std::string& path, const std::vector<char>& b) {
  std::ofstream(path, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
}
std::uint64_t u64_at(const std::vector<char>& b, std::size_t off) {
  std::uint64_t v;
  std::memcpy(&v, b.data() + off, 8);
  return v;
}
void put32(std::vector<char>& b, std::size_t off, std::uint32_t v) { std::memcpy(b.data() + off, &v, 4); }

std::string load_message(const std::string& path) {
  try {
    fpm::Gallery::load(path);
  } catch (const fpm::Error& e) {
    CHECK(e.code() == fpm::ErrorCode::Corrupt);
    return e.what();
  }
  return "loaded";
}

}  // namespace

TEST_CASE("two-stage: the shortlist is re-ranked exactly as specified, on every thread count and SIMD level",
          "[two-stage]") {
  TwoStageFixture fx;
  for (const std::size_t m : {std::size_t{5}, std::size_t{12}}) {
    const std::size_t k = 5;
    fpm::Engine one(fx.g, {fpm::Backend::Cpu, 1, fpm::SimdLevel::Scalar, {}, {}});
    fpm::Engine all(fx.g, {fpm::Backend::Cpu, 3, fpm::SimdLevel::Auto, {}, {}});
    const auto a = one.search(fx.probes, shortlist_of(m, k));
    const auto b = all.search(fx.probes, shortlist_of(m, k));
    REQUIRE(a.size() == fx.probes.size());
    for (std::size_t p = 0; p < fx.probes.size(); ++p) {
      INFO("shortlist " << m << ", probe " << p);
      check_same(a[p], oracle(fx.g, fx.probes[p], m, k));
      check_same(b[p], a[p]);
    }
    // Only the shortlisted entries got the full matcher.
    CHECK(one.comparisons() == fx.probes.size() * m);
  }
}

TEST_CASE("two-stage: removed entries are never shortlisted, and a shortlist of the whole gallery is exhaustive",
          "[two-stage]") {
  TwoStageFixture fx;
  fpm::Engine engine(fx.g, {fpm::Backend::Cpu, 2, fpm::SimdLevel::Auto, {}, {}});
  const auto exhaustive = engine.search(fx.probes, shortlist_of(0, 10));
  for (const std::size_t m : {fx.g.size(), fx.g.size() + 100}) {
    const auto all = engine.search(fx.probes, shortlist_of(m, 10));
    for (std::size_t p = 0; p < fx.probes.size(); ++p) check_same(all[p], exhaustive[p]);
  }
  fpm::SearchOptions fraction;
  fraction.top_k = 10;
  fraction.shortlist_fraction = 1.0;
  const auto whole = engine.search(fx.probes, fraction);
  for (std::size_t p = 0; p < fx.probes.size(); ++p) check_same(whole[p], exhaustive[p]);
  // A fraction gives ceil(f * live entries), at least top_k: 0.1 of 60 = 6.
  fraction.top_k = 3;
  fraction.shortlist_fraction = 0.1;
  const std::uint64_t before = engine.comparisons();
  const auto tenth = engine.search(fx.probes, fraction);
  CHECK(engine.comparisons() - before == fx.probes.size() * 6);
  for (std::size_t p = 0; p < fx.probes.size(); ++p) check_same(tenth[p], oracle(fx.g, fx.probes[p], 6, 3));
  // Removing each probe's first-ranked entry takes it out of stage 1 too.
  const std::size_t gone = tenth[0][0].index;
  engine.remove(gone);
  fpm::Gallery after = fx.g;
  after.remove(gone);
  const auto again = engine.search(fx.probes, fraction);  // 0.1 of 59 live = 6
  for (std::size_t p = 0; p < fx.probes.size(); ++p) {
    for (const auto& c : again[p]) CHECK(c.index != gone);
    check_same(again[p], oracle(after, fx.probes[p], 6, 3));
  }
}

TEST_CASE("two-stage: per-subject shortlists rank subjects by their fingers' best stage-1 scores", "[two-stage]") {
  TwoStageFixture fx;
  // Two-finger probes of known and unknown positions.
  std::vector<std::vector<fpm::FingerProbe>> probes;
  for (std::size_t s = 0; s < 30; s += 5)
    probes.push_back({{fpm::encode_cylinders(fx.sf.impression(s, 1, 2)), 1},
                      {fpm::encode_cylinders(fx.sf.impression(s, 2, 2)), static_cast<std::uint8_t>(s % 2 ? 0 : 2)}});
  const std::size_t m = 4, k = 3;
  fpm::Engine engine(fx.g, {fpm::Backend::Cpu, 2, fpm::SimdLevel::Auto, {}, {}});
  fpm::Engine scalar(fx.g, {fpm::Backend::Cpu, 1, fpm::SimdLevel::Scalar, {}, {}});
  const auto got = engine.search_subjects(probes, shortlist_of(m, k));
  const auto got_scalar = scalar.search_subjects(probes, shortlist_of(m, k));
  // The oracle, from public functions only.
  std::vector<fpm::FirstStageCode> codes;
  for (std::size_t e = 0; e < fx.g.size(); ++e) codes.push_back(fpm::first_stage_code(fx.g.encoded(e)));
  std::map<std::string, std::vector<std::size_t>> by_subject;  // by name: the subject rank
  for (std::size_t e = 0; e < fx.g.size(); ++e) by_subject[fx.g.entry(e).subject].push_back(e);
  fpm::Matcher matcher(fpm::SimdLevel::Scalar);
  for (std::size_t p = 0; p < probes.size(); ++p) {
    std::vector<std::pair<std::uint64_t, std::string>> s1;
    for (const auto& [subject, entries] : by_subject) {
      std::uint64_t sum = 0;
      for (const auto& f : probes[p]) {
        const fpm::FirstStageCode pc = fpm::first_stage_code(f.t);
        std::uint32_t best = 0;
        for (std::size_t e : entries)
          if (f.position == 0 || fx.g.entry(e).position == f.position)
            best = std::max(best, fpm::first_stage_score(pc, codes[e]));
        sum += best;
      }
      s1.push_back({sum, subject});
    }
    std::stable_sort(s1.begin(), s1.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    s1.resize(m);
    std::vector<std::pair<float, std::string>> full;
    for (const auto& x : s1) {
      float sum = 0;
      for (const auto& f : probes[p]) {
        float best = 0;
        for (std::size_t e : by_subject[x.second])
          if (f.position == 0 || fx.g.entry(e).position == f.position)
            best = std::max(best, matcher.match(f.t, fx.g.encoded(e)));
        sum += best;
      }
      full.push_back({sum / static_cast<float>(probes[p].size()), x.second});
    }
    std::sort(full.begin(), full.end(), [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    full.resize(k);
    INFO("probe " << p);
    REQUIRE(got[p].size() == k);
    for (std::size_t i = 0; i < k; ++i) {
      CHECK(got[p][i].subject == full[i].second);
      CHECK(got[p][i].score == full[i].first);
      CHECK(got_scalar[p][i].subject == got[p][i].subject);
      CHECK(got_scalar[p][i].score == got[p][i].score);
    }
  }
}

TEST_CASE("two-stage: shortlist options outside their range are refused", "[two-stage]") {
  TwoStageFixture fx;
  fpm::Engine engine(fx.g, {fpm::Backend::Cpu, 1, fpm::SimdLevel::Auto, {}, {}});
  for (const double f : {-0.1, 1.5, std::nan("")}) {
    fpm::SearchOptions o;
    o.shortlist_fraction = f;
    CHECK_THROWS_MATCHES(engine.search(fx.probes, o), fpm::Error, Catch::Matchers::Predicate<fpm::Error>([](const fpm::Error& e) {
                           return e.code() == fpm::ErrorCode::InvalidArgument &&
                                  std::string(e.what()).find("shortlist_fraction") != std::string::npos;
                         }));
  }
  fpm::SearchOptions both;
  both.shortlist = 10;
  both.shortlist_fraction = 0.5;
  CHECK_THROWS_AS(engine.search(fx.probes, both), fpm::Error);
  CHECK_THROWS_AS(engine.search_subjects({{{fx.probes[0], 0}}}, both), fpm::Error);
}

TEST_CASE("two-stage: gallery files carry the codes, older files get them computed, damaged codes are refused",
          "[two-stage][gallery]") {
  TwoStageFixture fx;
  const std::string path = "fpm_test_two_stage.fpg";
  fx.g.save(path);
  const fpm::SearchOptions o = shortlist_of(6, 3);
  const auto expected = fpm::Engine(fx.g, {fpm::Backend::Cpu, 1, fpm::SimdLevel::Auto, {}, {}}).search(fx.probes, o);
  const auto search_file = [&](const std::string& p) {
    fpm::Gallery loaded = fpm::Gallery::load(p);
    const std::string note = loaded.load_note();
    const auto got = fpm::Engine(std::move(loaded), {fpm::Backend::Cpu, 1, fpm::SimdLevel::Auto, {}, {}}).search(fx.probes, o);
    for (std::size_t i = 0; i < fx.probes.size(); ++i) check_same(got[i], expected[i]);
    return note;
  };
  CHECK(search_file(path).empty());
  CHECK(fpm::Gallery::layout().file_format_version == 2);
  CHECK(fpm::Gallery::layout().first_stage_code_bytes == static_cast<int>(fpm::FirstStageCode::kWords * 8 + 4));
  const std::vector<char> good = slurp(path);
  REQUIRE(good.size() > 4096);
  // The section table: entry i at 64 + 32 i (id, crc, offset, bytes); the
  // codes are section 12, the last.
  const std::size_t entry12 = 64 + 32 * 11;
  std::uint32_t id12;
  std::memcpy(&id12, good.data() + entry12, 4);
  REQUIRE(id12 == 12);
  const std::uint64_t codes_at = u64_at(good, entry12 + 8), codes_bytes = u64_at(good, entry12 + 16);
  REQUIRE(codes_bytes == 16 + fx.g.size() * (fpm::FirstStageCode::kWords * 8 + 4));

  SECTION("a version 1 file (no code section) loads, its codes computed, and says so") {
    std::vector<char> b(good.begin(), good.begin() + static_cast<long>(codes_at));
    put32(b, 8, 1);     // format version
    put32(b, 28, 11);   // sections
    std::memset(b.data() + entry12, 0, 32);
    fpm_fuzz::refresh_checksums(reinterpret_cast<unsigned char*>(b.data()), b.size());
    spit(path, b);
    const std::string note = search_file(path);
    CHECK(note.find("format version 1") != std::string::npos);
    CHECK(note.find("save the gallery") != std::string::npos);
  }
  SECTION("codes of another code version are recomputed, and that is said") {
    std::vector<char> b = good;
    put32(b, codes_at, 99);
    fpm_fuzz::refresh_checksums(reinterpret_cast<unsigned char*>(b.data()), b.size());
    spit(path, b);
    CHECK(search_file(path).find("code version 99") != std::string::npos);
  }
  SECTION("a damaged code section is refused by its checksum") {
    std::vector<char> b = good;
    b[codes_at + 16 + 5] = static_cast<char>(b[codes_at + 16 + 5] ^ 0x10);
    spit(path, b);
    CHECK(load_message(path).find("'first_stage_codes' checksum mismatch") != std::string::npos);
  }
  SECTION("a code whose slot count is impossible is refused even with correct checksums") {
    std::vector<char> b = good;
    put32(b, codes_at + 16 + fx.g.size() * fpm::FirstStageCode::kWords * 8, 1000);  // entry 0's aux
    fpm_fuzz::refresh_checksums(reinterpret_cast<unsigned char*>(b.data()), b.size());
    spit(path, b);
    CHECK(load_message(path).find("the code of entry 0 is inconsistent") != std::string::npos);
  }
  SECTION("a code section of the wrong size or words per code is refused") {
    std::vector<char> b = good;
    put32(b, codes_at + 4, 31);
    fpm_fuzz::refresh_checksums(reinterpret_cast<unsigned char*>(b.data()), b.size());
    spit(path, b);
    CHECK(load_message(path).find("first_stage_codes") != std::string::npos);
  }
  SECTION("a version 3 file is refused") {
    std::vector<char> b = good;
    put32(b, 8, 3);
    fpm_fuzz::refresh_checksums(reinterpret_cast<unsigned char*>(b.data()), b.size());
    spit(path, b);
    CHECK(load_message(path).find("versions 1 to 2") != std::string::npos);
  }
  std::remove(path.c_str());
}
