// fpmatch: accuracy evaluation on labelled templates (all pairs, genuine =
// same finger): error rates, DET curve, and a whole-folder helper.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fpmatch/export.h"
#include "fpmatch/formats.hpp"

namespace fpm {

struct ErrorRates {
  std::size_t genuine = 0;   // genuine comparisons
  std::size_t impostor = 0;  // impostor comparisons
  double eer = 0;            // equal error rate, fraction (FVC definition)
  double eer_threshold = 0;  // a threshold at which the EER is reached
  double fnmr_at_fmr_1pct = 0;    // FNMR at the lowest threshold with FMR <= 1%
  double fnmr_at_fmr_01pct = 0;   // ... with FMR <= 0.1%
  double fnmr_at_fmr_001pct = 0;  // ... with FMR <= 0.01% (needs >= 10,000 impostor pairs to mean much)
};

// A comparison is accepted when score >= threshold. FMR(t) is the share of
// impostor scores >= t, FNMR(t) the share of genuine scores < t. The EER
// follows the FVC protocol: t1 = the largest threshold with FNMR <= FMR, t2
// = the smallest with FNMR >= FMR; the EER is the midpoint of the interval
// [FNMR(t1), FMR(t1)] or [FMR(t2), FNMR(t2)], whichever is narrower.
// Throws fpm::Error(InvalidArgument) when either list is empty.
FPM_API ErrorRates error_rates(const std::vector<float>& genuine, const std::vector<float>& impostor);

struct DetPoint {
  float threshold;
  double fmr, fnmr;
};
// One point per distinct score, thresholds ascending.
FPM_API std::vector<DetPoint> det_curve(const std::vector<float>& genuine, const std::vector<float>& impostor);

struct PairScore {
  std::uint32_t a, b;  // indices into Evaluation::files, a < b
  bool genuine;
  float score;
};

struct Evaluation {
  std::vector<std::string> files;    // paths, folder by folder, sorted by name within each
  std::vector<std::string> fingers;  // finger label of each file: "FOLDER_INDEX:FINGER"
  std::vector<std::size_t> folder;   // which input folder each file came from
  std::vector<PairScore> pairs;      // every unordered pair once, in (a, b) order
  ErrorRates rates;                  // over all pairs
  std::vector<ErrorRates> folder_rates;  // per folder, over the pairs within it
};

// Decodes every regular file in the folders (any extension; the first view
// of each record), labels each by its name FINGER_IMPRESSION.ext (FINGER =
// the part before the last '_'; files in different folders are different
// fingers), encodes, compares every unordered pair once on `threads` threads
// (0: all cores) and computes the error rates. Deterministic: the same
// folders give the same numbers on every run and machine. Throws fpm::Error
// for an unreadable folder, a file without '_' in its name, a file that does
// not decode, or a folder without genuine or impostor pairs.
FPM_API Evaluation evaluate_folders(const std::vector<std::string>& dirs, const DecodeOptions& options = {},
                                    int threads = 0);
inline Evaluation evaluate_folder(const std::string& dir, const DecodeOptions& options = {}, int threads = 0) {
  return evaluate_folders({dir}, options, threads);
}

}  // namespace fpm
