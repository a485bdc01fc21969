// CUDA backend: every candidate list equals the CPU's (entries, order, score
// bits), per template and per subject. Skipped visibly without a device;
// the tests' build on simulated devices (tests/simulated_cuda) runs them on
// every build with the CUDA host code and the CPU matcher's scores.
#include <catch2/catch.hpp>
#include <set>

#include "fpmatch/fpmatch.hpp"
#include "parity.hpp"
#include "support.hpp"

using fpm_test::on;
using fpm_test::same_candidates;
using fpm_test::same_subjects;
using fpm_test::synthetic_gallery;

namespace {

void require_cuda() {
  const fpm::RuntimeInfo rt = fpm::runtime_info();
  if (!rt.cuda_built) fpm_test::skip("CUDA backend not built");
  if (rt.devices.empty()) fpm_test::skip("no usable CUDA device: " + rt.cuda_status);
}

// A fresh seed each run (printed), so that parity is tested on new data.
std::uint64_t fresh_seed() { return fpm_test::fresh_seed("CUDA parity"); }

// What most parity tests compare: a synthetic gallery of a fresh seed
// searched by a CPU and a CUDA engine (`cuda`), and the synthetic fingers
// the gallery holds, for probes of them.
struct Backends {
  Backends(std::size_t subjects, int fingers_each, const fpm::EngineOptions& cuda = on(fpm::Backend::Cuda))
      : seed(fresh_seed()),
        gallery(synthetic_gallery(seed, subjects, fingers_each)),
        cpu(gallery, on(fpm::Backend::Cpu)),
        gpu(gallery, cuda),
        fingers(fpm_test::synthetic_fingers(seed)) {}
  const std::uint64_t seed;
  const fpm::Gallery gallery;
  fpm::Engine cpu;
  fpm::Engine gpu;
  const fpm::SyntheticFingers fingers;
};

// 76 probes of the galleries of Backends: other impressions of enrolled
// fingers, exact copies of entries, and an empty probe (two launches).
std::vector<fpm::EncodedTemplate> mixed_probes(const Backends& b) {
  std::vector<fpm::EncodedTemplate> probes;
  for (std::size_t i = 0; i < 70; ++i)
    probes.push_back(fpm::encode_cylinders(b.fingers.impression(i * 2, 1 + i % 2, 1 + i)));
  for (std::size_t i = 0; i < 5; ++i) probes.push_back(b.gallery.encoded(i * 7));  // exact copies
  probes.push_back(fpm::EncodedTemplate());                                        // empty probe
  return probes;
}

}  // namespace

TEST_CASE("cuda: per-template search equals the CPU on random galleries", "[cuda]") {
  require_cuda();
  Backends b(150, 2);
  REQUIRE(b.gpu.backend() == fpm::Backend::Cuda);
  const std::vector<fpm::EncodedTemplate> probes = mixed_probes(b);
  for (std::size_t k : {1, 10, 100}) {
    fpm::SearchOptions so;
    so.top_k = k;
    same_candidates(b.cpu.search(probes, so), b.gpu.search(probes, so));
  }
  fpm::SearchOptions thr;
  thr.top_k = 1000;
  thr.min_score = 0.02f;
  same_candidates(b.cpu.search(probes, thr), b.gpu.search(probes, thr));
  CHECK(b.gpu.comparisons() > 0);
}

TEST_CASE("cuda: every score on the real templates equals the CPU's", "[cuda][shared-data]") {
  require_cuda();
  const std::string root = fpm_test::require_data_dir();
  fpm::Gallery g;
  std::vector<fpm::EncodedTemplate> probes;
  for (const char* set : {"fvc2002_db1b", "fvc2002_db2b"})
    for (const std::string& path : fpm_test::list_files(root + "/" + set + "/iso", ".ist")) {
      const fpm::EncodedTemplate e = fpm::encode_cylinders(fpm::decode_file(path).views.at(0));
      g.add(std::string(set) + path.substr(path.rfind('/')), 0, e);
      probes.push_back(e);
    }
  REQUIRE(probes.size() == 160);
  fpm::Engine cpu(g, on(fpm::Backend::Cpu));
  fpm::Engine gpu(g, on(fpm::Backend::Cuda));
  fpm::SearchOptions all;
  all.top_k = 160;  // every entry: all 25,600 scores compared
  same_candidates(cpu.search(probes, all), gpu.search(probes, all));
}

TEST_CASE("cuda: per-subject search equals the CPU", "[cuda]") {
  require_cuda();
  Backends b(60, 10);
  std::vector<std::vector<fpm::FingerProbe>> probes;
  for (std::size_t i = 0; i < 20; ++i) {
    std::vector<fpm::FingerProbe> p;
    for (int f = 1; f <= 1 + static_cast<int>(i % 4); ++f)
      p.push_back({fpm::encode_cylinders(b.fingers.impression(i * 3, f, 5)),
                   static_cast<std::uint8_t>(i % 5 == 0 ? 0 : f)});
    probes.push_back(p);
  }
  for (std::size_t k : {1, 10, 100}) {
    fpm::SearchOptions so;
    so.top_k = k;
    same_subjects(b.cpu.search_subjects(probes, so), b.gpu.search_subjects(probes, so));
  }
}

TEST_CASE("cuda: large batches, add and remove stay equal to the CPU", "[cuda]") {
  require_cuda();
  Backends b(80, 1);
  std::vector<fpm::EncodedTemplate> probes;
  for (std::size_t i = 0; i < 150; ++i)
    probes.push_back(fpm::encode_cylinders(b.fingers.impression(i % 80, 1, 2 + i)));
  same_candidates(b.cpu.search(probes), b.gpu.search(probes));
  for (fpm::Engine* e : {&b.cpu, &b.gpu}) {
    e->remove(3);
    e->remove_subject("g10");
    e->add("late", 1, probes[7]);
  }
  same_candidates(b.cpu.search(probes), b.gpu.search(probes));
  std::vector<std::vector<fpm::FingerProbe>> sp;
  for (std::size_t i = 0; i < 10; ++i) sp.push_back({{probes[i], 1}});
  same_subjects(b.cpu.search_subjects(sp), b.gpu.search_subjects(sp));
}

TEST_CASE("cuda: a gallery split over every device equals the CPU", "[cuda]") {
  require_cuda();
  fpm::EngineOptions o = on(fpm::Backend::Cuda);
  for (const fpm::DeviceInfo& d : fpm::runtime_info().devices) o.devices.push_back(d.index);
  INFO(o.devices.size() << " devices");
  Backends b(50, 4, o);
  std::vector<fpm::EncodedTemplate> probes;
  std::vector<std::vector<fpm::FingerProbe>> subjects;
  for (std::size_t i = 0; i < 40; ++i) {
    probes.push_back(fpm::encode_cylinders(b.fingers.impression(i, 1 + static_cast<int>(i % 4), 3)));
    if (i % 4 == 0)
      subjects.push_back({{probes.back(), static_cast<std::uint8_t>(1 + i % 4)},
                          {fpm::encode_cylinders(b.fingers.impression(i, 2, 4)), 0}});
  }
  for (std::size_t k : {1, 10, 100}) {
    fpm::SearchOptions opt;
    opt.top_k = k;
    same_candidates(b.cpu.search(probes, opt), b.gpu.search(probes, opt));
    same_subjects(b.cpu.search_subjects(subjects, opt), b.gpu.search_subjects(subjects, opt));
  }
}

TEST_CASE("cuda: devices that do not exist are refused", "[cuda]") {
  require_cuda();
  fpm::EngineOptions o = on(fpm::Backend::Cuda);
  o.devices = {99};
  try {
    fpm::Engine e(synthetic_gallery(1, 2, 1), o);
    FAIL("engine on device 99");
  } catch (const fpm::Error& e) {
    CHECK(e.code() == fpm::ErrorCode::Unavailable);
  }
}

namespace {

fpm::SearchOptions two_stage(std::size_t m, std::size_t k, float min_score = 0.0f) {
  fpm::SearchOptions o;
  o.top_k = k;
  o.shortlist = m;
  o.min_score = min_score;
  return o;
}

// Both engines' per-template two-stage answers and full-comparison counts
// agree.
void same_two_stage(fpm::Engine& cpu, fpm::Engine& gpu, const std::vector<fpm::EncodedTemplate>& probes,
                    const fpm::SearchOptions& o) {
  INFO("shortlist " << o.shortlist << " (fraction " << o.shortlist_fraction << "), top " << o.top_k);
  const std::uint64_t c0 = cpu.comparisons(), g0 = gpu.comparisons();
  same_candidates(cpu.search(probes, o), gpu.search(probes, o));
  CHECK(gpu.comparisons() - g0 == cpu.comparisons() - c0);
}

void same_two_stage(fpm::Engine& cpu, fpm::Engine& gpu, const std::vector<std::vector<fpm::FingerProbe>>& probes,
                    const fpm::SearchOptions& o) {
  INFO("per subject: shortlist " << o.shortlist << " (fraction " << o.shortlist_fraction << "), top " << o.top_k);
  const std::uint64_t c0 = cpu.comparisons(), g0 = gpu.comparisons();
  same_subjects(cpu.search_subjects(probes, o), gpu.search_subjects(probes, o));
  CHECK(gpu.comparisons() - g0 == cpu.comparisons() - c0);
}

}  // namespace

TEST_CASE("cuda: two-stage per-template search equals the CPU (shortlists, comparisons)", "[cuda][shortlist]") {
  require_cuda();
  Backends b(150, 2);  // 300 entries: many tiles on the simulated devices
  REQUIRE(b.gpu.backend() == fpm::Backend::Cuda);
  const std::vector<fpm::EncodedTemplate> probes = mixed_probes(b);
  for (const auto& [m, k] : std::vector<std::pair<std::size_t, std::size_t>>{{1, 1}, {10, 10}, {7, 3}, {60, 10},
                                                                           {299, 100}})
    same_two_stage(b.cpu, b.gpu, probes, two_stage(m, k));
  same_two_stage(b.cpu, b.gpu, probes, two_stage(120, 1000, 0.02f));
  fpm::SearchOptions fraction;
  fraction.top_k = 5;
  fraction.shortlist_fraction = 0.05;
  same_two_stage(b.cpu, b.gpu, probes, fraction);
  CHECK(b.gpu.backend() == fpm::Backend::Cuda);
  CHECK(b.gpu.fallback_reason().empty());
}

TEST_CASE("cuda: two-stage per-subject search equals the CPU (known and unknown positions)", "[cuda][shortlist]") {
  require_cuda();
  Backends b(60, 10);
  std::vector<std::vector<fpm::FingerProbe>> probes;
  for (std::size_t i = 0; i < 70; ++i) {  // more than one launch's probes
    std::vector<fpm::FingerProbe> p;
    for (int f = 1; f <= 1 + static_cast<int>(i % 4); ++f)
      p.push_back({fpm::encode_cylinders(b.fingers.impression(i % 60, f, 5 + i)),
                   static_cast<std::uint8_t>(i % 5 == 0 ? 0 : (i % 7 == 1 ? 11 - f : f))});
    probes.push_back(p);
  }
  for (const auto& [m, k] :
       std::vector<std::pair<std::size_t, std::size_t>>{{1, 1}, {3, 3}, {5, 2}, {20, 10}, {59, 59}})
    same_two_stage(b.cpu, b.gpu, probes, two_stage(m, k));
  same_two_stage(b.cpu, b.gpu, probes, two_stage(30, 30, 0.05f));
  CHECK(b.gpu.backend() == fpm::Backend::Cuda);
}

TEST_CASE("cuda: two-stage searches after remove and add stay equal to the CPU", "[cuda][shortlist]") {
  require_cuda();
  Backends b(80, 2);
  std::vector<fpm::EncodedTemplate> probes;
  for (std::size_t i = 0; i < 40; ++i)
    probes.push_back(fpm::encode_cylinders(b.fingers.impression(i % 80, 1 + i % 2, 2 + i)));
  std::vector<std::vector<fpm::FingerProbe>> sp;
  for (std::size_t i = 0; i < 12; ++i)
    sp.push_back({{probes[i], static_cast<std::uint8_t>(1 + i % 2)}, {probes[i + 12], 0}});
  same_two_stage(b.cpu, b.gpu, probes, two_stage(15, 5));
  same_two_stage(b.cpu, b.gpu, sp, two_stage(6, 3));
  // Remove each probe's best-ranked entries and a subject, add late entries
  // (copies of probes: stage 1 ranks them first).
  const auto first = b.cpu.search(probes, two_stage(15, 1));
  std::set<std::size_t> gone;
  for (std::size_t p = 0; p < 4; ++p)
    if (!first[p].empty() && first[p][0].subject != "g10") gone.insert(first[p][0].index);
  REQUIRE(!gone.empty());
  for (fpm::Engine* e : {&b.cpu, &b.gpu}) {
    for (std::size_t i : gone) e->remove(i);
    e->remove_subject("g10");
    e->add("late", 1, probes[7]);
    e->add("late", 2, probes[8]);
    e->add("later", 0, probes[9]);
  }
  for (std::size_t m : {1, 15, 150}) {
    same_two_stage(b.cpu, b.gpu, probes, two_stage(m, std::min<std::size_t>(m, 10)));
    const auto got = b.gpu.search(probes, two_stage(m, 1));
    for (const auto& hits : got)
      for (const auto& c : hits) CHECK((gone.count(c.index) == 0 && c.subject != "g10"));
  }
  for (std::size_t m : {1, 6, 70}) same_two_stage(b.cpu, b.gpu, sp, two_stage(m, 3));
}
