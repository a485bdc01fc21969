// Engine writers (add/remove) alongside continuous searches: a writer gets
// in within a bound, and every search sees one consistent gallery state, the
// same as a serial replay of the operations. Also run under ThreadSanitizer.
#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <thread>

#include "fpmatch/fpmatch.hpp"
#include "support.hpp"

namespace {

using Clock = std::chrono::steady_clock;

fpm::SyntheticFingers fingers() {
  fpm::SynthOptions o;
  o.seed = 515;
  return fpm::SyntheticFingers(o);
}

bool same(const std::vector<std::vector<fpm::Candidate>>& a, const std::vector<std::vector<fpm::Candidate>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t p = 0; p < a.size(); ++p) {
    if (a[p].size() != b[p].size()) return false;
    for (std::size_t i = 0; i < a[p].size(); ++i)
      if (a[p][i].index != b[p][i].index || a[p][i].score != b[p][i].score || a[p][i].subject != b[p][i].subject)
        return false;
  }
  return true;
}

}  // namespace

TEST_CASE("engine writers: an add gets in within a bound under continuous search load", "[engine][writers]") {
  const fpm::SyntheticFingers sf = fingers();
  fpm::Gallery g;
  for (std::size_t s = 0; s < 60; ++s) g.add("s" + std::to_string(s), 1, fpm::encode_cylinders(sf.impression(s, 1, 0)));
  fpm::EngineOptions eo;
  eo.backend = fpm::Backend::Cpu;
  eo.threads = 1;  // every search on its caller's thread: many searches at once
  fpm::Engine engine(std::move(g), eo);
  const std::vector<fpm::EncodedTemplate> probes = {fpm::encode_cylinders(sf.impression(3, 1, 1))};
  const fpm::EncodedTemplate extra = fpm::encode_cylinders(sf.impression(99, 1, 0));

  // Searchers without pause; they also stop on their own after a deadline,
  // so that a writer that never gets in fails the test instead of hanging it.
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> searches{0};
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  std::vector<std::thread> searchers;
  for (int t = 0; t < 8; ++t)
    searchers.emplace_back([&] {
      while (!stop && Clock::now() < deadline) {
        engine.search(probes);
        ++searches;
      }
    });
  while (searches < 16) std::this_thread::yield();  // the load is on
  double worst = 0;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = Clock::now();
    const std::size_t idx = engine.add("writer" + std::to_string(i), 1, extra);
    const auto t1 = Clock::now();
    engine.remove(idx);
    worst = std::max({worst, std::chrono::duration<double>(t1 - t0).count(),
                      std::chrono::duration<double>(Clock::now() - t1).count()});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::uint64_t during = searches;
  stop = true;
  for (auto& t : searchers) t.join();
  INFO("slowest add/remove under load: " << worst << " s; " << during << " searches ran");
  // A writer waits only for the searches already running (milliseconds
  // each here; a few times that on a loaded machine or under sanitizers).
  CHECK(worst < 5.0);
  engine.with_gallery([](const fpm::Gallery& gal) { CHECK(gal.live_size() == 60); });
}

TEST_CASE("engine writers: adds and removes while others search equal a serial replay", "[engine][writers]") {
  const fpm::SyntheticFingers sf = fingers();
  fpm::Gallery g;
  std::vector<fpm::EncodedTemplate> enrolled;
  for (std::size_t s = 0; s < 24; ++s) {
    enrolled.push_back(fpm::encode_cylinders(sf.impression(s, 1, 0)));
    g.add("s" + std::to_string(s), 1, enrolled.back());
  }
  std::vector<fpm::EncodedTemplate> probes;
  for (std::size_t s : {2u, 5u, 30u, 31u}) probes.push_back(fpm::encode_cylinders(sf.impression(s, 1, 2)));
  // The operations, in order: add new subjects (30, 31: probed), remove
  // others (2, 5: probed), remove an added one.
  struct Op {
    bool add;
    std::size_t subject;  // add: subject to enrol; remove: entry index
  };
  const std::vector<Op> ops = {{true, 30}, {false, 2}, {true, 31}, {false, 5}, {false, 24}, {true, 40}};
  auto apply = [&](auto& target, const Op& op) {
    if (op.add)
      target.add("s" + std::to_string(op.subject), 1, fpm::encode_cylinders(sf.impression(op.subject, 1, 0)));
    else
      target.remove(op.subject);
  };
  fpm::EngineOptions eo;
  eo.backend = fpm::Backend::Cpu;
  eo.threads = 2;
  // The serial replay: the answers after 0, 1, ..., all operations.
  std::vector<std::vector<std::vector<fpm::Candidate>>> states;
  {
    fpm::Engine serial(g, eo);
    states.push_back(serial.search(probes));
    for (const Op& op : ops) {
      apply(serial, op);
      states.push_back(serial.search(probes));
    }
  }
  fpm::Engine engine(g, eo);
  std::atomic<bool> done{false};
  std::atomic<int> inconsistent{0};
  std::atomic<std::uint64_t> searches{0};
  std::vector<std::thread> searchers;
  for (int t = 0; t < 3; ++t)
    searchers.emplace_back([&] {
      while (!done) {
        const auto r = engine.search(probes);
        bool found = false;
        for (const auto& s : states) found = found || same(r, s);
        if (!found) ++inconsistent;
        ++searches;
      }
    });
  for (const Op& op : ops) {
    const std::uint64_t before = searches;
    while (searches < before + 2) std::this_thread::yield();  // searches between the operations
    apply(engine, op);
  }
  done = true;
  for (auto& t : searchers) t.join();
  CHECK(inconsistent == 0);
  CHECK(same(engine.search(probes), states.back()));
  CHECK(searches >= 2 * ops.size());
}
