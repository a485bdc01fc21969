// The 1:N engine against brute-force 1:1 loops: same candidates, same order,
// same scores; concurrency; changes; backends.
#include <catch2/catch.hpp>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <thread>

#include "fpmatch/fpmatch.hpp"
#include "support.hpp"

namespace {

struct Fixture {
  fpm::SyntheticFingers sf{[] {
    fpm::SynthOptions o;
    o.seed = 77;
    return o;
  }()};
  fpm::Gallery gallery;
  std::vector<fpm::EncodedTemplate> entries;  // as enrolled, by index
  std::vector<std::string> subjects;
  std::vector<std::uint8_t> positions;
  explicit Fixture(std::size_t n_subjects = 40, int fingers = 3) {
    for (std::size_t s = 0; s < n_subjects; ++s)
      for (int f = 1; f <= fingers; ++f) {
        // A few entries with unknown position, and a few duplicates.
        const std::uint8_t pos = (s % 7 == 3 && f == 2) ? 0 : static_cast<std::uint8_t>(f);
        entries.push_back(fpm::encode_cylinders(sf.impression(s, f, 0)));
        subjects.push_back("p" + std::to_string(1000 + s));
        positions.push_back(pos);
        gallery.add(subjects.back(), pos, entries.back());
      }
  }
  fpm::EncodedTemplate probe(std::size_t s, int f, std::uint64_t imp) const { return fpm::encode_cylinders(sf.impression(s, f, imp)); }
};

struct Ref {
  std::size_t index;
  float score;
};

std::vector<Ref> brute(const std::vector<fpm::EncodedTemplate>& entries, const std::vector<bool>& removed,
                       const fpm::EncodedTemplate& p, std::size_t k, float min_score) {
  std::vector<Ref> all;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (removed[i]) continue;
    const float s = fpm::match(p, entries[i]);
    if (s >= min_score) all.push_back({i, s});
  }
  std::sort(all.begin(), all.end(), [](const Ref& a, const Ref& b) { return a.score > b.score || (a.score == b.score && a.index < b.index); });
  if (all.size() > k) all.resize(k);
  return all;
}

void check_same(const std::vector<fpm::Candidate>& got, const std::vector<Ref>& want, const Fixture& fx) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].index == want[i].index);
    CHECK(got[i].score == want[i].score);
    CHECK(got[i].subject == fx.subjects[want[i].index]);
    CHECK(got[i].position == fx.positions[want[i].index]);
  }
}

}  // namespace

TEST_CASE("engine: per-template search equals brute force", "[engine]") {
  Fixture fx;
  std::vector<fpm::EncodedTemplate> probes;
  for (std::size_t s = 0; s < 10; ++s) probes.push_back(fx.probe(s * 3, 1 + s % 3, 1));
  probes.push_back(fx.entries[5]);  // an enrolled template itself
  fpm::EngineOptions eo;
  eo.backend = fpm::Backend::Cpu;
  eo.threads = 3;
  fpm::Engine engine(fx.gallery, eo);
  CHECK(engine.backend() == fpm::Backend::Cpu);
  const std::vector<bool> none(fx.entries.size(), false);
  for (std::size_t k : {1, 10, 100, 1000}) {
    fpm::SearchOptions so;
    so.top_k = k;
    const auto res = engine.search(probes, so);
    REQUIRE(res.size() == probes.size());
    for (std::size_t p = 0; p < probes.size(); ++p) check_same(res[p], brute(fx.entries, none, probes[p], k, 0.0f), fx);
  }
  fpm::SearchOptions thr;
  thr.top_k = 50;
  thr.min_score = 0.02f;
  const auto res = engine.search(probes, thr);
  for (std::size_t p = 0; p < probes.size(); ++p) check_same(res[p], brute(fx.entries, none, probes[p], 50, 0.02f), fx);
  CHECK(engine.comparisons() > 0);
  fpm::SearchOptions zero;
  zero.top_k = 0;
  CHECK_THROWS_AS(engine.search(probes, zero), fpm::Error);
  CHECK(engine.search({}, {}).empty());
}

TEST_CASE("engine: a probe finds its own finger first", "[engine]") {
  Fixture fx(60, 2);
  fpm::Engine engine(fx.gallery);
  std::vector<fpm::EncodedTemplate> probes;
  for (std::size_t s = 0; s < 60; s += 6) probes.push_back(fx.probe(s, 2, 3));
  const auto res = engine.search(probes);
  std::size_t hits = 0;
  for (std::size_t p = 0; p < probes.size(); ++p) hits += res[p].at(0).subject == "p" + std::to_string(1000 + 6 * p);
  CHECK(hits >= 9);
}

TEST_CASE("engine: per-subject search equals brute-force fusion", "[engine]") {
  Fixture fx(30, 3);
  fpm::Engine engine(fx.gallery);
  std::vector<std::vector<fpm::FingerProbe>> probes;
  for (std::size_t s = 0; s < 6; ++s) {
    std::vector<fpm::FingerProbe> p;
    p.push_back({fx.probe(s * 4, 1, 2), 1});
    p.push_back({fx.probe(s * 4, 3, 2), static_cast<std::uint8_t>(s % 2 ? 3 : 0)});  // sometimes unknown
    probes.push_back(p);
  }
  fpm::SearchOptions so;
  so.top_k = 7;
  const auto res = engine.search_subjects(probes, so);
  for (std::size_t p = 0; p < probes.size(); ++p) {
    // Brute force: mean over fingers of the best compatible entry per subject.
    std::map<std::string, std::vector<float>> best;
    for (std::size_t i = 0; i < fx.entries.size(); ++i) {
      auto& v = best[fx.subjects[i]];
      v.resize(probes[p].size(), 0.0f);
      for (std::size_t f = 0; f < probes[p].size(); ++f) {
        const std::uint8_t a = probes[p][f].position, b = fx.positions[i];
        if (a == 0 || b == 0 || a == b) v[f] = std::max(v[f], fpm::match(probes[p][f].t, fx.entries[i]));
      }
    }
    std::vector<std::pair<std::string, float>> fused;
    for (auto& [subj, v] : best) {
      float sum = 0;
      for (float x : v) sum += x;
      fused.emplace_back(subj, sum / static_cast<float>(v.size()));
    }
    std::sort(fused.begin(), fused.end(), [](auto& a, auto& b) { return a.second > b.second || (a.second == b.second && a.first < b.first); });
    REQUIRE(res[p].size() == 7);
    for (std::size_t r = 0; r < 7; ++r) {
      CHECK(res[p][r].subject == fused[r].first);
      CHECK(res[p][r].score == fused[r].second);
      REQUIRE(res[p][r].finger_scores.size() == 2);
      CHECK(res[p][r].finger_scores[0] == best[fused[r].first][0]);
    }
    CHECK(res[p][0].subject == "p" + std::to_string(1000 + 4 * p));
  }
  CHECK_THROWS_AS(engine.search_subjects({{}}, so), fpm::Error);
}

TEST_CASE("engine: concurrent searches give the serial answers", "[engine]") {
  Fixture fx(30, 2);
  fpm::Engine engine(fx.gallery);
  std::vector<fpm::EncodedTemplate> probes;
  for (std::size_t s = 0; s < 8; ++s) probes.push_back(fx.probe(s, 1, 4));
  const auto serial = engine.search(probes);
  std::vector<std::vector<std::vector<fpm::Candidate>>> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&, t] { results[t] = engine.search(probes); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    REQUIRE(r.size() == serial.size());
    for (std::size_t p = 0; p < r.size(); ++p) {
      REQUIRE(r[p].size() == serial[p].size());
      for (std::size_t i = 0; i < r[p].size(); ++i) {
        CHECK(r[p][i].index == serial[p][i].index);
        CHECK(r[p][i].score == serial[p][i].score);
      }
    }
  }
}

TEST_CASE("engine: add and remove change what searches find", "[engine]") {
  Fixture fx(20, 1);
  fpm::Engine engine(fx.gallery);
  const fpm::EncodedTemplate probe = fx.probe(7, 1, 9);
  CHECK(engine.search({probe})[0].at(0).subject == "p1007");
  CHECK(engine.remove_subject("p1007") == 1);
  const auto after = engine.search({probe});
  for (const auto& c : after[0]) CHECK(c.subject != "p1007");
  std::vector<fpm::FingerProbe> fp = {{probe, 1}};
  const auto after_subjects = engine.search_subjects({fp});
  for (const auto& c : after_subjects[0]) CHECK(c.subject != "p1007");
  const std::size_t idx = engine.add("newcomer", 1, fx.entries[7]);
  CHECK(engine.search({probe})[0].at(0).subject == "newcomer");
  CHECK(engine.search_subjects({fp})[0].at(0).subject == "newcomer");
  engine.remove(idx);
  const auto last = engine.search({probe});
  for (const auto& c : last[0]) CHECK(c.subject != "newcomer");
  engine.with_gallery([](const fpm::Gallery& g) { CHECK(g.live_size() == 19); });
}

TEST_CASE("engine: backends: CUDA refused clearly, Auto falls back", "[engine]") {
  Fixture fx(3, 1);
  fpm::EngineOptions cuda;
  cuda.backend = fpm::Backend::Cuda;
  const fpm::RuntimeInfo rt = fpm::runtime_info();
  if (!rt.cuda_built || rt.devices.empty()) {
    try {
      fpm::Engine e(fx.gallery, cuda);
      FAIL("a CUDA engine without CUDA");
    } catch (const fpm::Error& e) {
      CHECK(e.code() == fpm::ErrorCode::Unavailable);
      CHECK(std::string(e.what()).find("CUDA") != std::string::npos);
    }
  }
  fpm::Engine autoe(fx.gallery);
  if (!rt.cuda_built || rt.devices.empty()) CHECK(autoe.backend() == fpm::Backend::Cpu);
  // Auto says why it is on the CPU (not built, no device: the reason given above); nothing while on CUDA.
  CHECK(autoe.fallback_reason().empty() == (autoe.backend() == fpm::Backend::Cuda));
  if (!rt.cuda_built) CHECK(autoe.fallback_reason().find("not built") != std::string::npos);
  fpm::EngineOptions cpu;
  cpu.backend = fpm::Backend::Cpu;
  CHECK(fpm::Engine(fx.gallery, cpu).fallback_reason().empty());
  CHECK(fpm::parse_backend_name("cpu") == fpm::Backend::Cpu);
  CHECK_THROWS_AS(fpm::parse_backend_name("gpu"), fpm::Error);
  fpm::EngineOptions bad;
  bad.threads = -1;
  CHECK_THROWS_AS(fpm::Engine(fx.gallery, bad), fpm::Error);
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
// Runs `body` in a child process whose address space cannot hold 1,024
// thread stacks (256 MiB beyond what it maps already); returns the child's
// exit code: body's return value, 3 when the limit cannot be set, 4 when
// body throws something else than fpm::Error.
int in_small_address_space(const std::function<int()>& body) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    long pages = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
      std::fclose(f);
    }
    const rlim_t limit = static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) + (256u << 20);
    struct rlimit rl = {limit, limit};
    if (pages == 0 || ::setrlimit(RLIMIT_AS, &rl) != 0) ::_exit(3);
    try {
      ::_exit(body());
    } catch (...) {
      ::_exit(4);
    }
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}
#endif

TEST_CASE("engine: thread counts beyond the cap are refused, and threads that cannot start are an error", "[engine]") {
  Fixture fx(3, 1);
  fpm::EngineOptions eo;
  eo.backend = fpm::Backend::Cpu;
  for (int n : {fpm::kMaxEngineThreads + 1, 1 << 30}) {
    eo.threads = n;
    try {
      fpm::Engine e(fx.gallery, eo);
      FAIL("an engine with " << n << " threads");
    } catch (const fpm::Error& e) {
      CHECK(e.code() == fpm::ErrorCode::InvalidArgument);
    }
  }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizers' runtimes need address space of their own.
  WARN("thread-start failure not exercised under a sanitizer");
#else
  // In a child whose address space cannot hold 1,024 thread stacks: the
  // engine constructor throws OutOfMemory (before: std::terminate, exit 134).
  eo.threads = fpm::kMaxEngineThreads;
  CHECK(in_small_address_space([&] {
          try {
            fpm::Engine e(fx.gallery, eo);
            return 2;  // every thread started: the limit did not bite
          } catch (const fpm::Error& e) {
            return e.code() == fpm::ErrorCode::OutOfMemory ? 0 : 1;
          }
        }) == 0);
#endif
}

TEST_CASE("engine: bulk encoding goes on with the threads the system can start", "[engine]") {
  // 160 templates: enough threads (159 besides the caller) that their
  // stacks exceed the child's address space below.
  Fixture fx(4, 2);
  std::vector<fpm::Template> ts;
  for (std::uint64_t s = 0; s < 20; ++s)
    for (std::uint64_t i = 0; i < 8; ++i) ts.push_back(fx.sf.impression(s, 1 + static_cast<int>(s % 10), i));
  std::vector<fpm::EncodedTemplate> one;
  for (const auto& t : ts) one.push_back(fpm::encode_cylinders(t));
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  WARN("thread-start failure not exercised under a sanitizer");
#else
  // In a child whose address space cannot hold 1,024 thread stacks: every
  // template is still encoded, as on one thread.
  CHECK(in_small_address_space([&] {
          const auto all = fpm::encode_cylinders_all(ts, {}, fpm::kMaxEngineThreads);
          for (std::size_t i = 0; i < ts.size(); ++i)
            if (all[i].cylinders() != one[i].cylinders() || fpm::match(all[i], one[i]) != fpm::match(one[i], one[i]))
              return 1;
          return 0;
        }) == 0);
#endif
  // And with the threads there are: the same templates.
  const auto all = fpm::encode_cylinders_all(ts, {}, 0);
  REQUIRE(all.size() == ts.size());
  for (std::size_t i = 0; i < ts.size(); ++i) CHECK(fpm::match(all[i], one[i]) == fpm::match(one[i], one[i]));
}
