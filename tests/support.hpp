// Test helpers: the shared data folder, visible skips, template generators.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fpmatch/fpmatch.hpp"

namespace fpm_test {

// pi, for the tests' angle arithmetic (the formats' angle units, the
// canonical frame's radians).
constexpr double kPi = 3.14159265358979323846;

// Folder of the shared real templates: $FPM_DATA_DIR, else ../shared/data
// next to the project. When it is missing the calling test is skipped
// visibly (exit code 77, "Skipped" in ctest), except under CI=true where
// it fails: CI must test against the real data.
std::string require_data_dir();

// Skips the calling test visibly (exit 77) with the reason on stderr.
[[noreturn]] void skip(const std::string& why);

// Sorted list of files in `dir` whose name ends with `suffix`.
std::vector<std::string> list_files(const std::string& dir, const std::string& suffix);

std::vector<std::uint8_t> read(const std::string& path);

// A random template at 500 ppi with integer coordinates inside the image and
// directions on the 1.40625-degree ISO grid (so ISO round trips are exact).
fpm::Template random_template(std::mt19937& rng, int minutiae, std::uint16_t width = 400,
                              std::uint16_t height = 500);

// The views with each finger position's view numbers set to 0, 1, 2, ... in
// order: the standards require distinct view numbers for a finger's views,
// and the encoders refuse a record without them.
std::vector<fpm::Template> numbered_views(const std::vector<fpm::Template>& views);

// The synthetic fingers of `seed` (fpm::SynthOptions::seed), the others
// default: the same fingers wherever a test makes them from that seed, such
// as a gallery's and the probes of its fingers.
fpm::SyntheticFingers synthetic_fingers(std::uint64_t seed);

// A seed from the clock, so that randomised tests meet new data each run;
// printed as "<what> seed: N" so that a failure can be replayed.
std::uint64_t fresh_seed(const char* what);

// A side x side lattice of minutiae 28 pixels apart, all with one
// direction: many identical cylinders, hence large ties between equal
// similarities at the pair selection's floor (the selections' fallbacks).
fpm::Template lattice_template(int side);

// The parity tests' fresh inputs: `subjects` synthetic fingers (seed `seed`)
// of `impressions` impressions each, subject by subject, then the lattices of
// sides 6, 9 and 11; all encoded.
std::vector<fpm::EncodedTemplate> parity_templates(std::uint64_t seed, int subjects, int impressions);

// A new empty folder under /tmp (the test fails when none can be made).
std::string make_temp_dir();

// Writes impressions 0..impressions-1 of `fingers` synthetic fingers of one
// subject as ISO 19794-2:2005 files FINGER_IMPRESSION.ist (FINGER from 101)
// into dir: an FVC-style folder for the evaluations.
void write_fvc_folder(const std::string& dir, const fpm::SyntheticFingers& synth, int fingers, int impressions);

// The eight shared real sets (FingerJetFX DB1_B-DB4_B, then SecuGen
// DB1_B-DB4_B), each FingerJetFX folder linked to its SecuGen twin as the
// same fingers: evaluated once per process (skips like require_data_dir).
const fpm::Evaluation& shared_sets_evaluation();

}  // namespace fpm_test
