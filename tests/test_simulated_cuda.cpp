// The CUDA backend's host side on simulated devices (tests/simulated_cuda):
// what one real device cannot show, or only a device session could: the
// gallery split over several devices and merged back, devices without
// subjects, memory refused up front and released on every path, the
// fallbacks of Backend::Auto, concurrent searches, and the score kernel
// itself inside the whole search. Every candidate list is compared with the
// CPU engine's, bit for bit.
#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "fpmatch/fpmatch.hpp"
#include "parity.hpp"
#include "simulated_cuda.hpp"
#include "simulated_support.hpp"
#include "support.hpp"

using fpm_test::on;
using fpm_test::same_candidates;
using fpm_test::same_subjects;
using fpm_test::synthetic_gallery;

namespace {

using fpm_test::cuda_on;
using fpm_test::Devices;
using fpm_test::error_of;
using fpm_test::GiB;
using fpm_test::MiB;
using fpm_test::nothing_left;
using fpm_test::probes_for;
using fpm_test::subject_probes;

// Per-template (K = 1, 10, 100, and a score threshold) and per-subject
// (K = 1, 10, 100) searches of both engines agree, and two-stage ones
// (shortlists of 1, 3 and 17).
void same_searches(const fpm::Engine& cpu, const fpm::Engine& gpu, const std::vector<fpm::EncodedTemplate>& probes,
                   const std::vector<std::vector<fpm::FingerProbe>>& subjects) {
  for (std::size_t k : {1, 10, 100}) {
    fpm::SearchOptions so;
    so.top_k = k;
    same_candidates(cpu.search(probes, so), gpu.search(probes, so));
    same_subjects(cpu.search_subjects(subjects, so), gpu.search_subjects(subjects, so));
  }
  fpm::SearchOptions thr;
  thr.top_k = 1000;
  thr.min_score = 0.05f;
  same_candidates(cpu.search(probes, thr), gpu.search(probes, thr));
  // Two-stage, with the same full comparisons.
  for (std::size_t m : {1, 3, 17}) {
    fpm::SearchOptions two;
    two.top_k = m < 3 ? 1 : 3;
    two.shortlist = m;
    const std::uint64_t c0 = cpu.comparisons(), g0 = gpu.comparisons();
    same_candidates(cpu.search(probes, two), gpu.search(probes, two));
    same_subjects(cpu.search_subjects(subjects, two), gpu.search_subjects(subjects, two));
    CHECK(gpu.comparisons() - g0 == cpu.comparisons() - c0);
  }
}

}  // namespace

TEST_CASE("simulated devices: a gallery split over three devices gives the CPU's candidates", "[simulated]") {
  const std::uint64_t seed = fpm_test::fresh_seed("simulated devices");
  {
    Devices devices({8 * GiB, 8 * GiB, 8 * GiB});
    const fpm::Gallery g = synthetic_gallery(seed, 40, 3);
    fpm::EngineOptions o = cuda_on({2, 0, 1});
    std::vector<std::pair<std::size_t, std::size_t>> progress;
    o.progress = [&](std::size_t done, std::size_t total) { progress.emplace_back(done, total); };
    fpm::Engine gpu(g, o);
    fpm::Engine cpu(g, on(fpm::Backend::Cpu));
    REQUIRE(gpu.backend() == fpm::Backend::Cuda);

    // Each device holds a part of the gallery (plus the same scratch).
    const fpm_simcuda::Live held = fpm_simcuda::live();
    REQUIRE(held.bytes_per_device.size() == 3);
    for (std::size_t d = 0; d < 3; ++d) CHECK(held.bytes_per_device[d] > 0);
    // Upload progress: many chunks (small staging buffer in this build),
    // increasing, ending at the total.
    REQUIRE(progress.size() > 3);
    for (std::size_t i = 1; i < progress.size(); ++i) {
      CHECK(progress[i].first > progress[i - 1].first);
      CHECK(progress[i].second == progress[0].second);
    }
    CHECK(progress.back().first == progress.back().second);

    const auto probes = probes_for(seed, 40, 30);
    const auto subjects = subject_probes(seed, 40, 12);
    same_searches(cpu, gpu, probes, subjects);
    CHECK(gpu.comparisons() > 0);

    // Changes re-upload the gallery over the same devices.
    progress.clear();
    for (fpm::Engine* e : {&cpu, &gpu}) {
      e->remove(5);
      e->remove_subject("g17");
      e->add("late", 2, probes[3]);
    }
    same_searches(cpu, gpu, probes, subjects);
    CHECK(!progress.empty());
  }
  nothing_left();
}

TEST_CASE("simulated devices: a device with less free memory takes a smaller part", "[simulated]") {
  const std::uint64_t seed = fpm_test::fresh_seed("simulated devices");
  {
    // Free memory for gallery data (beyond the engine's probe area, scratch
    // and margin, about 276 MiB here): about 3 : 1.
    Devices devices({1300 * MiB, 620 * MiB});
    const fpm::Gallery g = synthetic_gallery(seed, 60, 2);
    fpm::EngineOptions o = cuda_on({0, 1});
    fpm::Engine gpu(g, o);
    const fpm_simcuda::Live with = fpm_simcuda::live();
    fpm::Engine cpu(g, on(fpm::Backend::Cpu));
    same_searches(cpu, gpu, probes_for(seed, 60, 10), subject_probes(seed, 60, 6));
    // An engine on an empty gallery takes the fixed part (probe area, the
    // least scratch); what the first takes beyond that is its gallery part
    // (and its tiles' scratch).
    fpm::Engine none(fpm::Gallery(), o);
    const fpm_simcuda::Live both = fpm_simcuda::live();
    REQUIRE(both.bytes_per_device.size() == 2);
    const double part0 = static_cast<double>(2 * with.bytes_per_device[0] - both.bytes_per_device[0]);
    const double part1 = static_cast<double>(2 * with.bytes_per_device[1] - both.bytes_per_device[1]);
    INFO("gallery bytes on device 0: " << part0 << ", on device 1: " << part1);
    CHECK(part0 > 2.0 * part1);
    CHECK(part0 < 4.5 * part1);
  }
  nothing_left();
}

TEST_CASE("simulated devices: more devices than subjects", "[simulated]") {
  const std::uint64_t seed = fpm_test::fresh_seed("simulated devices");
  {
    Devices devices({GiB, GiB, GiB, GiB});
    const fpm::Gallery g = synthetic_gallery(seed, 2, 2);
    fpm::EngineOptions o = cuda_on({0, 1, 2, 3});
    fpm::Engine gpu(g, o);
    fpm::Engine cpu(g, on(fpm::Backend::Cpu));
    same_searches(cpu, gpu, probes_for(seed, 2, 4), subject_probes(seed, 2, 3));
  }
  {
    // No entry at all, and no live entry: empty lists, as on the CPU.
    Devices devices({GiB, GiB});
    fpm::EngineOptions o = cuda_on({0, 1});
    fpm::Engine empty(fpm::Gallery(), o);
    fpm::Gallery one = synthetic_gallery(seed, 1, 1);
    fpm::Engine removed(one, o);
    removed.remove(0);
    for (const fpm::Engine* e : {&empty, &removed}) {
      CHECK(e->backend() == fpm::Backend::Cuda);
      const auto hits = e->search(probes_for(seed, 1, 2));
      REQUIRE(hits.size() == 3);
      for (const auto& h : hits) CHECK(h.empty());
      const auto subjects = e->search_subjects(subject_probes(seed, 1, 2));
      REQUIRE(subjects.size() == 2);
      for (const auto& h : subjects) CHECK(h.empty());
    }
  }
  nothing_left();
}

TEST_CASE("simulated devices: a probe of more fingers than one launch takes is refused", "[simulated]") {
  {
    Devices devices({GiB});
    const fpm::Gallery g = synthetic_gallery(5, 3, 1);
    fpm::Engine gpu(g, on(fpm::Backend::Cuda));
    const fpm::EncodedTemplate t = g.encoded(0);
    std::vector<std::vector<fpm::FingerProbe>> probes(1, std::vector<fpm::FingerProbe>(641, {t, 0}));
    const fpm::Error e = error_of([&] { gpu.search_subjects(probes); }, "a probe of 641 fingers");
    CHECK(e.code() == fpm::ErrorCode::InvalidArgument);
    CHECK(std::string(e.what()).find("640 fingers") != std::string::npos);
    probes[0].resize(640);  // the most one launch takes: the CPU's answer
    same_subjects(fpm::Engine(g, on(fpm::Backend::Cpu)).search_subjects(probes), gpu.search_subjects(probes));
  }
  nothing_left();
}

TEST_CASE("simulated devices: a gallery that does not fit is refused up front", "[simulated]") {
  const std::uint64_t seed = fpm_test::fresh_seed("simulated devices");
  // Device 1 cannot take its part (the engine keeps 256 MiB free besides).
  Devices devices({8 * GiB, 260 * MiB});
  const fpm::Gallery g = synthetic_gallery(seed, 10, 2);
  fpm::EngineOptions o = cuda_on({0, 1});
  {
    const fpm::Error e =
        error_of([&] { fpm::Engine engine(g, o); }, "an engine on a device without the memory for its part");
    CHECK(e.code() == fpm::ErrorCode::OutOfMemory);
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("device 1") != std::string::npos);
    CHECK(what.find("bytes of device memory") != std::string::npos);
    CHECK(what.find("bytes are free") != std::string::npos);
  }
  nothing_left();  // device 0's part was released too

  SECTION("Backend::Auto uses the CPU instead") {
    o.backend = fpm::Backend::Auto;
    fpm::Engine e(g, o);
    CHECK(e.backend() == fpm::Backend::Cpu);
    CHECK(fpm_simcuda::live().device_allocations == 0);
    fpm::Engine cpu(g, on(fpm::Backend::Cpu));
    same_candidates(cpu.search(probes_for(seed, 10, 5)), e.search(probes_for(seed, 10, 5)));
  }
}

TEST_CASE("simulated devices: a gallery that outgrows the device after add()", "[simulated]") {
  const std::uint64_t seed = fpm_test::fresh_seed("simulated devices");
  const fpm::Gallery g = synthetic_gallery(seed, 10, 2);
  // The device memory this gallery takes, then a device with just that
  // much (and the engine's 256 MiB margin, and 64 KiB).
  std::size_t used = 0;
  {
    fpm::Engine e(g, on(fpm::Backend::Cuda));
    used = fpm_simcuda::live().device_bytes;
  }
  REQUIRE(used > 0);
  Devices devices({used + 256 * MiB + 64 * 1024});
  const auto probes = probes_for(seed, 10, 6);
  const fpm::EncodedTemplate big = fpm::encode_cylinders(fpm_test::lattice_template(11));  // 121 cylinders
  fpm::Engine cpu(g, on(fpm::Backend::Cpu));
  for (int i = 0; i < 20; ++i) cpu.add("grown", 0, big);

  SECTION("Backend::Auto moves to the CPU") {
    {
      fpm::Engine e(g, on(fpm::Backend::Auto));
      REQUIRE(e.backend() == fpm::Backend::Cuda);
      for (int i = 0; i < 20; ++i) e.add("grown", 0, big);
      same_candidates(cpu.search(probes), e.search(probes));
      CHECK(e.backend() == fpm::Backend::Cpu);
      CHECK(fpm_simcuda::live().device_allocations == 0);
    }
    nothing_left();
  }
  SECTION("Backend::Cuda reports it") {
    {
      fpm::Engine e(g, on(fpm::Backend::Cuda));
      for (int i = 0; i < 20; ++i) e.add("grown", 0, big);
      CHECK(error_of([&] { e.search(probes); }, "a search over a gallery that no longer fits the device").code() ==
            fpm::ErrorCode::OutOfMemory);
      CHECK(e.backend() == fpm::Backend::Cuda);
    }
    nothing_left();
  }
}

TEST_CASE("simulated devices: no device, a missing device, a device listed twice", "[simulated]") {
  const fpm::Gallery g = synthetic_gallery(3, 3, 1);
  {
    Devices none({});
    const fpm::RuntimeInfo rt = fpm::runtime_info();
    CHECK(rt.cuda_built);
    CHECK(rt.devices.empty());
    CHECK(rt.cuda_status != "ok");
    CHECK(error_of([&] { fpm::Engine e(g, on(fpm::Backend::Cuda)); }, "Backend::Cuda without a device").code() ==
          fpm::ErrorCode::Unavailable);
    fpm::Engine automatic(g, on(fpm::Backend::Auto));
    CHECK(automatic.backend() == fpm::Backend::Cpu);
  }
  {
    Devices two({GiB, GiB});
    CHECK(fpm::runtime_info().devices.size() == 2);
    std::string why;
    CHECK(fpm::cuda_self_test(1, &why));
    CHECK_FALSE(fpm::cuda_self_test(2, &why));
    fpm::EngineOptions o = cuda_on({0, 5});
    CHECK_THROWS_AS(fpm::Engine(g, o), fpm::Error);
    o.devices = {1, 1};
    CHECK(error_of([&] { fpm::Engine e(g, o); }, "a device listed twice").code() == fpm::ErrorCode::InvalidArgument);
    o.backend = fpm::Backend::Auto;
    o.devices = {7};
    CHECK(fpm::Engine(g, o).backend() == fpm::Backend::Cpu);
  }
  nothing_left();
}

TEST_CASE("simulated devices: concurrent searches on two devices", "[simulated]") {
  const std::uint64_t seed = fpm_test::fresh_seed("simulated devices");
  {
    Devices devices({GiB, GiB});
    const fpm::Gallery g = synthetic_gallery(seed, 12, 2);
    fpm::EngineOptions o = cuda_on({0, 1});
    const fpm::Engine gpu(g, o);
    const fpm::Engine cpu(g, on(fpm::Backend::Cpu));
    const auto probes = probes_for(seed, 12, 6);
    const auto subjects = subject_probes(seed, 12, 4);
    const auto want = cpu.search(probes);
    const auto want_subjects = cpu.search_subjects(subjects);
    std::vector<std::vector<std::vector<fpm::Candidate>>> got(4);
    std::vector<std::vector<std::vector<fpm::SubjectCandidate>>> got_subjects(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        got[t] = gpu.search(probes);
        got_subjects[t] = gpu.search_subjects(subjects);
      });
    for (auto& t : threads) t.join();
    for (std::size_t t = 0; t < 4; ++t) {
      same_candidates(want, got[t]);
      same_subjects(want_subjects, got_subjects[t]);
    }
  }
  nothing_left();
}

TEST_CASE("simulated devices: the score kernel itself through the whole search", "[simulated][kernel]") {
  // Slow (the kernel on CPU threads): a small gallery over two devices.
  const std::uint64_t seed = fpm_test::fresh_seed("simulated devices, score kernel");
  {
    Devices devices({GiB, GiB});
    fpm_simcuda::use_score_kernel(true);
    struct Off {
      ~Off() { fpm_simcuda::use_score_kernel(false); }
    } off;
    const fpm::Gallery g = synthetic_gallery(seed, 4, 2);
    fpm::EngineOptions o = cuda_on({0, 1});
    fpm::Engine gpu(g, o);
    fpm::Engine cpu(g, on(fpm::Backend::Cpu));
    const auto probes = probes_for(seed, 4, 2);
    fpm::SearchOptions all;
    all.top_k = 8;
    same_candidates(cpu.search(probes, all), gpu.search(probes, all));
    const auto subjects = subject_probes(seed, 4, 2);
    same_subjects(cpu.search_subjects(subjects, all), gpu.search_subjects(subjects, all));
    // Two-stage: the score kernel on the shortlisted entries only (an entry
    // list with row masks), per template and per subject.
    fpm::SearchOptions two;
    two.top_k = 2;
    two.shortlist = 3;
    const std::uint64_t c0 = cpu.comparisons(), g0 = gpu.comparisons();
    same_candidates(cpu.search(probes, two), gpu.search(probes, two));
    two.shortlist = 2;
    same_subjects(cpu.search_subjects(subjects, two), gpu.search_subjects(subjects, two));
    CHECK(gpu.comparisons() - g0 == cpu.comparisons() - c0);
  }
  nothing_left();
}
