// fpmatch search: probes against a gallery file.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "search_output.hpp"

namespace cli {

namespace {

struct SearchArgs {
  InputFlags in;
  std::string gallery;
  std::size_t top = 10;
  bool subjects = false;
  bool json = false;
  float min_score = 0.0f;
  double fpir = 0;  // 0: no decision
  EngineFlags engine;
  ShortlistFlag shortlist;
  std::vector<std::string> probes;
};

int run_search(const SearchArgs& a) {
  if (a.fpir != 0 && !a.subjects)
    throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--fpir decides per subject: it needs --subjects");
  if (a.fpir != 0 && !(a.fpir > 0 && a.fpir < 1))
    throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--fpir must be in (0, 1)");
  const fpm::DecodeOptions opt = a.in.options();
  fpm::SearchOptions so;
  so.top_k = a.top;
  so.min_score = a.min_score;
  a.shortlist.apply(so);
  fpm::Engine engine(load_gallery(a.gallery), a.engine.options());
  nlohmann::json out = nlohmann::json::array();
  const auto t0 = std::chrono::steady_clock::now();
  if (a.subjects) {
    // Each probe file is one multi-finger probe: its views, with their positions.
    std::vector<std::vector<fpm::FingerProbe>> probes;
    for (const auto& f : a.probes) {
      std::vector<fpm::FingerProbe> fingers;
      for (const auto& v : fpm::decode_file(f, opt).views)
        fingers.push_back({fpm::encode_cylinders(v), static_cast<std::uint8_t>(v.info().position)});
      probes.push_back(std::move(fingers));
    }
    const auto res = engine.search_subjects(probes, so);
    // Evidence for every candidate; the decision is printed only when asked
    // for (without --fpir any target serves: the evidence does not depend on it).
    const std::vector<fpm::IdentificationDecision> decisions =
        fpm::decide_subjects_at_fpir(engine, probes, res, a.fpir > 0 ? a.fpir : 0.5);
    for (std::size_t p = 0; p < res.size(); ++p)
      out.push_back(subject_probe_json(a.probes[p], probes[p], res[p], decisions[p], a.fpir));
  } else {
    std::vector<fpm::EncodedTemplate> probes;
    std::vector<std::pair<std::string, std::size_t>> labels;
    for (const auto& f : a.probes) {
      const auto rec = fpm::decode_file(f, opt);
      for (std::size_t v = 0; v < rec.views.size(); ++v) {
        probes.push_back(fpm::encode_cylinders(rec.views[v]));
        labels.emplace_back(f, v);
      }
    }
    const auto res = engine.search(probes, so);
    for (std::size_t p = 0; p < res.size(); ++p)
      out.push_back(template_probe_json(labels[p].first, labels[p].second, res[p]));
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::size_t templates = 0;
  engine.with_gallery([&](const fpm::Gallery& g) { templates = g.live_size(); });
  const std::string note = backend_note(engine);
  if (a.json) {
    const nlohmann::json j = {{"gallery", a.gallery},
                              {"templates", templates},
                              {"backend", fpm::backend_name(engine.backend())},
                              {"fallback_reason", engine.fallback_reason()},
                              {"per_subject", a.subjects},
                              {"shortlist", so.shortlist},
                              {"shortlist_fraction", so.shortlist_fraction},
                              {"comparisons", engine.comparisons()},
                              {"seconds", secs},
                              {"probes", out}};
    print_json(j);
  } else {
    print_search_text(out, a.subjects);
  }
  std::fprintf(stderr, "%zu probe(s) against %zu templates on the %s backend: %llu comparisons in %.3f s\n",
               out.size(), templates, fpm::backend_name(engine.backend()),
               static_cast<unsigned long long>(engine.comparisons()), secs);
  print_note(note);
  return kOk;
}

}  // namespace

void add_search(CLI::App& app, std::function<int()>* action) {
  auto [cmd, args] = reader_subcommand<SearchArgs>(app, "search", "Search probe templates against a gallery file", action, run_search);
  add_existing(cmd, "--gallery", args->gallery, "Gallery file");
  args->engine.add_to(cmd);
  args->shortlist.add_to(cmd);
  cmd->add_option("--top", args->top, "Candidates per probe")->capture_default_str();
  cmd->add_flag("--subjects", args->subjects,
                "Per-subject search: each probe file is one probe of several fingers (its views)");
  cmd->add_option("--min-score", args->min_score, "Leave out candidates below this score");
  cmd->add_option("--fpir", args->fpir,
                  "With --subjects: say per probe hit or no hit at this false-positive identification rate at the "
                  "gallery's subject count, e.g. 0.001 (docs/identification.md)");
  cmd->add_flag("--json", args->json, "Print JSON: one object per probe with its candidates, best first");
  add_existing(cmd, "probes", args->probes, "Probe template files");
}

}  // namespace cli
