// fpmatch info FILE...: format, header fields, views and minutiae counts.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace cli {

namespace {

struct InfoArgs {
  InputFlags in;
  std::vector<std::string> files;
  bool json = false;
  bool minutiae = false;
};

nlohmann::json view_json(const fpm::Template& t, bool with_minutiae) {
  const fpm::TemplateInfo& i = t.info();
  nlohmann::json v = {
      {"finger_position", static_cast<int>(i.position)},
      {"finger_position_name", position_name(i.position)},
      {"view_number", i.view},
      {"impression_type", static_cast<int>(i.impression)},
      {"finger_quality", i.finger_quality},
      {"image_width", i.width},
      {"image_height", i.height},
      {"source_x_ppcm", i.source_x_ppcm},
      {"source_y_ppcm", i.source_y_ppcm},
      {"minutiae_count", t.size()},
  };
  if (with_minutiae) {
    nlohmann::json list = nlohmann::json::array();
    for (const fpm::Minutia& m : t.minutiae())
      list.push_back({{"x", m.x}, {"y", m.y}, {"theta_deg", m.theta * 180.0 / 3.14159265358979323846},
                      {"type", minutia_type_name(m.type)}, {"quality", m.quality}});
    v["minutiae"] = list;
  }
  return v;
}

int run_info(const InfoArgs& a) {
  const fpm::DecodeOptions opt = a.in.options();
  int status = kOk;
  nlohmann::json all = nlohmann::json::array();
  for (const std::string& path : a.files) {
    try {
      const fpm::DecodedRecord rec = fpm::decode_file(path, opt);
      if (a.json) {
        nlohmann::json j = {{"file", path},
                            {"format", fpm::format_name(rec.format)},
                            {"format_title", fpm::format_title(rec.format)}};
        nlohmann::json h = nlohmann::json::object();
        for (const auto& f : rec.header) h[f.name] = header_value(f.name, f.value);
        j["header"] = h;
        j["views"] = nlohmann::json::array();
        for (const auto& t : rec.views) j["views"].push_back(view_json(t, a.minutiae));
        j["warnings"] = rec.warnings;
        all.push_back(j);
        continue;
      }
      std::printf("%s\n  format: %s (%s)\n", path.c_str(), fpm::format_title(rec.format),
                  fpm::format_name(rec.format));
      // The record's own view count is a header field; print the count once.
      for (const auto& f : rec.header)
        if (f.name != "number_of_views") std::printf("  %s: %s\n", f.name.c_str(), f.value.c_str());
      std::printf("  views: %zu\n", rec.views.size());
      for (std::size_t v = 0; v < rec.views.size(); ++v) {
        const fpm::Template& t = rec.views[v];
        const fpm::TemplateInfo& i = t.info();
        std::printf("  view %zu: finger %d (%s), view number %u, impression %d (%s), quality %u, "
                    "%zu minutiae, %s at 500 ppi (recorded at %ux%u px/cm)\n",
                    v, static_cast<int>(i.position), position_name(i.position), i.view,
                    static_cast<int>(i.impression), impression_name(i.impression), i.finger_quality,
                    t.size(), image_size_text(i.width, i.height).c_str(), i.source_x_ppcm, i.source_y_ppcm);
        if (a.minutiae)
          for (const fpm::Minutia& m : t.minutiae())
            std::printf("    x %8.2f  y %8.2f  theta %7.2f deg  %-11s q %u\n", m.x, m.y,
                        m.theta * 180.0 / 3.14159265358979323846, minutia_type_name(m.type), m.quality);
      }
      for (const auto& w : rec.warnings) std::printf("  warning: %s\n", w.c_str());
    } catch (const std::exception& e) {
      const int code = report(e);
      if (status == kOk || code == kIo) status = code;
    }
  }
  if (a.json) print_json(all);
  return status;
}

}  // namespace

void add_info(CLI::App& app, std::function<int()>* action) {
  auto [cmd, args] = reader_subcommand<InfoArgs>(app, "info", "Print format, header fields, views and minutiae counts of template files", action, run_info);
  add_existing(cmd, "files", args->files, "Template files");
  cmd->add_flag("--json", args->json, "Print one JSON array with an object per file");
  cmd->add_flag("--minutiae", args->minutiae, "List every minutia (canonical frame)");
}

}  // namespace cli
