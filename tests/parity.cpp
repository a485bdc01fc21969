#include "parity.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

namespace fpm_test {

namespace {

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

}  // namespace

fpm::Gallery synthetic_gallery(std::uint64_t seed, std::size_t subjects, int fingers) {
  fpm::SynthOptions o;
  o.seed = seed;
  const fpm::SyntheticFingers sf(o);
  std::vector<fpm::Template> ts;
  std::vector<std::string> names;
  std::vector<std::uint8_t> pos;
  for (std::size_t s = 0; s < subjects; ++s)
    for (int f = 1; f <= fingers; ++f) {
      ts.push_back(sf.impression(s, f, 0));
      names.push_back("g" + std::to_string(s));
      pos.push_back(static_cast<std::uint8_t>((s + f) % 9 == 0 ? 0 : f));
    }
  const auto enc = fpm::encode_cylinders_all(ts);
  fpm::Gallery g;
  for (std::size_t i = 0; i < enc.size(); ++i) g.add(names[i], pos[i], enc[i]);
  return g;
}

fpm::EngineOptions on(fpm::Backend b) {
  fpm::EngineOptions o;
  o.backend = b;
  return o;
}

void same_candidates(const std::vector<std::vector<fpm::Candidate>>& cpu,
                     const std::vector<std::vector<fpm::Candidate>>& gpu) {
  REQUIRE(cpu.size() == gpu.size());
  for (std::size_t p = 0; p < cpu.size(); ++p) {
    REQUIRE(cpu[p].size() == gpu[p].size());
    for (std::size_t i = 0; i < cpu[p].size(); ++i) {
      INFO("probe " << p << " rank " << i);
      CHECK(cpu[p][i].index == gpu[p][i].index);
      CHECK(bits(cpu[p][i].score) == bits(gpu[p][i].score));
      CHECK(cpu[p][i].subject == gpu[p][i].subject);
    }
  }
}

void same_subjects(const std::vector<std::vector<fpm::SubjectCandidate>>& cpu,
                   const std::vector<std::vector<fpm::SubjectCandidate>>& gpu) {
  REQUIRE(cpu.size() == gpu.size());
  for (std::size_t p = 0; p < cpu.size(); ++p) {
    REQUIRE(cpu[p].size() == gpu[p].size());
    for (std::size_t i = 0; i < cpu[p].size(); ++i) {
      INFO("probe " << p << " rank " << i);
      CHECK(cpu[p][i].subject == gpu[p][i].subject);
      CHECK(bits(cpu[p][i].score) == bits(gpu[p][i].score));
      CHECK(cpu[p][i].finger_entries == gpu[p][i].finger_entries);
    }
  }
}

}  // namespace fpm_test
