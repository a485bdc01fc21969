// The answers of a search as fpmatch prints them (search_output.hpp).
#include "search_output.hpp"

#include <algorithm>
#include <cstdio>

#include "common.hpp"

namespace cli {

namespace {

// Width of the subject column: the longest subject id listed, at least 10.
std::size_t subject_width(const nlohmann::json& probes) {
  std::size_t w = 10;
  for (const auto& p : probes)
    for (const auto& c : p["candidates"]) w = std::max(w, c["subject"].get<std::string>().size());
  return w;
}

}  // namespace

nlohmann::json template_probe_json(const std::string& label, std::size_t view,
                                   const std::vector<fpm::Candidate>& candidates) {
  nlohmann::json c = nlohmann::json::array();
  for (const auto& k : candidates) {
    nlohmann::json cj = {{"subject", k.subject}, {"position", k.position}, {"score", k.score}, {"entry", k.index}};
    put_fmr(cj, fpm::false_match_rate(k.score));
    c.push_back(cj);
  }
  return {{"probe", label}, {"view", view}, {"candidates", c}};
}

nlohmann::json subject_probe_json(const std::string& label, const std::vector<fpm::FingerProbe>& fingers,
                                  const std::vector<fpm::SubjectCandidate>& candidates,
                                  const fpm::IdentificationDecision& d, double fpir) {
  nlohmann::json c = nlohmann::json::array();
  for (std::size_t r = 0; r < candidates.size(); ++r) {
    const auto& s = candidates[r];
    nlohmann::json fj_all = nlohmann::json::array();
    for (std::size_t k = 0; k < s.finger_scores.size(); ++k) {
      nlohmann::json fj = {{"probe_position", fingers[k].position}, {"score", s.finger_scores[k]}};
      if (s.finger_entries[k] != static_cast<std::size_t>(-1)) {
        fj["entry"] = s.finger_entries[k];
        put_fmr(fj, fpm::false_match_rate(s.finger_scores[k]));
      }
      fj_all.push_back(fj);
    }
    c.push_back({{"subject", s.subject},
                 {"score", s.score},
                 {"evidence", d.evidence[r].evidence},
                 {"subject_fmr", d.evidence[r].fmr},
                 {"fpir", d.fpir[r]},
                 {"fingers", fj_all}});
  }
  nlohmann::json pj = {{"probe", label}, {"fingers", fingers.size()}, {"candidates", c}};
  if (fpir > 0) {
    nlohmann::json hits = nlohmann::json::array();
    for (std::size_t h : d.hits) hits.push_back(candidates[h].subject);
    pj["decision"] = {{"target_fpir", fpir},
                      {"subjects", d.subjects},
                      {"subject_fmr_threshold", d.fmr_threshold},
                      {"hit", d.hit},
                      {"hits", hits}};
  }
  return pj;
}

void print_search_text(const nlohmann::json& probes, bool subjects) {
  const int w = static_cast<int>(subject_width(probes));
  for (const auto& p : probes) {
    std::printf("%s", p["probe"].get<std::string>().c_str());
    if (p.contains("view") && p["view"].get<std::size_t>() > 0) std::printf(" view %zu", p["view"].get<std::size_t>());
    if (subjects) std::printf(" (%zu finger%s)", p["fingers"].get<std::size_t>(), p["fingers"] == 1 ? "" : "s");
    std::printf("\n");
    int rank = 1;
    for (const auto& c : p["candidates"]) {
      const float score = c["score"].get<float>();
      if (subjects) {
        // The fused score (mean of per-finger best scores) ranks; the
        // subject FMR (the fingers' evidence combined) and FPIR say what
        // the candidate means.
        std::printf("  %3d  %-*s  score %.6f  subject fmr %.2e  fpir %.2e  fingers", rank++, w,
                    c["subject"].get<std::string>().c_str(), score, c["subject_fmr"].get<double>(),
                    c["fpir"].get<double>());
        for (const auto& f : c["fingers"]) {
          if (f.contains("entry"))
            std::printf("  [%d: entry %zu, %.4f, fmr %s]", f["probe_position"].get<int>(), f["entry"].get<std::size_t>(),
                        f["score"].get<float>(), fmr_text(fpm::false_match_rate(f["score"].get<float>())).c_str());
          else
            std::printf("  [%d: none enrolled]", f["probe_position"].get<int>());
        }
        std::printf("\n");
      } else {
        std::printf("  %3d  %-*s  finger %-2d  entry %-8zu  score %.6f  fmr %s\n", rank++, w,
                    c["subject"].get<std::string>().c_str(), c["position"].get<int>(), c["entry"].get<std::size_t>(),
                    score, fmr_text(fpm::false_match_rate(score)).c_str());
      }
    }
    if (p["candidates"].empty()) std::printf("  no candidate\n");
    if (p.contains("decision")) {
      const nlohmann::json& d = p["decision"];
      std::printf("  at FPIR %.2e (%zu subjects, subject FMR <= %.2e): ", d["target_fpir"].get<double>(),
                  d["subjects"].get<std::size_t>(), d["subject_fmr_threshold"].get<double>());
      if (d["hit"].get<bool>()) {
        std::printf("HIT:");
        for (const auto& h : d["hits"]) std::printf(" %s", h.get<std::string>().c_str());
        std::printf(" (for an examiner to verify)\n");
      } else {
        std::printf("no hit\n");
      }
    }
  }
}

}  // namespace cli
