#include "parity.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "support.hpp"

namespace fpm_test {

namespace {

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Per probe, lists of the same length, and at every rank the same score to
// the bit and what `same_entry` checks of that kind of candidate.
template <class Candidate, class SameEntry>
void same_lists(const std::vector<std::vector<Candidate>>& cpu, const std::vector<std::vector<Candidate>>& gpu,
                SameEntry same_entry) {
  REQUIRE(cpu.size() == gpu.size());
  for (std::size_t p = 0; p < cpu.size(); ++p) {
    REQUIRE(cpu[p].size() == gpu[p].size());
    for (std::size_t i = 0; i < cpu[p].size(); ++i) {
      INFO("probe " << p << " rank " << i);
      CHECK(bits(cpu[p][i].score) == bits(gpu[p][i].score));
      same_entry(cpu[p][i], gpu[p][i]);
    }
  }
}

}  // namespace

fpm::Gallery synthetic_gallery(std::uint64_t seed, std::size_t subjects, int fingers) {
  const fpm::SyntheticFingers sf = synthetic_fingers(seed);
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
  same_lists(cpu, gpu, [](const fpm::Candidate& c, const fpm::Candidate& g) {
    CHECK(c.index == g.index);
    CHECK(c.subject == g.subject);
  });
}

void same_subjects(const std::vector<std::vector<fpm::SubjectCandidate>>& cpu,
                   const std::vector<std::vector<fpm::SubjectCandidate>>& gpu) {
  same_lists(cpu, gpu, [](const fpm::SubjectCandidate& c, const fpm::SubjectCandidate& g) {
    CHECK(c.subject == g.subject);
    CHECK(c.finger_entries == g.finger_entries);
  });
}

}  // namespace fpm_test
