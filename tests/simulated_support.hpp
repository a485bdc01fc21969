// Set-up shared by the tests on simulated CUDA devices
// (tests/simulated_cuda): devices for one test, engines on them, probes,
// and the check that nothing is left allocated.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "fpmatch/fpmatch.hpp"
#include "parity.hpp"
#include "simulated_cuda.hpp"
#include "support.hpp"

namespace fpm_test {

inline constexpr std::size_t MiB = std::size_t(1) << 20;
inline constexpr std::size_t GiB = std::size_t(1) << 30;

// Devices for one test; the default ones again afterwards.
struct Devices {
  explicit Devices(const std::vector<std::size_t>& memory) { fpm_simcuda::configure(memory); }
  ~Devices() { fpm_simcuda::configure_from_environment(); }
  Devices(const Devices&) = delete;
  Devices& operator=(const Devices&) = delete;
};

// Backend::Cuda on these devices.
inline fpm::EngineOptions cuda_on(std::vector<int> devices) {
  fpm::EngineOptions o = on(fpm::Backend::Cuda);
  o.devices = std::move(devices);
  return o;
}

// The fpm::Error that `f` throws; where it throws none the test fails with
// `unexpected` (what f then did).
template <class F>
fpm::Error error_of(F&& f, const char* unexpected = "no fpm::Error thrown") {
  try {
    f();
  } catch (const fpm::Error& e) {
    return e;
  }
  FAIL(unexpected);
  return fpm::Error(fpm::ErrorCode::Ok, "");
}

// No device memory, pinned buffer or stream is left.
inline void nothing_left() {
  const fpm_simcuda::Live l = fpm_simcuda::live();
  CHECK(l.device_allocations == 0);
  CHECK(l.device_bytes == 0);
  CHECK(l.pinned_buffers == 0);
  CHECK(l.streams == 0);
}

// n impressions of the synthetic gallery's subjects (synthetic_gallery with
// the same seed), other impressions than enrolled, then an empty template.
inline std::vector<fpm::EncodedTemplate> probes_for(std::uint64_t seed, std::size_t subjects, std::size_t n) {
  const fpm::SyntheticFingers sf = synthetic_fingers(seed);
  std::vector<fpm::EncodedTemplate> probes;
  for (std::size_t i = 0; i < n; ++i)
    probes.push_back(fpm::encode_cylinders(sf.impression(i % subjects, 1 + static_cast<int>(i % 3), 1 + i)));
  probes.push_back(fpm::EncodedTemplate());  // empty
  return probes;
}

// n multi-finger probes of those subjects (1 to 3 fingers, some of unknown
// position).
inline std::vector<std::vector<fpm::FingerProbe>> subject_probes(std::uint64_t seed, std::size_t subjects,
                                                                 std::size_t n) {
  const fpm::SyntheticFingers sf = synthetic_fingers(seed);
  std::vector<std::vector<fpm::FingerProbe>> probes;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<fpm::FingerProbe> p;
    for (int f = 1; f <= 1 + static_cast<int>(i % 3); ++f)
      p.push_back({fpm::encode_cylinders(sf.impression(i % subjects, f, 7 + i)), static_cast<std::uint8_t>(i % 4 == 0 ? 0 : f)});
    probes.push_back(p);
  }
  return probes;
}

}  // namespace fpm_test
