// fpmatch search: probes against a gallery file.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"

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

// Width of the subject column: the longest subject id listed, at least 10.
std::size_t subject_width(const nlohmann::json& probes) {
  std::size_t w = 10;
  for (const auto& p : probes)
    for (const auto& c : p["candidates"]) w = std::max(w, c["subject"].get<std::string>().size());
  return w;
}

void print_text(const nlohmann::json& probes, bool subjects) {
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
    for (std::size_t p = 0; p < res.size(); ++p) {
      const fpm::IdentificationDecision& d = decisions[p];
      nlohmann::json c = nlohmann::json::array();
      for (std::size_t r = 0; r < res[p].size(); ++r) {
        const auto& s = res[p][r];
        nlohmann::json fingers = nlohmann::json::array();
        for (std::size_t k = 0; k < s.finger_scores.size(); ++k) {
          nlohmann::json fj = {{"probe_position", probes[p][k].position}, {"score", s.finger_scores[k]}};
          if (s.finger_entries[k] != static_cast<std::size_t>(-1)) {
            fj["entry"] = s.finger_entries[k];
            put_fmr(fj, fpm::false_match_rate(s.finger_scores[k]));
          }
          fingers.push_back(fj);
        }
        c.push_back({{"subject", s.subject},
                     {"score", s.score},
                     {"evidence", d.evidence[r].evidence},
                     {"subject_fmr", d.evidence[r].fmr},
                     {"fpir", d.fpir[r]},
                     {"fingers", fingers}});
      }
      nlohmann::json pj = {{"probe", a.probes[p]}, {"fingers", probes[p].size()}, {"candidates", c}};
      if (a.fpir > 0) {
        nlohmann::json hits = nlohmann::json::array();
        for (std::size_t h : d.hits) hits.push_back(res[p][h].subject);
        pj["decision"] = {{"target_fpir", a.fpir},
                          {"subjects", d.subjects},
                          {"subject_fmr_threshold", d.fmr_threshold},
                          {"hit", d.hit},
                          {"hits", hits}};
      }
      out.push_back(pj);
    }
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
    for (std::size_t p = 0; p < res.size(); ++p) {
      nlohmann::json c = nlohmann::json::array();
      for (const auto& k : res[p]) {
        nlohmann::json cj = {{"subject", k.subject}, {"position", k.position}, {"score", k.score}, {"entry", k.index}};
        put_fmr(cj, fpm::false_match_rate(k.score));
        c.push_back(cj);
      }
      out.push_back({{"probe", labels[p].first}, {"view", labels[p].second}, {"candidates", c}});
    }
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
    print_text(out, a.subjects);
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
