// The answers of a search as fpmatch prints them (text and JSON), shared
// by `fpmatch search` and `fpmatch-mpi`, whose outputs are to be identical.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fpmatch/fpmatch.hpp"

namespace cli {

// One probe of a per-template search: {"probe", "view", "candidates"}.
nlohmann::json template_probe_json(const std::string& label, std::size_t view,
                                   const std::vector<fpm::Candidate>& candidates);
// One probe of a per-subject search: {"probe", "fingers", "candidates"} and,
// when fpir > 0, "decision". `d` is the decision for these candidates (its
// evidence is printed for every candidate whatever the target).
nlohmann::json subject_probe_json(const std::string& label, const std::vector<fpm::FingerProbe>& fingers,
                                  const std::vector<fpm::SubjectCandidate>& candidates,
                                  const fpm::IdentificationDecision& d, double fpir);
// The text listing of such probes (a JSON array of the objects above).
void print_search_text(const nlohmann::json& probes, bool subjects);

}  // namespace cli
