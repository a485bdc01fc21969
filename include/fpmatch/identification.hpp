// fpmatch: what a multi-finger candidate means. A subject candidate's
// per-finger scores (Engine::search_subjects) become one number with a
// meaning: the chance that a subject who is NOT the probe's person reaches
// evidence this strong (its subject FMR), and from it, at a gallery of N
// subjects, the false-positive identification rate FPIR(N): the chance
// that a search by a person who is not enrolled reports a subject at least
// this strong. The library reports this evidence; the decision to act on a
// candidate belongs to the host and its examiners.
#pragma once

#include <cstddef>
#include <vector>

#include "fpmatch/calibration.hpp"
#include "fpmatch/engine.hpp"
#include "fpmatch/export.h"
#include "fpmatch/gallery.hpp"

namespace fpm {

struct SubjectEvidence {
  // Per probe finger: the modelled FMR of its score (modelled_fmr), or,
  // when the finger was compared with m > 1 of the subject's entries and
  // the best kept, 1 - (1 - FMR)^m.
  std::vector<double> finger_fmrs;
  double evidence = 0;  // sum over fingers of -ln(finger FMR): 0 = none
  // P(a non-mated subject's evidence >= this), with the fingers' FMRs
  // independent and each uniform on (0, 1] for a non-mated subject
  // (Fisher's combination): exp(-E) * sum_{j<k} E^j / j!, k fingers.
  double fmr = 1;
};

// The evidence of one subject candidate. `compared` (empty: 1 each) gives
// per finger how many of the subject's entries the finger was compared
// with (more than 1 for an unknown position against several fingers).
// Throws fpm::Error(InvalidArgument) for no fingers, a NaN score, or
// `compared` of another length or with a 0.
FPM_API SubjectEvidence subject_evidence(const std::vector<float>& finger_scores,
                                         const std::vector<std::size_t>& compared = {});
// The same with a host's own calibration: a tail model fitted to its
// impostor scores (fit_tail_model) and those scores, highest first.
FPM_API SubjectEvidence subject_evidence(const std::vector<float>& finger_scores,
                                         const std::vector<std::size_t>& compared, const TailModel& model,
                                         const std::vector<float>& impostors_descending);

// FPIR at a gallery of `subjects` subjects for a candidate of subject FMR
// `fmr`: 1 - (1 - fmr)^subjects, computed without loss for small rates.
// Throws fpm::Error(InvalidArgument) for fmr outside [0, 1] or NaN.
FPM_API double fpir_at(double fmr, std::size_t subjects);

// The subject FMR a candidate must reach (at most) for FPIR(subjects) to
// be at most `fpir`: the inverse of fpir_at. Throws for fpir outside
// (0, 1) or subjects 0.
FPM_API double subject_fmr_for_fpir(double fpir, std::size_t subjects);

// For each probe of a per-subject search and each of its candidates: how
// many of the subject's live entries each probe finger was compared with
// (positions equal, or either 0), the `compared` argument of
// subject_evidence and decide_at_fpir. One pass over the gallery. Throws
// fpm::Error(InvalidArgument) when the lists differ in length.
FPM_API std::vector<std::vector<std::vector<std::size_t>>> compared_entries(
    const Gallery& gallery, const std::vector<std::vector<FingerProbe>>& probes,
    const std::vector<std::vector<SubjectCandidate>>& candidates);

// A hit / no-hit answer for one probe at a target FPIR. The candidates are
// those a per-subject search returned (ranked by the mean rule: the top K
// by mean score); each gets its evidence, and every candidate whose FPIR at
// the gallery's subject count is at most the target is a hit. A subject
// that the mean rule leaves out of the top K is not considered, so ask for
// enough candidates (top_k) where fingers are few and scores uneven.
struct IdentificationDecision {
  double target_fpir = 0;
  std::size_t subjects = 0;   // the gallery's subject count N
  double fmr_threshold = 0;   // a candidate is a hit when its subject FMR <= this
  bool hit = false;           // some candidate is a hit
  std::vector<std::size_t> hits;           // indices into the candidates, smallest subject FMR first
  std::vector<SubjectEvidence> evidence;   // per candidate, in the candidates' order
  std::vector<double> fpir;                // per candidate: fpir_at(its FMR, subjects)
};

// `compared` (empty: 1 each) gives per candidate and probe finger how many
// of the subject's entries were compared (see subject_evidence). Throws
// fpm::Error(InvalidArgument) for a target outside (0, 1) or NaN, a
// candidate without finger scores, or `compared` of another shape. A
// gallery of 0 subjects (no candidates) is no hit.
FPM_API IdentificationDecision decide_at_fpir(const std::vector<SubjectCandidate>& candidates, std::size_t subjects,
                                              double target_fpir,
                                              const std::vector<std::vector<std::size_t>>& compared = {});

// decide_at_fpir for every probe of a per-subject search on `engine`
// (`candidates` = engine.search_subjects(probes, ...)), with the subject
// count and the comparison counts read from the engine's gallery in one pass.
FPM_API std::vector<IdentificationDecision> decide_subjects_at_fpir(
    const Engine& engine, const std::vector<std::vector<FingerProbe>>& probes,
    const std::vector<std::vector<SubjectCandidate>>& candidates, double target_fpir);

}  // namespace fpm
