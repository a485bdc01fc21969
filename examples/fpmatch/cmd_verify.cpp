// fpmatch verify A B: one comparison, its score and the FMR it corresponds to.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace cli {

namespace {

struct VerifyArgs {
  InputFlags in;
  std::string a, b;
  unsigned view_a = 0, view_b = 0;
  bool json = false;
};

fpm::Template pick(const std::string& path, unsigned view, const fpm::DecodeOptions& o) {
  fpm::DecodedRecord rec = fpm::decode_file(path, o);
  if (view >= rec.views.size())
    throw fpm::Error(fpm::ErrorCode::InvalidArgument, "'" + path + "' has " + std::to_string(rec.views.size()) +
                                                          " view(s); view " + std::to_string(view) + " asked for");
  return rec.views[view];
}

int run_verify(const VerifyArgs& a) {
  const fpm::DecodeOptions o = a.in.options();
  const fpm::EncodedTemplate ea = fpm::encode_cylinders(pick(a.a, a.view_a, o));
  const fpm::EncodedTemplate eb = fpm::encode_cylinders(pick(a.b, a.view_b, o));
  const float score = fpm::match(ea, eb);
  const fpm::FmrEstimate f = fpm::false_match_rate(score);
  if (a.json) {
    nlohmann::json j = {{"a", a.a},
                        {"b", a.b},
                        {"score", score},
                        {"impostors_at_or_above", f.at_or_above},
                        {"impostors", f.total},
                        {"cylinders_a", ea.cylinders()},
                        {"cylinders_b", eb.cylinders()}};
    put_fmr(j, f);
    print_json(j);
    return kOk;
  }
  std::printf("score %.6f\n", score);
  if (f.upper_bound)
    std::printf("fmr   %s (no calibration impostor score reaches it; %zu impostor comparisons)\n",
                fmr_text(f).c_str(), f.total);
  else
    std::printf("fmr   %s (%zu of %zu calibration impostor scores are at or above it)\n", fmr_text(f).c_str(),
                f.at_or_above, f.total);
  return kOk;
}

}  // namespace

void add_verify(CLI::App& app, std::function<int()>* action) {
  auto [cmd, args] = reader_subcommand<VerifyArgs>(app, "verify", "Compare two templates: score and the false match rate it corresponds to", action, run_verify);
  add_existing(cmd, "a", args->a, "First template file");
  add_existing(cmd, "b", args->b, "Second template file");
  cmd->add_option("--view-a", args->view_a, "View of a multi-view record A (default 0)");
  cmd->add_option("--view-b", args->view_b, "View of a multi-view record B (default 0)");
  cmd->add_flag("--json", args->json, "Print a JSON object");
}

}  // namespace cli
