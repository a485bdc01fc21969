// fpmatch search: probes against a gallery file.
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
  EngineFlags engine;
  std::vector<std::string> probes;
};

int run_search(const SearchArgs& a) {
  const fpm::DecodeOptions opt = a.in.options();
  fpm::Engine engine(fpm::Gallery::load(a.gallery), a.engine.options());
  fpm::SearchOptions so;
  so.top_k = a.top;
  so.min_score = a.min_score;
  nlohmann::json out = nlohmann::json::array();
  const auto t0 = std::chrono::steady_clock::now();
  if (a.subjects) {
    // Each probe file is one multi-finger probe: its views, with their positions.
    std::vector<std::vector<fpm::FingerProbe>> probes;
    for (const auto& f : a.probes) {
      std::vector<fpm::FingerProbe> fingers;
      for (const auto& v : fpm::decode_file(f, opt).views)
        fingers.push_back({fpm::encode(v), static_cast<std::uint8_t>(v.info().position)});
      probes.push_back(std::move(fingers));
    }
    const auto res = engine.search_subjects(probes, so);
    for (std::size_t p = 0; p < res.size(); ++p) {
      nlohmann::json c = nlohmann::json::array();
      for (const auto& s : res[p]) {
        nlohmann::json fingers = nlohmann::json::array();
        for (std::size_t k = 0; k < s.finger_scores.size(); ++k) {
          nlohmann::json fj = {{"probe_position", probes[p][k].position}, {"score", s.finger_scores[k]}};
          if (s.finger_entries[k] != static_cast<std::size_t>(-1)) fj["entry"] = s.finger_entries[k];
          fingers.push_back(fj);
        }
        c.push_back({{"subject", s.subject}, {"score", s.score}, {"fingers", fingers}});
      }
      out.push_back({{"probe", a.probes[p]}, {"fingers", probes[p].size()}, {"candidates", c}});
    }
  } else {
    std::vector<fpm::EncodedTemplate> probes;
    std::vector<std::pair<std::string, std::size_t>> labels;
    for (const auto& f : a.probes) {
      const auto rec = fpm::decode_file(f, opt);
      for (std::size_t v = 0; v < rec.views.size(); ++v) {
        probes.push_back(fpm::encode(rec.views[v]));
        labels.emplace_back(f, v);
      }
    }
    const auto res = engine.search(probes, so);
    for (std::size_t p = 0; p < res.size(); ++p) {
      nlohmann::json c = nlohmann::json::array();
      for (const auto& k : res[p])
        c.push_back({{"subject", k.subject}, {"position", k.position}, {"score", k.score}, {"entry", k.index}});
      out.push_back({{"probe", labels[p].first}, {"view", labels[p].second}, {"candidates", c}});
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (a.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return kOk;
  }
  for (const auto& p : out) {
    std::printf("%s%s\n", p["probe"].get<std::string>().c_str(),
                p.contains("view") && p["view"].get<std::size_t>() > 0 ? (" view " + std::to_string(p["view"].get<std::size_t>())).c_str() : "");
    int rank = 1;
    for (const auto& c : p["candidates"]) {
      const float score = c["score"].get<float>();
      const fpm::FmrEstimate f = fpm::false_match_rate(score);
      std::printf("  %3d  %-16s %s  score %.6f  fmr %s\n", rank++, c["subject"].get<std::string>().c_str(),
                  c.contains("position") ? ("finger " + std::to_string(c["position"].get<int>())).c_str() : "",
                  score, a.subjects ? "-" : (f.at_or_above ? std::to_string(f.fmr).c_str() : "<lowest"));
    }
    if (p["candidates"].empty()) std::printf("  no candidate\n");
  }
  std::size_t templates = 0;
  engine.with_gallery([&](const fpm::Gallery& g) { templates = g.live_size(); });
  std::fprintf(stderr, "%zu probe(s) against %zu templates on the %s backend: %llu comparisons in %.3f s\n",
               out.size(), templates, fpm::backend_name(engine.backend()),
               static_cast<unsigned long long>(engine.comparisons()), secs);
  const std::string why = engine.fallback_reason();
  if (!why.empty())
    std::fprintf(stderr, "%s: %s\n", engine.backend() == fpm::Backend::Cpu ? "CUDA not used" : "CUDA devices left out",
                 why.c_str());
  return kOk;
}

}  // namespace

void add_search(CLI::App& app, std::function<int()>* action) {
  auto args = std::make_shared<SearchArgs>();
  CLI::App* cmd = app.add_subcommand("search", "Search probe templates against a gallery file");
  args->in.add_to(cmd);
  cmd->add_option("--gallery", args->gallery, "Gallery file")->required()->check(CLI::ExistingFile);
  args->engine.add_to(cmd);
  cmd->add_option("--top", args->top, "Candidates per probe")->capture_default_str();
  cmd->add_flag("--subjects", args->subjects,
                "Per-subject search: each probe file is one probe of several fingers (its views)");
  cmd->add_option("--min-score", args->min_score, "Leave out candidates below this score");
  cmd->add_flag("--json", args->json, "Print JSON: one object per probe with its candidates, best first");
  cmd->add_option("probes", args->probes, "Probe template files")->required()->check(CLI::ExistingFile);
  cmd->callback([args, action] { *action = [args] { return run_search(*args); }; });
}

}  // namespace cli
