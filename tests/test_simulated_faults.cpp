// Device failures on simulated devices (fpm_simcuda::inject_fault): a device
// taken by another process, a device that fails while taking the gallery, a
// fault in a kernel during a search (which, on a device, leaves its context
// unusable), a launch refused once, and a fault on one device of several,
// also while other searches run. Backend::Cuda must report each as an
// fpm::Error naming the device and the CUDA error and stay destructible;
// Backend::Auto must answer every search as the CPU does and say why it left
// the devices; neither may crash, hang or leave device memory, pinned
// buffers or streams behind.
#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "fpmatch/fpmatch.hpp"
#include "parity.hpp"
#include "simulated_cuda.hpp"
#include "simulated_support.hpp"
#include "support.hpp"

using fpm_simcuda::Call;
using fpm_test::cuda_on;
using fpm_test::Devices;
using fpm_test::error_of;
using fpm_test::GiB;
using fpm_test::nothing_left;
using fpm_test::on;
using fpm_test::probes_for;
using fpm_test::same_candidates;
using fpm_test::same_subjects;
using fpm_test::subject_probes;
using fpm_test::synthetic_gallery;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Options for `backend` on these devices.
fpm::EngineOptions with(fpm::Backend backend, std::vector<int> devices) {
  fpm::EngineOptions o = cuda_on(std::move(devices));
  o.backend = backend;
  return o;
}

}  // namespace

TEST_CASE("simulated faults: a device taken by another process", "[simulated][faults]") {
  const std::uint64_t seed = fpm_test::fresh_seed("simulated faults");
  const fpm::Gallery g = synthetic_gallery(seed, 8, 2);
  Devices devices({GiB, GiB});
  // Exclusive-process mode: the first call that needs the device's context fails.
  fpm_simcuda::inject_fault(1, Call::Any, 1, cudaErrorDevicesUnavailable, true);

  SECTION("Backend::Cuda refuses, naming the device and the reason") {
    const fpm::Error e = error_of([&] { fpm::Engine engine(g, with(fpm::Backend::Cuda, {0, 1})); });
    INFO(e.what());
    CHECK(e.code() == fpm::ErrorCode::Unavailable);
    CHECK(contains(e.what(), "device 1"));
    CHECK(contains(e.what(), "busy or unavailable"));
    nothing_left();
  }
  SECTION("Backend::Auto goes on with the other device and says why") {
    {
      const fpm::Engine engine(g, with(fpm::Backend::Auto, {0, 1}));
      CHECK(engine.backend() == fpm::Backend::Cuda);
      INFO(engine.fallback_reason());
      CHECK(contains(engine.fallback_reason(), "device 1 left out"));
      CHECK(contains(engine.fallback_reason(), "busy or unavailable"));
      const fpm_simcuda::Live l = fpm_simcuda::live();
      CHECK(l.bytes_per_device[0] > 0);
      CHECK(l.bytes_per_device[1] == 0);
      const fpm::Engine cpu(g, on(fpm::Backend::Cpu));
      CHECK(cpu.fallback_reason().empty());
      same_candidates(cpu.search(probes_for(seed, 8, 5)), engine.search(probes_for(seed, 8, 5)));
    }
    nothing_left();
  }
  SECTION("Backend::Auto with that device alone runs on the CPU") {
    {
      const fpm::Engine engine(g, with(fpm::Backend::Auto, {1}));
      CHECK(engine.backend() == fpm::Backend::Cpu);
      CHECK(contains(engine.fallback_reason(), "busy or unavailable"));
      nothing_left();
      same_candidates(fpm::Engine(g, on(fpm::Backend::Cpu)).search(probes_for(seed, 8, 5)),
                      engine.search(probes_for(seed, 8, 5)));
    }
    nothing_left();
  }
}

TEST_CASE("simulated faults: a device that fails while taking the gallery", "[simulated][faults]") {
  const std::uint64_t seed = fpm_test::fresh_seed("simulated faults");
  const fpm::Gallery g = synthetic_gallery(seed, 12, 2);
  Devices devices({GiB, GiB});
  // An uncorrectable memory error in the middle of device 1's upload (many
  // 4 KB chunks in this build).
  fpm_simcuda::inject_fault(1, Call::Copy, 12, cudaErrorECCUncorrectable, true);

  SECTION("Backend::Cuda") {
    const fpm::Error e = error_of([&] { fpm::Engine engine(g, with(fpm::Backend::Cuda, {0, 1})); });
    INFO(e.what());
    CHECK(e.code() == fpm::ErrorCode::Unavailable);
    CHECK(contains(e.what(), "device 1"));
    CHECK(contains(e.what(), "ECC"));
    nothing_left();  // device 0's part too
  }
  SECTION("Backend::Auto takes the gallery on the other device") {
    {
      const fpm::Engine engine(g, with(fpm::Backend::Auto, {0, 1}));
      CHECK(engine.backend() == fpm::Backend::Cuda);
      CHECK(contains(engine.fallback_reason(), "device 1 left out"));
      CHECK(contains(engine.fallback_reason(), "ECC"));
      CHECK(fpm_simcuda::live().bytes_per_device[1] == 0);  // its part released
      const fpm::Engine cpu(g, on(fpm::Backend::Cpu));
      same_candidates(cpu.search(probes_for(seed, 12, 6)), engine.search(probes_for(seed, 12, 6)));
      const auto subjects = subject_probes(seed, 12, 4);
      same_subjects(cpu.search_subjects(subjects), engine.search_subjects(subjects));
    }
    nothing_left();
  }
}

TEST_CASE("simulated faults: a kernel fault during a search", "[simulated][faults]") {
  const std::uint64_t seed = fpm_test::fresh_seed("simulated faults");
  const fpm::Gallery g = synthetic_gallery(seed, 12, 2);
  const auto probes = probes_for(seed, 12, 6);
  const auto subjects = subject_probes(seed, 12, 4);
  Devices devices({GiB});
  const fpm::Engine cpu(g, on(fpm::Backend::Cpu));
  // The second kernel of the next search reads an illegal address: the
  // device's context is unusable from then on.
  const auto fault = [] { fpm_simcuda::inject_fault(0, Call::Kernel, 2, cudaErrorIllegalAddress, true); };

  SECTION("Backend::Cuda reports it from every search and stays destructible") {
    {
      fpm::Engine engine(g, with(fpm::Backend::Cuda, {0}));
      fault();
      const fpm::Error e = error_of([&] { engine.search(probes); });
      INFO(e.what());
      CHECK(e.code() == fpm::ErrorCode::Unavailable);
      CHECK(contains(e.what(), "device 0"));
      CHECK(contains(e.what(), "illegal memory access"));
      CHECK(engine.backend() == fpm::Backend::Cuda);
      CHECK(engine.fallback_reason().empty());
      CHECK(error_of([&] { engine.search(probes); }).code() == fpm::ErrorCode::Unavailable);
      CHECK(error_of([&] { engine.search_subjects(subjects); }).code() == fpm::ErrorCode::Unavailable);
      // A change re-uploads, which the broken device refuses too.
      engine.remove(0);
      CHECK(error_of([&] { engine.search(probes); }).code() == fpm::ErrorCode::Unavailable);
    }
    nothing_left();
  }
  SECTION("Backend::Auto answers on the CPU from then on") {
    {
      fpm::Engine engine(g, with(fpm::Backend::Auto, {0}));
      REQUIRE(engine.backend() == fpm::Backend::Cuda);
      fault();
      same_candidates(cpu.search(probes), engine.search(probes));
      CHECK(engine.backend() == fpm::Backend::Cpu);
      INFO(engine.fallback_reason());
      CHECK(contains(engine.fallback_reason(), "device 0"));
      CHECK(contains(engine.fallback_reason(), "illegal memory access"));
      nothing_left();  // the device's memory went with the search that found it failed
      same_subjects(cpu.search_subjects(subjects), engine.search_subjects(subjects));
      fpm::Engine cpu2(g, on(fpm::Backend::Cpu));
      for (fpm::Engine* e : {&cpu2, &engine}) e->add("late", 3, probes[2]);
      same_candidates(cpu2.search(probes), engine.search(probes));
    }
    nothing_left();
  }
  SECTION("Backend::Auto, the fault in a per-subject search") {
    {
      const fpm::Engine engine(g, with(fpm::Backend::Auto, {0}));
      fault();
      same_subjects(cpu.search_subjects(subjects), engine.search_subjects(subjects));
      CHECK(engine.backend() == fpm::Backend::Cpu);
      CHECK(contains(engine.fallback_reason(), "illegal memory access"));
      same_candidates(cpu.search(probes), engine.search(probes));
    }
    nothing_left();
  }
}

TEST_CASE("simulated faults: a launch refused once", "[simulated][faults]") {
  const std::uint64_t seed = fpm_test::fresh_seed("simulated faults");
  const fpm::Gallery g = synthetic_gallery(seed, 40, 2);  // two tiles in this build
  const auto probes = probes_for(seed, 40, 8);
  Devices devices({GiB});
  {
    const fpm::Engine cpu(g, on(fpm::Backend::Cpu));
    const fpm::Engine engine(g, with(fpm::Backend::Cuda, {0}));
    // The second tile's key kernel (launches: the probes' summaries, then
    // per tile: scores, keys, sort), while that tile's score kernel is still
    // queued.
    fpm_simcuda::inject_fault(0, Call::Launch, 6, cudaErrorLaunchOutOfResources, false);
    const fpm::Error e = error_of([&] { engine.search(probes); });
    INFO(e.what());
    CHECK(e.code() == fpm::ErrorCode::Internal);
    CHECK(contains(e.what(), "too many resources"));
    // The error is reported once the work already queued has run: none of
    // it still reads the pinned buffers the next search refills.
    CHECK(fpm_simcuda::live().queued_operations == 0);
    // Not sticky: the next searches are whole and right.
    same_candidates(cpu.search(probes), engine.search(probes));
    const auto subjects = subject_probes(seed, 40, 5);
    same_subjects(cpu.search_subjects(subjects), engine.search_subjects(subjects));
    CHECK(engine.backend() == fpm::Backend::Cuda);
  }
  nothing_left();
}

TEST_CASE("simulated faults: devices of three fail one after another while searches run", "[simulated][faults]") {
  const std::uint64_t seed = fpm_test::fresh_seed("simulated faults");
  const fpm::Gallery g = synthetic_gallery(seed, 30, 2);
  const auto probes = probes_for(seed, 30, 6);
  const auto subjects = subject_probes(seed, 30, 4);
  Devices devices({GiB, GiB, GiB});
  const fpm::Engine cpu(g, on(fpm::Backend::Cpu));
  const auto want = cpu.search(probes);
  const auto want_subjects = cpu.search_subjects(subjects);
  const auto fault = [] { fpm_simcuda::inject_fault(2, Call::Kernel, 3, cudaErrorLaunchFailure, true); };

  SECTION("Backend::Auto: every search answered as on the CPU") {
    {
      const fpm::Engine engine(g, with(fpm::Backend::Auto, {0, 1, 2}));
      REQUIRE(engine.backend() == fpm::Backend::Cuda);
      fault();
      std::vector<std::vector<std::vector<fpm::Candidate>>> got(4);
      std::vector<std::vector<std::vector<fpm::SubjectCandidate>>> got_subjects(4);
      std::vector<std::string> errors(4);
      std::vector<std::thread> threads;
      for (std::size_t t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
          try {
            got[t] = engine.search(probes);
            got_subjects[t] = engine.search_subjects(subjects);
          } catch (const std::exception& e) {
            errors[t] = e.what();
          }
        });
      for (auto& t : threads) t.join();
      for (std::size_t t = 0; t < 4; ++t) {
        CHECK(errors[t].empty());
        same_candidates(want, got[t]);
        same_subjects(want_subjects, got_subjects[t]);
      }
      // Device 2 is left out; the next search re-uploads over 0 and 1.
      CHECK(engine.backend() == fpm::Backend::Cuda);
      INFO(engine.fallback_reason());
      CHECK(contains(engine.fallback_reason(), "device 2 left out"));
      CHECK(contains(engine.fallback_reason(), "unspecified launch failure"));
      same_candidates(want, engine.search(probes));
      fpm_simcuda::Live l = fpm_simcuda::live();
      CHECK(l.bytes_per_device[0] > 0);
      CHECK(l.bytes_per_device[1] > 0);
      CHECK(l.bytes_per_device[2] == 0);
      // Then device 0 fails in a per-subject search: device 1 goes on alone.
      fpm_simcuda::inject_fault(0, Call::Kernel, 1, cudaErrorIllegalAddress, true);
      same_subjects(want_subjects, engine.search_subjects(subjects));
      same_subjects(want_subjects, engine.search_subjects(subjects));
      CHECK(engine.backend() == fpm::Backend::Cuda);
      l = fpm_simcuda::live();
      CHECK(l.bytes_per_device[0] == 0);
      CHECK(l.bytes_per_device[1] > 0);
      // And when the last one fails, the CPU.
      fpm_simcuda::inject_fault(1, Call::Synchronize, 1, cudaErrorECCUncorrectable, true);
      same_candidates(want, engine.search(probes));
      CHECK(engine.backend() == fpm::Backend::Cpu);
      CHECK(contains(engine.fallback_reason(), "device 0 left out"));
      CHECK(contains(engine.fallback_reason(), "ECC"));
      nothing_left();
      same_subjects(want_subjects, engine.search_subjects(subjects));
    }
    nothing_left();
  }
  SECTION("Backend::Cuda: the search fails, naming the device") {
    {
      const fpm::Engine engine(g, with(fpm::Backend::Cuda, {0, 1, 2}));
      fault();
      const fpm::Error e = error_of([&] { engine.search_subjects(subjects); });
      INFO(e.what());
      CHECK(e.code() == fpm::ErrorCode::Unavailable);
      CHECK(contains(e.what(), "device 2"));
      CHECK(error_of([&] { engine.search(probes); }).code() == fpm::ErrorCode::Unavailable);
    }
    nothing_left();
  }
}

TEST_CASE("simulated faults: two-stage searches", "[simulated][faults][shortlist]") {
  const std::uint64_t seed = fpm_test::fresh_seed("simulated faults");
  const fpm::Gallery g = synthetic_gallery(seed, 12, 2);  // 24 entries: one tile in this build
  const auto probes = probes_for(seed, 12, 6);
  const auto subjects = subject_probes(seed, 12, 4);
  fpm::SearchOptions o;
  o.top_k = 3;
  o.shortlist = 5;
  Devices devices({GiB});
  const fpm::Engine cpu(g, on(fpm::Backend::Cpu));
  // Launches of a two-stage search on one tile: stage 1's keys (1), its
  // selection's histogram (2) and keys (3), then stage 2's probe summaries
  // (4), scores (5), keys (6), sort (7).
  SECTION("Backend::Auto: a kernel fault in stage 2 (scores, per template)") {
    {
      const fpm::Engine engine(g, with(fpm::Backend::Auto, {0}));
      fpm_simcuda::inject_fault(0, Call::Kernel, 5, cudaErrorIllegalAddress, true);
      same_candidates(cpu.search(probes, o), engine.search(probes, o));
      CHECK(engine.backend() == fpm::Backend::Cpu);
      CHECK(contains(engine.fallback_reason(), "illegal memory access"));
    }
    nothing_left();
  }
  SECTION("Backend::Auto: a kernel fault in stage 1 (per subject)") {
    {
      const fpm::Engine engine(g, with(fpm::Backend::Auto, {0}));
      fpm_simcuda::inject_fault(0, Call::Kernel, 1, cudaErrorIllegalAddress, true);
      same_subjects(cpu.search_subjects(subjects, o), engine.search_subjects(subjects, o));
      CHECK(engine.backend() == fpm::Backend::Cpu);
    }
    nothing_left();
  }
  SECTION("Backend::Cuda: a launch refused once in stage 2 (scores), then whole searches") {
    {
      const fpm::Engine engine(g, with(fpm::Backend::Cuda, {0}));
      fpm_simcuda::inject_fault(0, Call::Launch, 5, cudaErrorLaunchOutOfResources, false);
      const fpm::Error e = error_of([&] { engine.search(probes, o); });
      INFO(e.what());
      CHECK(e.code() == fpm::ErrorCode::Internal);
      CHECK(fpm_simcuda::live().queued_operations == 0);
      same_candidates(cpu.search(probes, o), engine.search(probes, o));
      // And in stage 1's selection (per subject: keys, histogram, selected keys).
      fpm_simcuda::inject_fault(0, Call::Launch, 3, cudaErrorLaunchOutOfResources, false);
      CHECK(error_of([&] { engine.search_subjects(subjects, o); }).code() == fpm::ErrorCode::Internal);
      CHECK(fpm_simcuda::live().queued_operations == 0);
      same_subjects(cpu.search_subjects(subjects, o), engine.search_subjects(subjects, o));
      CHECK(engine.backend() == fpm::Backend::Cuda);
    }
    nothing_left();
  }
}
