// fpmatch eval DIR...: all-pairs accuracy evaluation (genuine = same finger).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "det_svg.hpp"

namespace cli {

namespace {

struct EvalArgs {
  InputFlags in;
  std::vector<std::string> dirs;
  bool json = false;
  std::string csv = "fpmatch-eval-scores.csv";
  std::string det = "fpmatch-eval-det.svg";
  bool no_files = false;
  int threads = 0;
};

nlohmann::json rates_json(const fpm::ErrorRates& r) {
  return {{"genuine", r.genuine},
          {"impostor", r.impostor},
          {"eer", r.eer},
          {"eer_threshold", r.eer_threshold},
          {"fnmr_at_fmr_0.01", r.fnmr_at_fmr_1pct},
          {"fnmr_at_fmr_0.001", r.fnmr_at_fmr_01pct},
          {"fnmr_at_fmr_0.0001", r.fnmr_at_fmr_001pct}};
}

void print_rates(const std::string& what, const fpm::ErrorRates& r) {
  std::printf("%s\n  genuine %zu, impostor %zu\n  EER %.2f%%   FNMR@FMR=1%% %.2f%%   FNMR@FMR=0.1%% %.2f%%\n",
              what.c_str(), r.genuine, r.impostor, 100 * r.eer, 100 * r.fnmr_at_fmr_1pct, 100 * r.fnmr_at_fmr_01pct);
}

void write_text(const std::string& path, const std::string& text) {
  fpm::write_file_atomic(path, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

int run_eval(const EvalArgs& a) {
  const fpm::Evaluation ev = fpm::evaluate_folders(a.dirs, a.in.options(), a.threads);
  if (!a.no_files) {
    std::string csv = "file_a,file_b,genuine,score\n";
    char buf[32];
    for (const fpm::PairScore& p : ev.pairs) {
      std::snprintf(buf, sizeof buf, "%.9g", p.score);
      csv += ev.files[p.a] + "," + ev.files[p.b] + "," + (p.genuine ? "1" : "0") + "," + buf + "\n";
    }
    write_text(a.csv, csv);
    std::vector<std::pair<std::string, std::vector<fpm::DetPoint>>> curves;
    for (std::size_t f = 0; f < a.dirs.size(); ++f) {
      std::vector<float> g, i;
      for (const fpm::PairScore& p : ev.pairs)
        if (ev.folder[p.a] == f && ev.folder[p.b] == f) (p.genuine ? g : i).push_back(p.score);
      curves.emplace_back(a.dirs[f], fpm::det_curve(g, i));
    }
    write_text(a.det, det_svg(curves));
  }
  if (a.json) {
    nlohmann::json j = rates_json(ev.rates);
    j["templates"] = ev.files.size();
    j["sets"] = nlohmann::json::array();
    for (std::size_t f = 0; f < a.dirs.size(); ++f) {
      nlohmann::json s = rates_json(ev.folder_rates[f]);
      s["folder"] = a.dirs[f];
      j["sets"].push_back(s);
    }
    if (!a.no_files) {
      j["scores_csv"] = a.csv;
      j["det_svg"] = a.det;
    }
    print_json(j);
    return kOk;
  }
  for (std::size_t f = 0; f < a.dirs.size(); ++f) print_rates(a.dirs[f], ev.folder_rates[f]);
  if (a.dirs.size() > 1) print_rates("all folders together (pairs across folders are impostors)", ev.rates);
  if (!a.no_files) std::printf("scores: %s\nDET curve: %s\n", a.csv.c_str(), a.det.c_str());
  return kOk;
}

}  // namespace

void add_eval(CLI::App& app, std::function<int()>* action) {
  auto [cmd, args] = reader_subcommand<EvalArgs>(app, "eval", "All-pairs accuracy on folders of templates named FINGER_IMPRESSION.ext (genuine = same finger)", action, run_eval);
  add_existing(cmd, "dirs", args->dirs, "Folders of templates (any extension)", CLI::ExistingDirectory);
  cmd->add_flag("--json", args->json, "Print one JSON object (fractions, not percent)");
  cmd->add_option("--csv", args->csv, "Where to write every pair's score")->capture_default_str();
  cmd->add_option("--det", args->det, "Where to write the DET curve (SVG)")->capture_default_str();
  cmd->add_flag("--no-files", args->no_files, "Write neither the CSV nor the SVG");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)")->check(CLI::Range(0, fpm::kMaxEngineThreads));
}

}  // namespace cli
