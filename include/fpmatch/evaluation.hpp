// fpmatch: accuracy evaluation on labelled templates (all pairs, genuine =
// same finger): error rates, DET curve, and a whole-folder helper.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
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
  bool genuine;        // the same finger, another impression
  float score;
  // The same finger and impression in two folders linked by
  // EvaluationOptions::same_fingers: one image seen by two extractors.
  // Neither genuine nor impostor (genuine is false); counted apart.
  bool same_image = false;
  bool impostor() const { return !genuine && !same_image; }
};

struct EvaluationOptions {
  // Pairs of folder indices (into the folders given) that hold the same
  // fingers under the same names, e.g. two extractions of one image set.
  // Linked folders share their fingers (links are transitive): across them,
  // the same name and another impression is a genuine pair, the same name
  // and impression a same-image pair, another name an impostor pair.
  // Without links, files in different folders are different fingers.
  std::vector<std::pair<std::size_t, std::size_t>> same_fingers;
  int threads = 0;  // 0: all cores
};

// The pairs between two folders linked by EvaluationOptions::same_fingers:
// one template from each (the interoperability of their extractors: one
// extractor's templates enrolled, the other's searched). The score is
// symmetric (match(a, b) == match(b, a)), so "enrol A, search with B" and
// "enrol B, search with A" are the same comparisons and the same figures.
struct CrossEvaluation {
  std::size_t folder_a = 0, folder_b = 0;  // the pair as given
  ErrorRates rates;       // genuine: same finger, other impression; impostor: other fingers
  ErrorRates same_image;  // genuine: same finger, same impression (one image); impostors as in rates
};

struct Evaluation {
  std::vector<std::string> files;    // paths, folder by folder, sorted by name within each
  // Finger label of each file, "GROUP:FINGER": GROUP is the folder's index,
  // or for linked folders the smallest index among them.
  std::vector<std::string> fingers;
  std::vector<std::size_t> folder;   // which input folder each file came from
  std::vector<PairScore> pairs;      // every unordered pair once, in (a, b) order
  ErrorRates rates;                  // over all pairs (same-image pairs left out)
  std::vector<ErrorRates> folder_rates;  // per folder, over the pairs within it
  std::vector<CrossEvaluation> cross;    // per same_fingers pair, in the order given
  std::size_t same_image_pairs = 0;      // pairs left out of `rates` as one image
};

// Decodes every regular file in the folders (any extension; the first view
// of each record), labels each by its name FINGER_IMPRESSION.ext (FINGER =
// the part before the last '_', IMPRESSION the part after it; files in
// different folders are different fingers unless the folders are linked),
// encodes, compares every unordered pair once on `threads` threads (0: all
// cores) and computes the error rates. Deterministic: the same folders give
// the same numbers on every run and machine. Throws fpm::Error for an
// unreadable folder, a file without '_' in its name, a file that does not
// decode, a folder (or linked pair) without genuine or impostor pairs, and
// a same_fingers pair naming a folder beyond those given or a folder twice.
FPM_API Evaluation evaluate_folders(const std::vector<std::string>& dirs, const DecodeOptions& options,
                                    const EvaluationOptions& evaluation);
inline Evaluation evaluate_folders(const std::vector<std::string>& dirs, const DecodeOptions& options = {},
                                   int threads = 0) {
  EvaluationOptions eo;
  eo.threads = threads;
  return evaluate_folders(dirs, options, eo);
}
inline Evaluation evaluate_folder(const std::string& dir, const DecodeOptions& options = {}, int threads = 0) {
  return evaluate_folders({dir}, options, threads);
}

// ---- the first stage of a two-stage search (first_stage.hpp) ----
//
// How often the first stage keeps a probe's mate in a shortlist of a given
// share of the gallery. The gallery is the first file (in name order) of
// every finger of the folders (FVC naming as for evaluate_folders; fingers
// of different folders are different fingers), the probes are all the other
// files, and a probe's mate is the gallery entry of its folder and finger.
// Each probe ranks the gallery entries (and the background's) by
// first_stage_score, higher first, equal scores by smaller entry index
// (folder entries first, then the background's); the mate's rank r is a hit
// at penetration p when r <= max(1, ceil(p * G)), G the number of entries
// the probe ranks. The full matcher ranks the folders' entries too, for the
// share of probes it places at rank 1 and the hit rate among those.
struct PenetrationOptions {
  std::vector<double> penetrations = {0.005, 0.01, 0.02, 0.05, 0.10, 0.20};  // each in (0, 1]
  // Pairs of folder indices (into the folders given) that hold the same
  // fingers under the same names, e.g. two extractions of one image set: a
  // probe's same-named entry in the other folder is neither its mate nor an
  // impostor, and is left out of its ranking.
  std::vector<std::pair<std::size_t, std::size_t>> same_fingers;
  // A gallery file whose live entries are ranked too, as impostors of every
  // probe (for example `fpmatch synth` output: the penetration inside a
  // large gallery). Empty: none.
  std::string background;
  int threads = 0;  // 0: all cores
};

struct PenetrationPoint {
  double penetration = 0;
  std::size_t hits = 0;        // probes whose mate the stage-1 shortlist keeps
  std::size_t rank1_hits = 0;  // ... among the probes the full matcher ranks correctly
  double hit_rate = 0;         // hits / probes
  double rank1_hit_rate = 0;   // rank1_hits / rank1_correct (0 when none)
};

struct PenetrationCounts {
  std::size_t probes = 0;
  std::size_t rank1_correct = 0;  // probes whose mate is the full matcher's rank 1 (folder entries only)
  std::vector<PenetrationPoint> points;  // in PenetrationOptions::penetrations order
};

struct PenetrationEvaluation {
  std::size_t gallery = 0;     // folder entries (first impressions)
  std::size_t background = 0;  // background entries ranked
  std::size_t excluded = 0;    // probe-entry pairs left out (same_fingers)
  PenetrationCounts all;
  std::vector<PenetrationCounts> folders;  // per folder, its probes
  std::vector<std::size_t> mate_rank;      // per probe (in probe_files order): the stage-1 rank of its mate, from 1
  std::vector<std::string> probe_files;
};

// Throws fpm::Error(InvalidArgument) for a penetration outside (0, 1], a
// same_fingers index outside the folders or a folder paired with itself, a
// folder without probes (a finger seen once gives none) or with no probe at
// all; the errors of evaluate_folders; those of Gallery::load for the
// background. Deterministic.
FPM_API PenetrationEvaluation evaluate_penetration(const std::vector<std::string>& dirs,
                                                   const DecodeOptions& options = {},
                                                   const PenetrationOptions& penetration = {});

}  // namespace fpm
