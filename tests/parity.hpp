// Helpers of the CPU/CUDA parity tests: synthetic galleries and the
// comparison of candidate lists (indices, subjects, order, score bits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fpmatch/fpmatch.hpp"

namespace fpm_test {

// `subjects` subjects named g0, g1, ... with `fingers` impressions each
// (positions 1..fingers, some 0 = unknown), from SyntheticFingers(seed).
fpm::Gallery synthetic_gallery(std::uint64_t seed, std::size_t subjects, int fingers);

// Engine options for backend `b`, everything else default.
fpm::EngineOptions on(fpm::Backend b);

// CHECKs that two searches' candidate lists are identical.
void same_candidates(const std::vector<std::vector<fpm::Candidate>>& cpu,
                     const std::vector<std::vector<fpm::Candidate>>& gpu);
void same_subjects(const std::vector<std::vector<fpm::SubjectCandidate>>& cpu,
                   const std::vector<std::vector<fpm::SubjectCandidate>>& gpu);

}  // namespace fpm_test
