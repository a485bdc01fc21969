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
  std::vector<std::string> same_fingers;  // "I,J" (1-based folder numbers)
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

// FNMR at FMR 0.01% is printed only where at least 10,000 impostor pairs
// make it a rate the data can show.
void print_rates(const std::string& what, const fpm::ErrorRates& r, const char* genuine = "genuine") {
  std::printf("%s\n  %s %zu, impostor %zu\n  EER %.2f%%   FNMR@FMR=1%% %.2f%%   FNMR@FMR=0.1%% %.2f%%", what.c_str(),
              genuine, r.genuine, r.impostor, 100 * r.eer, 100 * r.fnmr_at_fmr_1pct, 100 * r.fnmr_at_fmr_01pct);
  if (r.impostor >= 10000) std::printf("   FNMR@FMR=0.01%% %.2f%%", 100 * r.fnmr_at_fmr_001pct);
  std::printf("\n");
}

void write_text(const std::string& path, const std::string& text) {
  fpm::write_file_atomic(path, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

int run_eval(const EvalArgs& a) {
  fpm::EvaluationOptions eo;
  eo.same_fingers = folder_pairs(a.same_fingers, a.dirs.size());
  eo.threads = a.threads;
  const fpm::Evaluation ev = fpm::evaluate_folders(a.dirs, a.in.options(), eo);
  if (!a.no_files) {
    std::string csv = "file_a,file_b,genuine,score,same_image\n";
    char buf[32];
    for (const fpm::PairScore& p : ev.pairs) {
      std::snprintf(buf, sizeof buf, "%.9g", p.score);
      csv += ev.files[p.a] + "," + ev.files[p.b] + "," + (p.genuine ? "1" : "0") + "," + buf + "," +
             (p.same_image ? "1" : "0") + "\n";
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
    j["same_image_pairs"] = ev.same_image_pairs;
    j["cross"] = nlohmann::json::array();
    for (const fpm::CrossEvaluation& c : ev.cross) {
      nlohmann::json x = rates_json(c.rates);
      x["folders"] = {a.dirs[c.folder_a], a.dirs[c.folder_b]};
      x["same_image"] = rates_json(c.same_image);
      j["cross"].push_back(x);
    }
    if (!a.no_files) {
      j["scores_csv"] = a.csv;
      j["det_svg"] = a.det;
    }
    print_json(j);
    return kOk;
  }
  for (std::size_t f = 0; f < a.dirs.size(); ++f) print_rates(a.dirs[f], ev.folder_rates[f]);
  for (const fpm::CrossEvaluation& c : ev.cross) {
    const std::string across = a.dirs[c.folder_a] + " against " + a.dirs[c.folder_b];
    print_rates(across + " (same finger, other impression)", c.rates);
    print_rates(across + " (same image, other extraction)", c.same_image, "same-image");
  }
  if (a.dirs.size() > 1)
    print_rates(ev.cross.empty() ? "all folders together (pairs across folders are impostors)"
                                 : "all folders together (same-image pairs left out: " +
                                       std::to_string(ev.same_image_pairs) + ")",
                ev.rates);
  if (!a.no_files) std::printf("scores: %s\nDET curve: %s\n", a.csv.c_str(), a.det.c_str());
  return kOk;
}

}  // namespace

void add_eval(CLI::App& app, std::function<int()>* action) {
  auto [cmd, args] = reader_subcommand<EvalArgs>(app, "eval", "All-pairs accuracy on folders of templates named FINGER_IMPRESSION.ext (genuine = same finger)", action, run_eval);
  add_existing(cmd, "dirs", args->dirs, "Folders of templates (any extension)", CLI::ExistingDirectory);
  add_same_fingers(cmd, args->same_fingers,
                   "across them the same name is the same finger, and the same impression the same image (reported "
                   "apart, left out of the error rates)");
  cmd->add_flag("--json", args->json, "Print one JSON object (fractions, not percent)");
  cmd->add_option("--csv", args->csv, "Where to write every pair's score")->capture_default_str();
  cmd->add_option("--det", args->det, "Where to write the DET curve (SVG)")->capture_default_str();
  cmd->add_flag("--no-files", args->no_files, "Write neither the CSV nor the SVG");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)")->check(CLI::Range(0, fpm::kMaxEngineThreads));
}

}  // namespace cli
