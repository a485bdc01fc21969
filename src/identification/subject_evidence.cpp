// Subject evidence, its FMR and FPIR(N) (fpmatch/identification.hpp).
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

#include "access.hpp"
#include "gallery/gallery_data.hpp"
#include "fpmatch/calibration.hpp"
#include "fpmatch/error.hpp"
#include "fpmatch/identification.hpp"

namespace fpm {

namespace {

// P(Gamma(k, 1) >= e) = exp(-e) * sum_{j<k} e^j / j!, summed in order of
// growing terms' index; every term is finite for the evidence a score can
// give (at most about -ln(1e-300) per finger).
double gamma_survival(std::size_t k, double e) {
  double term = 1.0, sum = 1.0;
  for (std::size_t j = 1; j < k; ++j) {
    term *= e / static_cast<double>(j);
    sum += term;
  }
  return std::min(1.0, std::exp(-e) * sum);
}

}  // namespace

SubjectEvidence subject_evidence(const std::vector<float>& finger_scores, const std::vector<std::size_t>& compared) {
  return subject_evidence(finger_scores, compared, calibration_tail_model(), calibration_impostor_scores());
}

SubjectEvidence subject_evidence(const std::vector<float>& finger_scores, const std::vector<std::size_t>& compared,
                                 const TailModel& model, const std::vector<float>& impostors_descending) {
  if (finger_scores.empty()) throw Error(ErrorCode::InvalidArgument, "subject_evidence: no finger scores");
  if (!compared.empty() && compared.size() != finger_scores.size())
    throw Error(ErrorCode::InvalidArgument, "subject_evidence: " + std::to_string(compared.size()) +
                                                " comparison counts for " + std::to_string(finger_scores.size()) +
                                                " fingers");
  SubjectEvidence out;
  for (std::size_t i = 0; i < finger_scores.size(); ++i) {
    if (std::isnan(finger_scores[i])) throw Error(ErrorCode::InvalidArgument, "subject_evidence: a score is NaN");
    const std::size_t m = compared.empty() ? 1 : compared[i];
    if (m == 0) throw Error(ErrorCode::InvalidArgument, "subject_evidence: a finger compared with 0 entries");
    const double f = modelled_fmr(finger_scores[i], model, impostors_descending);
    // Best of m independent impostor comparisons: 1 - (1 - f)^m.
    const double p = m == 1 || f >= 1.0 ? f : -std::expm1(static_cast<double>(m) * std::log1p(-f));
    out.finger_fmrs.push_back(p);
    out.evidence += -std::log(p);
  }
  out.fmr = gamma_survival(finger_scores.size(), out.evidence);
  return out;
}

double fpir_at(double fmr, std::size_t subjects) {
  if (!(fmr >= 0.0 && fmr <= 1.0))
    throw Error(ErrorCode::InvalidArgument, "fpir_at: the FMR " + std::to_string(fmr) + " is outside [0, 1]");
  if (fmr == 1.0) return subjects ? 1.0 : 0.0;
  return -std::expm1(static_cast<double>(subjects) * std::log1p(-fmr));
}

double subject_fmr_for_fpir(double fpir, std::size_t subjects) {
  if (!(fpir > 0.0 && fpir < 1.0))
    throw Error(ErrorCode::InvalidArgument, "subject_fmr_for_fpir: the FPIR " + std::to_string(fpir) +
                                                " is outside (0, 1)");
  if (subjects == 0) throw Error(ErrorCode::InvalidArgument, "subject_fmr_for_fpir: a gallery of 0 subjects");
  // 1 - (1 - f)^N = fpir  <=>  f = 1 - (1 - fpir)^(1/N).
  return -std::expm1(std::log1p(-fpir) / static_cast<double>(subjects));
}

std::vector<std::vector<std::vector<std::size_t>>> compared_entries(
    const Gallery& gallery, const std::vector<std::vector<FingerProbe>>& probes,
    const std::vector<std::vector<SubjectCandidate>>& candidates) {
  if (probes.size() != candidates.size())
    throw Error(ErrorCode::InvalidArgument, "compared_entries: " + std::to_string(probes.size()) + " probes, " +
                                                std::to_string(candidates.size()) + " candidate lists");
  // Positions of the live entries of every candidate subject, in one pass
  // over the entries' subject numbers (no names copied): the candidates'
  // subjects get a slot each, other subjects none.
  const Gallery::Data& d = detail::Access::data(gallery);
  std::vector<std::int32_t> slot(d.subject_names.size(), -1);
  std::vector<std::vector<std::uint8_t>> positions;
  const auto slot_of = [&](const std::string& subject) -> std::int32_t {
    const auto it = d.subject_index.find(subject);
    return it == d.subject_index.end() ? -1 : slot[it->second];
  };
  for (const auto& list : candidates)
    for (const SubjectCandidate& c : list) {
      const auto it = d.subject_index.find(c.subject);
      if (it != d.subject_index.end() && slot[it->second] < 0) {
        slot[it->second] = static_cast<std::int32_t>(positions.size());
        positions.emplace_back();
      }
    }
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (d.removed(i)) continue;
    const std::int32_t s = slot[d.subject[i]];
    if (s >= 0) positions[static_cast<std::size_t>(s)].push_back(d.position[i]);
  }
  static const std::vector<std::uint8_t> none;
  std::vector<std::vector<std::vector<std::size_t>>> out(probes.size());
  for (std::size_t p = 0; p < probes.size(); ++p)
    for (const SubjectCandidate& c : candidates[p]) {
      const std::int32_t s = slot_of(c.subject);
      const std::vector<std::uint8_t>& entry_positions = s < 0 ? none : positions[static_cast<std::size_t>(s)];
      std::vector<std::size_t> per_finger;
      for (const FingerProbe& f : probes[p]) {
        std::size_t m = 0;
        for (std::uint8_t e : entry_positions) m += (f.position == 0 || e == 0 || f.position == e) ? 1 : 0;
        per_finger.push_back(std::max<std::size_t>(1, m));  // a finger with none scored 0: FMR 1 whatever m
      }
      out[p].push_back(std::move(per_finger));
    }
  return out;
}

IdentificationDecision decide_at_fpir(const std::vector<SubjectCandidate>& candidates, std::size_t subjects,
                                      double target_fpir, const std::vector<std::vector<std::size_t>>& compared) {
  if (!(target_fpir > 0.0 && target_fpir < 1.0))
    throw Error(ErrorCode::InvalidArgument, "decide_at_fpir: the target FPIR " + std::to_string(target_fpir) +
                                                " is outside (0, 1)");
  if (!compared.empty() && compared.size() != candidates.size())
    throw Error(ErrorCode::InvalidArgument, "decide_at_fpir: comparison counts for " +
                                                std::to_string(compared.size()) + " candidates, not " +
                                                std::to_string(candidates.size()));
  IdentificationDecision d;
  d.target_fpir = target_fpir;
  d.subjects = subjects;
  if (subjects == 0) return d;
  d.fmr_threshold = subject_fmr_for_fpir(target_fpir, subjects);
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    d.evidence.push_back(subject_evidence(candidates[c].finger_scores,
                                          compared.empty() ? std::vector<std::size_t>{} : compared[c]));
    d.fpir.push_back(fpir_at(d.evidence.back().fmr, subjects));
    if (d.evidence.back().fmr <= d.fmr_threshold) d.hits.push_back(c);
  }
  std::stable_sort(d.hits.begin(), d.hits.end(),
                   [&](std::size_t a, std::size_t b) { return d.evidence[a].fmr < d.evidence[b].fmr; });
  d.hit = !d.hits.empty();
  return d;
}

std::vector<IdentificationDecision> decide_subjects_at_fpir(const Engine& engine,
                                                            const std::vector<std::vector<FingerProbe>>& probes,
                                                            const std::vector<std::vector<SubjectCandidate>>& candidates,
                                                            double target_fpir) {
  std::size_t subjects = 0;
  std::vector<std::vector<std::vector<std::size_t>>> compared;
  engine.with_gallery([&](const Gallery& g) {
    subjects = g.subjects();
    compared = compared_entries(g, probes, candidates);
  });
  std::vector<IdentificationDecision> out;
  for (std::size_t p = 0; p < candidates.size(); ++p)
    out.push_back(decide_at_fpir(candidates[p], subjects, target_fpir, compared[p]));
  return out;
}

}  // namespace fpm
