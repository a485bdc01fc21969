// fpmatch: what a score means. The library ships the impostor scores of all
// real impostor comparisons among the FVC 2002 DB1_B and DB2_B ISO templates
// (FingerJetFX extractions, 12,160 comparisons across both sets), computed
// with the matcher's default settings. From them it estimates the false
// match rate (FMR) of a score and the threshold for a target FMR.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "fpmatch/export.h"

namespace fpm {

struct CalibrationInfo {
  std::size_t impostor_comparisons = 0;
  std::string source;          // what the impostor scores came from
  double lowest_fmr = 0;       // 1 / impostor_comparisons: the smallest FMR the data can show
  double reliable_fmr = 0;     // 10 / impostor_comparisons: below it an estimate rests on < 10 scores
};
FPM_API CalibrationInfo calibration_info();

struct FmrEstimate {
  // Share of calibration impostor scores >= the score; when none reaches it
  // (upper_bound), 1/total: the true rate is below that, never known to be 0.
  double fmr = 0;
  bool upper_bound = false;     // fmr is only an upper bound ("fmr < 1/total")
  std::size_t at_or_above = 0;  // how many impostor scores are >= the score
  std::size_t total = 0;        // impostor scores in the calibration
};
// Estimated FMR of accepting `score` (a comparison is accepted when its
// score >= the threshold). A score above every calibration impostor score
// gives upper_bound = true and fmr = 1/total (shown as "< 1/total"). NaN is
// refused (fpm::Error(InvalidArgument)).
FPM_API FmrEstimate false_match_rate(float score);

// The smallest threshold whose estimated FMR is at most `fmr`. Throws
// fpm::Error(InvalidArgument) for fmr outside [lowest_fmr, 1].
FPM_API float threshold_for_fmr(double fmr);

// The shipped impostor scores, highest first (for inspection and tests).
FPM_API const std::vector<float>& calibration_impostor_scores();

}  // namespace fpm
