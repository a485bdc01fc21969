// fpmatch: what a score means. The library ships the impostor scores of all
// real impostor comparisons among the FVC 2002 DB1_B-DB4_B ISO templates of
// two extractors (FingerJetFX and SecuGen, eight sets pooled, pairs across
// sets and extractors included, the same finger seen by both extractors left
// out: 199,056 comparisons), computed with the matcher's default settings.
// From them it estimates the false match rate (FMR) of a score and the
// threshold for a target FMR, directly (false_match_rate, threshold_for_fmr)
// and, below what the data shows, from a fitted model of the upper tail
// (tail_model, modelled_fmr; docs/matcher.md "The tail model").
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

// A generalised Pareto model of the upper tail of impostor scores: above
// `threshold` (the score exceeded by the top `tail_share` of the impostors),
// FMR(s) = exceedance_rate * (1 + shape (s - threshold) / scale)^(-1/shape),
// or exceedance_rate * exp(-(s - threshold) / scale) when shape is 0. Fitted
// by probability-weighted moments (Hosking & Wallis 1987), a closed form,
// so the model is deterministic. A negative fitted shape (a bounded tail,
// FMR 0 above an end point) is used as 0: the model never claims that a
// score is impossible for an impostor.
struct TailModel {
  double tail_share = 0;       // share of impostors the model is fitted to
  float threshold = 0;         // u: scores above it are modelled
  double exceedance_rate = 0;  // share of impostor scores above u
  std::size_t exceedances = 0; // how many
  double scale = 0;            // sigma > 0
  double shape = 0;            // xi >= 0, as used
  double fitted_shape = 0;     // xi as fitted, before the clamp at 0
};

// Fits the model to impostor scores (any order), on the top `tail_share`
// of them. Throws fpm::Error(InvalidArgument) for a share outside (0, 0.5],
// fewer than 50 scores above the threshold, or a tail without spread.
FPM_API TailModel fit_tail_model(const std::vector<float>& impostor_scores, double tail_share = 0.01);

// The model fitted to the shipped scores (tail_share 0.01).
FPM_API const TailModel& calibration_tail_model();

// FMR of a score, continuous and never 0: at or below the model's
// threshold the share of shipped impostor scores >= score (as
// false_match_rate), above it the tail model, never below 1e-12 (where the
// model stops: that value means "at most 1e-12"). Rates below about 1e-7
// are extrapolations far beyond the data (1 / 199,056 = 5e-6): read them
// as orders of magnitude. NaN is refused (InvalidArgument).
FPM_API double modelled_fmr(float score);
// The same for any fitted model and the impostor scores it came from
// (sorted highest first).
FPM_API double modelled_fmr(float score, const TailModel& model, const std::vector<float>& impostors_descending);

// The smallest score whose modelled FMR is at most `fmr`, for fmr in
// [1e-12, 1] (1.0, the top of the score scale, where even that is not
// reached below 1); outside is refused (InvalidArgument).
FPM_API float threshold_for_modelled_fmr(double fmr);

}  // namespace fpm
