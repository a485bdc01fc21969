// What a multi-finger candidate means (docs/identification.md): the tail
// model's FMR of a score, a subject's evidence, FPIR at a gallery size, and
// hit / no-hit decisions at a target FPIR, exactly as the C++ library
// computes them.
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.hpp"
#include "fpmatch/identification.hpp"

namespace fpy {

void bind_identification(nb::module_& m) {
  nb::class_<fpm::SubjectEvidence>(m, "SubjectEvidence",
                                   "The evidence of one subject candidate (docs/identification.md).")
      .def_ro("finger_fmrs", &fpm::SubjectEvidence::finger_fmrs, "Per probe finger: the modelled FMR of its score.")
      .def_ro("evidence", &fpm::SubjectEvidence::evidence, "Sum over fingers of -ln(finger FMR).")
      .def_ro("fmr", &fpm::SubjectEvidence::fmr, "The subject FMR: P(a non-mated subject is this strong).")
      .def("__repr__", [](const fpm::SubjectEvidence& e) {
        return "<fpmatch.SubjectEvidence fmr " + std::to_string(e.fmr) + ">";
      });

  nb::class_<fpm::IdentificationDecision>(m, "IdentificationDecision",
                                          "A hit / no-hit answer for one probe at a target FPIR.")
      .def_ro("target_fpir", &fpm::IdentificationDecision::target_fpir)
      .def_ro("subjects", &fpm::IdentificationDecision::subjects, "The gallery's subject count N.")
      .def_ro("fmr_threshold", &fpm::IdentificationDecision::fmr_threshold,
              "A candidate is a hit when its subject FMR is at most this.")
      .def_ro("hit", &fpm::IdentificationDecision::hit)
      .def_ro("hits", &fpm::IdentificationDecision::hits, "Indices into the candidates, smallest subject FMR first.")
      .def_ro("evidence", &fpm::IdentificationDecision::evidence, "Per candidate, in the candidates' order.")
      .def_ro("fpir", &fpm::IdentificationDecision::fpir, "Per candidate: its FPIR at the gallery's subject count.")
      .def("__repr__", [](const fpm::IdentificationDecision& d) {
        return std::string("<fpmatch.IdentificationDecision ") + (d.hit ? "hit" : "no hit") + " at FPIR " +
               std::to_string(d.target_fpir) + ">";
      });

  m.def(
      "modelled_fmr", [](float score) { return fpm::modelled_fmr(score); }, nb::arg("score"),
      "The shipped calibration's FMR of a score with the fitted tail above its top 1% (never below 1e-12).");
  m.def("threshold_for_modelled_fmr", &fpm::threshold_for_modelled_fmr, nb::arg("fmr"),
        "The lowest score whose modelled FMR is at most `fmr`.");
  m.def("fpir_at", &fpm::fpir_at, nb::arg("fmr"), nb::arg("subjects"),
        "FPIR at a gallery of `subjects` subjects for a candidate of subject FMR `fmr`.");
  m.def("subject_fmr_for_fpir", &fpm::subject_fmr_for_fpir, nb::arg("fpir"), nb::arg("subjects"),
        "The subject FMR a candidate must reach for FPIR(subjects) <= fpir.");
  m.def(
      "subject_evidence",
      [](const std::vector<float>& scores, const std::vector<std::size_t>& compared) {
        return fpm::subject_evidence(scores, compared);
      },
      nb::arg("finger_scores"), nb::arg("compared") = std::vector<std::size_t>{},
      "The evidence of one subject candidate from its per-finger scores; `compared` (empty: 1 each) gives per "
      "finger how many of the subject's entries it was compared with.");
  m.def(
      "decide_at_fpir",
      [](const std::vector<fpm::SubjectCandidate>& candidates, std::size_t subjects, double target,
         const std::vector<std::vector<std::size_t>>& compared) {
        return fpm::decide_at_fpir(candidates, subjects, target, compared);
      },
      nb::arg("candidates"), nb::arg("subjects"), nb::arg("target_fpir"),
      nb::arg("compared") = std::vector<std::vector<std::size_t>>{},
      "Hit / no-hit for one probe's subject candidates at a gallery of `subjects` subjects.");
}

}  // namespace fpy
