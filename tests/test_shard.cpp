// A gallery split into shards (fpmatch/shard.hpp) through the public API:
// whole subjects per shard in the source's order, the metadata written,
// read back and refused when damaged or mixed, and the merged answers of
// one engine per shard equal to one engine's on the unsplit gallery.
#include <catch2/catch.hpp>
#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "fpmatch/fpmatch.hpp"
#include "support.hpp"

namespace {

// Subjects with 1 to 4 fingers, some entries removed, and one subject
// enrolled twice with the same cylinders (equal scores: the tie-breaks).
struct ShardFixture {
  fpm::SyntheticFingers sf = fpm_test::synthetic_fingers(fpm_test::fresh_seed("shard"));
  fpm::Gallery g;
  std::string dir = fpm_test::make_temp_dir();
  std::string path = dir + "/gallery.fpg";
  std::vector<fpm::EncodedTemplate> probes;
  ShardFixture() {
    for (std::size_t s = 0; s < 24; ++s)
      for (int f = 1; f <= 1 + static_cast<int>(s % 4); ++f)
        g.add("p" + std::to_string(1000 - 7 * s), static_cast<std::uint8_t>(f), fpm::encode_cylinders(sf.impression(s, f, 0)));
    const fpm::EncodedTemplate twin = fpm::encode_cylinders(sf.impression(3, 1, 0));
    g.add("twin-a", 1, twin);
    g.add("twin-b", 1, twin);
    g.remove(2);
    g.remove(11);
    g.save(path);
    for (std::size_t s = 0; s < 24; s += 3) probes.push_back(fpm::encode_cylinders(sf.impression(s, 1, 1)));
  }
};

std::vector<fpm::Shard> load_all(const std::vector<std::string>& files) {
  std::vector<fpm::Shard> out;
  for (const auto& f : files) out.push_back(fpm::load_shard(f));
  return out;
}

}  // namespace

TEST_CASE("split: whole subjects in the source's order, with their source indices", "[shard]") {
  ShardFixture fx;
  const auto files = fpm::split_gallery(fx.path, fx.dir + "/shards", {3, {}, {}});
  REQUIRE(files.size() == 3);
  CHECK(files[1] == fx.dir + "/shards/shard-1-of-3.fpg");
  const std::vector<fpm::Shard> shards = load_all(files);
  std::vector<fpm::ShardInfo> infos;
  std::set<std::uint64_t> seen;
  std::map<std::string, std::size_t> subject_shard;
  std::vector<std::string> names;  // every live subject, for the ranks
  for (std::size_t e = 0; e < fx.g.size(); ++e)
    if (!fx.g.entry(e).removed) names.push_back(fx.g.entry(e).subject);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::size_t largest = 0, smallest = SIZE_MAX;
  for (std::size_t k = 0; k < shards.size(); ++k) {
    const fpm::ShardInfo& s = shards[k].info;
    infos.push_back(s);
    CHECK(s.shard == k);
    CHECK(s.shards == 3);
    CHECK(s.split_id.size() == 32);
    CHECK(s.split_id == shards[0].info.split_id);
    CHECK(s.source_live == fx.g.live_size());
    CHECK(s.source_subjects == fx.g.subjects());
    CHECK(s.source_entries == fx.g.size());
    REQUIRE(s.global_index.size() == shards[k].gallery.size());
    std::vector<std::string> mine;
    for (std::size_t i = 0; i < s.global_index.size(); ++i) {
      if (i > 0) CHECK(s.global_index[i] > s.global_index[i - 1]);
      const fpm::GalleryEntryInfo a = shards[k].gallery.entry(i), b = fx.g.entry(s.global_index[i]);
      CHECK_FALSE(b.removed);
      CHECK(a.subject == b.subject);
      CHECK(a.position == b.position);
      CHECK(a.cylinders == b.cylinders);
      CHECK(seen.insert(s.global_index[i]).second);
      const auto it = subject_shard.emplace(a.subject, k).first;
      CHECK(it->second == k);  // a subject never straddles shards
      if (mine.empty() || mine.back() != a.subject) mine.push_back(a.subject);
    }
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    REQUIRE(mine.size() == s.subject_rank.size());
    for (std::size_t i = 0; i < mine.size(); ++i) CHECK(names[s.subject_rank[i]] == mine[i]);
    largest = std::max<std::size_t>(largest, s.global_index.size());
    smallest = std::min<std::size_t>(smallest, s.global_index.size());
  }
  CHECK(seen.size() == fx.g.live_size());
  CHECK(largest - smallest <= 4);  // within one subject's entries
  CHECK_NOTHROW(fpm::check_complete_split(infos));

  // Weights: shard 0 asked for three times shard 1's share.
  const auto weighted = load_all(fpm::split_gallery(fx.path, fx.dir + "/weighted", {2, {3.0, 1.0}, {}}));
  const double share = static_cast<double>(weighted[0].gallery.size()) / fx.g.live_size();
  CHECK(share == Approx(0.75).margin(4.0 / fx.g.live_size()));
  CHECK(weighted[0].info.weight == 3.0);
}

TEST_CASE("split: merged shard answers are the unsplit gallery's", "[shard]") {
  ShardFixture fx;
  fpm::EngineOptions eo;
  eo.backend = fpm::Backend::Cpu;
  eo.threads = 2;
  const fpm::Engine whole(fpm::Gallery::load(fx.path), eo);
  for (std::size_t n : {1, 2, 3, 5}) {
    std::vector<fpm::Shard> shards = load_all(fpm::split_gallery(fx.path, fx.dir + "/m" + std::to_string(n), {n, {}, {}}));
    std::vector<fpm::ShardInfo> infos;
    std::vector<std::unique_ptr<fpm::Engine>> engines;
    for (auto& s : shards) {
      infos.push_back(s.info);
      engines.push_back(std::make_unique<fpm::Engine>(std::move(s.gallery), eo));
    }
    for (std::size_t k : {1, 5, 200}) {
      fpm::SearchOptions so;
      so.top_k = k;
      const auto expect = whole.search(fx.probes, so);
      std::vector<std::vector<std::vector<fpm::Candidate>>> lists(fx.probes.size());
      for (std::size_t r = 0; r < engines.size(); ++r) {
        auto res = engines[r]->search(fx.probes, so);
        for (std::size_t p = 0; p < res.size(); ++p) {
          fpm::to_source_indices(infos[r], res[p]);
          lists[p].push_back(res[p]);
        }
      }
      for (std::size_t p = 0; p < fx.probes.size(); ++p) {
        const auto got = fpm::merge_shard_candidates(lists[p], k);
        REQUIRE(got.size() == expect[p].size());
        for (std::size_t i = 0; i < got.size(); ++i) {
          INFO("shards " << n << ", top " << k << ", probe " << p << ", rank " << i);
          CHECK(got[i].index == expect[p][i].index);
          CHECK(got[i].subject == expect[p][i].subject);
          CHECK(got[i].position == expect[p][i].position);
          CHECK(got[i].score == expect[p][i].score);
        }
      }
      // Per subject: two-finger probes (one of unknown position).
      std::vector<std::vector<fpm::FingerProbe>> fp;
      for (std::size_t s = 0; s < 24; s += 5)
        fp.push_back({{fpm::encode_cylinders(fx.sf.impression(s, 1, 2)), 1}, {fpm::encode_cylinders(fx.sf.impression(s, 2, 2)), 0}});
      fp.push_back({{fpm::encode_cylinders(fx.sf.impression(3, 1, 0)), 1}});  // the twins tie
      const auto sexpect = whole.search_subjects(fp, so);
      std::vector<std::vector<std::vector<fpm::SubjectCandidate>>> slists(fp.size());
      for (std::size_t r = 0; r < engines.size(); ++r) {
        auto res = engines[r]->search_subjects(fp, so);
        for (std::size_t p = 0; p < res.size(); ++p) {
          fpm::to_source_indices(infos[r], res[p]);
          slists[p].push_back(res[p]);
        }
      }
      for (std::size_t p = 0; p < fp.size(); ++p) {
        const auto got = fpm::merge_shard_subjects(slists[p], k);
        REQUIRE(got.size() == sexpect[p].size());
        for (std::size_t i = 0; i < got.size(); ++i) {
          INFO("shards " << n << ", top " << k << ", subject probe " << p << ", rank " << i);
          CHECK(got[i].subject == sexpect[p][i].subject);
          CHECK(got[i].score == sexpect[p][i].score);
          CHECK(got[i].finger_scores == sexpect[p][i].finger_scores);
          CHECK(got[i].finger_entries == sexpect[p][i].finger_entries);
        }
      }
    }
  }
}

TEST_CASE("shard metadata: damaged, misplaced or mixed shards are refused", "[shard]") {
  ShardFixture fx;
  const auto a = fpm::split_gallery(fx.path, fx.dir + "/a", {3, {}, {}});
  const auto b = fpm::split_gallery(fx.path, fx.dir + "/b", {3, {}, {}});
  const auto two = fpm::split_gallery(fx.path, fx.dir + "/two", {2, {}, {}});
  const auto code_of = [](auto&& f) {
    try {
      f();
    } catch (const fpm::Error& e) {
      return e.code();
    }
    return fpm::ErrorCode::Ok;
  };
  SECTION("a changed byte of the metadata") {
    std::fstream f(fpm::shard_info_path(a[1]), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
    f.close();
    CHECK(code_of([&] { fpm::read_shard_info(a[1]); }) == fpm::ErrorCode::Corrupt);
  }
  SECTION("metadata beside another gallery file") {
    // (b[1] would not do: the same source split the same way gives the same file.)
    fpm::Gallery::load(two[1]).save(a[1] + ".tmpcopy");
    std::rename((a[1] + ".tmpcopy").c_str(), a[1].c_str());
    CHECK(code_of([&] { fpm::load_shard(a[1]); }) == fpm::ErrorCode::Corrupt);
  }
  SECTION("no metadata, or none of it") {
    std::remove(fpm::shard_info_path(a[2]).c_str());
    CHECK(code_of([&] { fpm::read_shard_info(a[2]); }) == fpm::ErrorCode::Io);
    { std::ofstream(fpm::shard_info_path(a[2]), std::ios::binary) << "FPMSHARD"; }
    CHECK(code_of([&] { fpm::read_shard_info(a[2]); }) == fpm::ErrorCode::Corrupt);
  }
  SECTION("shards of two splits, of another count, out of order, missing") {
    std::vector<fpm::ShardInfo> mixed = {fpm::read_shard_info(a[0]), fpm::read_shard_info(b[1]), fpm::read_shard_info(a[2])};
    CHECK(code_of([&] { fpm::check_complete_split(mixed); }) == fpm::ErrorCode::InvalidArgument);
    std::vector<fpm::ShardInfo> counts = {fpm::read_shard_info(two[0]), fpm::read_shard_info(a[1])};
    CHECK(code_of([&] { fpm::check_complete_split(counts); }) == fpm::ErrorCode::InvalidArgument);
    std::vector<fpm::ShardInfo> order = {fpm::read_shard_info(a[1]), fpm::read_shard_info(a[0]), fpm::read_shard_info(a[2])};
    CHECK(code_of([&] { fpm::check_complete_split(order); }) == fpm::ErrorCode::InvalidArgument);
    std::vector<fpm::ShardInfo> missing = {fpm::read_shard_info(a[0]), fpm::read_shard_info(a[1])};
    CHECK(code_of([&] { fpm::check_complete_split(missing); }) == fpm::ErrorCode::InvalidArgument);
    std::vector<fpm::ShardInfo> whole = {fpm::read_shard_info(a[0]), fpm::read_shard_info(a[1]), fpm::read_shard_info(a[2])};
    CHECK_NOTHROW(fpm::check_complete_split(whole));
  }
  SECTION("options") {
    CHECK(code_of([&] { fpm::split_gallery(fx.path, fx.dir + "/x", {0, {}, {}}); }) == fpm::ErrorCode::InvalidArgument);
    CHECK(code_of([&] { fpm::split_gallery(fx.path, fx.dir + "/x", {5000, {}, {}}); }) == fpm::ErrorCode::InvalidArgument);
    CHECK(code_of([&] { fpm::split_gallery(fx.path, fx.dir + "/x", {2, {1.0}, {}}); }) == fpm::ErrorCode::InvalidArgument);
    CHECK(code_of([&] { fpm::split_gallery(fx.path, fx.dir + "/x", {2, {1.0, -1.0}, {}}); }) == fpm::ErrorCode::InvalidArgument);
    CHECK(code_of([&] { fpm::split_gallery(fx.path, fx.dir + "/x", {2, {1.0, std::nan("")}, {}}); }) ==
          fpm::ErrorCode::InvalidArgument);
    CHECK(code_of([&] { fpm::split_gallery(fx.dir + "/none.fpg", fx.dir + "/x", {2, {}, {}}); }) == fpm::ErrorCode::Io);
  }
  SECTION("more shards than subjects: empty shards, still one split") {
    const auto many = load_all(fpm::split_gallery(fx.path, fx.dir + "/many", {40, {}, {}}));
    std::vector<fpm::ShardInfo> infos;
    std::size_t empty = 0;
    for (const auto& s : many) {
      infos.push_back(s.info);
      empty += s.gallery.size() == 0;
    }
    CHECK(empty == 40 - fx.g.subjects());
    CHECK_NOTHROW(fpm::check_complete_split(infos));
  }
}

TEST_CASE("shortlist_filter: every probe's stage-1 shortlist between the stages, a prefix kept", "[shard][two-stage]") {
  ShardFixture fx;
  fpm::EngineOptions eo;
  eo.backend = fpm::Backend::Cpu;
  eo.threads = 2;
  const fpm::Engine engine(fpm::Gallery::load(fx.path), eo);
  fpm::SearchOptions so;
  so.top_k = 4;
  so.shortlist = 6;
  std::size_t calls = 0;
  std::vector<std::vector<fpm::ShortlistEntry>> seen;
  so.shortlist_filter = [&](std::vector<std::vector<fpm::ShortlistEntry>>& lists) {
    ++calls;
    seen = lists;
    for (auto& l : lists) l.resize(l.size() / 2);  // keep the best half
  };
  const auto got = engine.search(fx.probes, so);
  REQUIRE(calls == 1);
  REQUIRE(seen.size() == fx.probes.size());
  for (std::size_t p = 0; p < fx.probes.size(); ++p) {
    REQUIRE(seen[p].size() == 6);
    for (std::size_t i = 1; i < 6; ++i) {
      const bool ordered = seen[p][i - 1].score > seen[p][i].score ||
                           (seen[p][i - 1].score == seen[p][i].score && seen[p][i - 1].index < seen[p][i].index);
      CHECK(ordered);
    }
    // Stage 1's scores are the public first-stage scores of those entries.
    const fpm::FirstStageCode pc = fpm::first_stage_code(fx.probes[p]);
    for (const auto& e : seen[p]) CHECK(e.score == fpm::first_stage_score(pc, fpm::first_stage_code(fx.g.encoded(e.index))));
    // The answer: the full matcher on the 3 kept entries only.
    std::vector<std::size_t> kept;
    for (std::size_t i = 0; i < 3; ++i) kept.push_back(seen[p][i].index);
    REQUIRE(got[p].size() <= 3);
    for (const auto& c : got[p]) CHECK(std::find(kept.begin(), kept.end(), c.index) != kept.end());
    fpm::Matcher m;
    std::vector<std::pair<float, std::size_t>> expect;
    for (std::size_t e : kept) expect.push_back({m.match(fx.probes[p], fx.g.encoded(e)), e});
    std::sort(expect.begin(), expect.end(), [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    REQUIRE(got[p].size() == expect.size());
    for (std::size_t i = 0; i < expect.size(); ++i) {
      CHECK(got[p][i].index == expect[i].second);
      CHECK(got[p][i].score == expect[i].first);
    }
  }

  SECTION("a shortlist as large as the gallery still runs stage 1 and the filter") {
    so.shortlist = 100000;
    so.shortlist_filter = [&](std::vector<std::vector<fpm::ShortlistEntry>>& lists) {
      ++calls;
      for (const auto& l : lists) CHECK(l.size() == fx.g.live_size());
    };
    engine.search(fx.probes, so);
    CHECK(calls == 2);
  }
  SECTION("per subject: subjects by rank in id order") {
    std::vector<std::vector<fpm::FingerProbe>> fp = {{{fx.probes[0], 1}}, {{fx.probes[1], 0}, {fx.probes[2], 1}}};
    std::size_t subjects_seen = 0;
    so.shortlist_filter = [&](std::vector<std::vector<fpm::ShortlistEntry>>& lists) {
      ++calls;
      REQUIRE(lists.size() == 2);
      for (auto& l : lists) {
        for (const auto& e : l) CHECK(e.index < fx.g.subjects());
        subjects_seen += l.size();
        l.resize(1);
      }
    };
    const auto res = engine.search_subjects(fp, so);
    CHECK(calls == 2);
    CHECK(subjects_seen == 12);
    for (const auto& r : res) CHECK(r.size() <= 1);
  }
  SECTION("an empty batch or gallery: called with empty lists") {
    so.shortlist_filter = [&](std::vector<std::vector<fpm::ShortlistEntry>>& lists) {
      ++calls;
      for (const auto& l : lists) CHECK(l.empty());
    };
    engine.search({}, so);
    const fpm::Engine empty(fpm::Gallery{}, eo);
    CHECK(empty.search(fx.probes, so).size() == fx.probes.size());
    CHECK(empty.search_subjects({{{fx.probes[0], 0}}}, so).size() == 1);
    CHECK(calls == 4);
  }
  SECTION("anything but a prefix is refused") {
    const auto code_of = [&](const fpm::ShortlistFilter& f) {
      so.shortlist_filter = f;
      try {
        engine.search(fx.probes, so);
      } catch (const fpm::Error& e) {
        return e.code();
      }
      return fpm::ErrorCode::Ok;
    };
    CHECK(code_of([](auto& lists) { lists[0].push_back({1, 0}); }) == fpm::ErrorCode::InvalidArgument);
    CHECK(code_of([](auto& lists) { std::swap(lists[0][0], lists[0][1]); }) == fpm::ErrorCode::InvalidArgument);
    CHECK(code_of([](auto& lists) { lists.pop_back(); }) == fpm::ErrorCode::InvalidArgument);
    CHECK(code_of([](auto& lists) { lists[1].erase(lists[1].begin()); }) == fpm::ErrorCode::InvalidArgument);
    CHECK(code_of([](auto&) { throw fpm::Error(fpm::ErrorCode::Unavailable, "the others went away"); }) ==
          fpm::ErrorCode::Unavailable);
  }
  SECTION("without a shortlist the filter is not called") {
    so.shortlist = 0;
    engine.search(fx.probes, so);
    CHECK(calls == 1);
  }
}
