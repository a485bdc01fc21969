// fpmatch gallery info FILE: counts, memory, a verified load, the shard
// metadata of a shard file, and the temporary files that saves of FILE left
// next to it (reported, never removed here: the next save removes the stale
// ones). fpmatch gallery split: a gallery into shards (docs/scale-out.md).
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "commands.hpp"

namespace cli {

namespace {

struct GalleryInfoArgs {
  std::string file;
  bool json = false;
};

struct GallerySplitArgs {
  std::string file;
  std::size_t shards = 0;
  std::vector<double> weights;
  std::string out;
  bool json = false;
};

// The shard metadata beside FILE, or null when there is none (an ordinary
// gallery). A metadata file that is there but damaged, or of another file,
// is an error.
std::unique_ptr<fpm::ShardInfo> shard_info_of(const std::string& file) {
  struct stat st;
  if (::stat(fpm::shard_info_path(file).c_str(), &st) != 0) return nullptr;
  return std::make_unique<fpm::ShardInfo>(fpm::read_shard_info(file));
}

nlohmann::json shard_json(const fpm::ShardInfo& s) {
  return {{"split_id", s.split_id},
          {"shard", s.shard},
          {"shards", s.shards},
          {"weight", s.weight},
          {"source_header_crc", s.source_crc},
          {"source_entries", s.source_entries},
          {"source_live_entries", s.source_live},
          {"source_subjects", s.source_subjects},
          {"entries", s.global_index.size()},
          {"subjects", s.subject_rank.size()},
          {"first_source_index", s.global_index.empty() ? nlohmann::json() : nlohmann::json(s.global_index.front())},
          {"last_source_index", s.global_index.empty() ? nlohmann::json() : nlohmann::json(s.global_index.back())}};
}

int run_gallery_split(const GallerySplitArgs& a) {
  fpm::SplitOptions o;
  o.shards = a.shards;
  o.weights = a.weights;
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<std::string> files = fpm::split_gallery(a.file, a.out, o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : files) {
    nlohmann::json j = shard_json(fpm::read_shard_info(f));
    j["file"] = f;
    list.push_back(j);
  }
  if (a.json) {
    print_json({{"gallery", a.file}, {"out", a.out}, {"seconds", secs}, {"shards", list}});
    return kOk;
  }
  std::printf("%s: %zu shard(s) in %s (split %s), %.3f s\n", a.file.c_str(), files.size(), a.out.c_str(),
              list[0]["split_id"].get<std::string>().c_str(), secs);
  for (const auto& j : list)
    std::printf("  %s: %zu templates, %zu subjects (weight %g)\n", j["file"].get<std::string>().c_str(),
                j["entries"].get<std::size_t>(), j["subjects"].get<std::size_t>(), j["weight"].get<double>());
  return kOk;
}

const char* temporary_reason(fpm::GalleryTemporaryFile::State s) {
  switch (s) {
    case fpm::GalleryTemporaryFile::State::Stale: return "stale";
    case fpm::GalleryTemporaryFile::State::InUse: return "in use";
    case fpm::GalleryTemporaryFile::State::OtherHost: return "other host";
    case fpm::GalleryTemporaryFile::State::Unrecognised: break;
  }
  return "unrecognised";
}

int run_gallery_info(const GalleryInfoArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  const fpm::Gallery g = load_gallery(a.file);
  const std::unique_ptr<fpm::ShardInfo> shard = shard_info_of(a.file);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  struct stat st;
  ::stat(a.file.c_str(), &st);
  const fpm::GalleryMemory m = g.memory();
  const double file_bytes = static_cast<double>(st.st_size);
  std::vector<fpm::GalleryTemporaryFile> stale, other;
  for (auto& t : fpm::Gallery::temporary_files(a.file))
    (t.state == fpm::GalleryTemporaryFile::State::Stale ? stale : other).push_back(std::move(t));
  if (a.json) {
    nlohmann::json stale_json = nlohmann::json::array(), other_json = nlohmann::json::array();
    for (const auto& t : stale) stale_json.push_back({{"file", t.path}, {"bytes", t.bytes}});
    for (const auto& t : other)
      other_json.push_back({{"file", t.path}, {"bytes", t.bytes}, {"reason", temporary_reason(t.state)}});
    nlohmann::json j = {{"file", a.file},
                        {"entries", g.size()},
                        {"live_entries", g.live_size()},
                        {"subjects", g.subjects()},
                        {"cylinders", m.cylinders},
                        {"memory_bytes", m.bytes},
                        {"bytes_per_template", m.bytes_per_entry},
                        {"file_bytes", st.st_size},
                        {"file_bytes_per_template", g.live_size() ? file_bytes / g.live_size() : 0.0},
                        {"checksums", "verified"},
                        {"format_version", fpm::Gallery::layout().file_format_version},
                        {"cylinder_layout", {{"ns", fpm::Gallery::layout().spatial_cells},
                                             {"nd", fpm::Gallery::layout().directional_layers},
                                             {"bytes_per_cylinder", fpm::Gallery::layout().bytes_per_cylinder},
                                             {"max_cylinders", fpm::Gallery::layout().max_cylinders}}},
                        {"first_stage", {{"code_version", fpm::Gallery::layout().first_stage_code_version},
                                         {"bytes_per_template", fpm::Gallery::layout().first_stage_code_bytes},
                                         {"memory_bytes", m.first_stage_bytes},
                                         {"computed_on_load", !g.load_note().empty()}}},
                        {"load_seconds", secs},
                        {"load_gb_per_second", file_bytes / secs / 1e9},
                        {"stale_temporary_files", stale_json},
                        {"other_temporary_files", other_json}};
    j["shard"] = shard ? shard_json(*shard) : nlohmann::json();
    print_json(j);  // (file names need not be UTF-8)
    return kOk;
  }
  std::printf("%s\n  templates %zu (%zu removed), subjects %zu, cylinders %zu (%.1f per template)\n"
              "  memory %.1f MB (%.0f bytes per template), file %.1f MB\n"
              "  format version %u, cylinders %dx%dx%d (%d bytes), at most %d per template\n"
              "  first-stage codes: version %u, %d bytes per template, %.1f MB%s\n"
              "  header and section checksums verified; loaded in %.3f s (%.2f GB/s)\n",
              a.file.c_str(), g.live_size(), g.size() - g.live_size(), g.subjects(), m.cylinders,
              g.live_size() ? static_cast<double>(m.cylinders) / g.live_size() : 0.0, m.bytes / 1e6, m.bytes_per_entry,
              file_bytes / 1e6, fpm::Gallery::layout().file_format_version, fpm::Gallery::layout().spatial_cells,
              fpm::Gallery::layout().spatial_cells, fpm::Gallery::layout().directional_layers,
              fpm::Gallery::layout().bytes_per_cylinder, fpm::Gallery::layout().max_cylinders,
              fpm::Gallery::layout().first_stage_code_version, fpm::Gallery::layout().first_stage_code_bytes,
              static_cast<double>(m.first_stage_bytes) / 1e6, g.load_note().empty() ? "" : " (computed on load)", secs,
              file_bytes / secs / 1e9);
  if (shard)
    std::printf("  shard %u of %u of split %s (weight %g): %zu of the source's %llu templates and %zu of its %llu "
                "subjects; source header CRC %08x\n",
                shard->shard, shard->shards, shard->split_id.c_str(), shard->weight, shard->global_index.size(),
                static_cast<unsigned long long>(shard->source_live), shard->subject_rank.size(),
                static_cast<unsigned long long>(shard->source_subjects), shard->source_crc);
  if (!stale.empty()) {
    std::printf("  %zu stale temporary file(s) of saves that were killed (the next save removes them):\n", stale.size());
    for (const auto& t : stale) std::printf("    %s (%.1f MB)\n", t.path.c_str(), static_cast<double>(t.bytes) / 1e6);
  }
  if (!other.empty()) {
    std::printf("  %zu other temporary file(s), left alone (a save in progress, another host, or unrecognised):\n",
                other.size());
    for (const auto& t : other)
      std::printf("    %s (%.1f MB, %s)\n", t.path.c_str(), static_cast<double>(t.bytes) / 1e6, temporary_reason(t.state));
  }
  return kOk;
}

}  // namespace

void add_gallery(CLI::App& app, std::function<int()>* action) {
  CLI::App* cmd = app.add_subcommand("gallery", "Gallery file tools");
  cmd->require_subcommand(1);
  auto [info, args] = subcommand<GalleryInfoArgs>(*cmd, "info", "Counts, memory, parameters; verifies every checksum",
                                                  action, run_gallery_info);
  add_existing(info, "file", args->file, "Gallery file");
  info->add_flag("--json", args->json, "Print a JSON object");
  auto [split, sargs] = subcommand<GallerySplitArgs>(
      *cmd, "split", "Split a gallery into shards of whole subjects, for fpmatch-mpi (docs/scale-out.md)", action,
      run_gallery_split);
  add_existing(split, "file", sargs->file, "Gallery file");
  split->add_option("--shards", sargs->shards, "Number of shards (one per MPI rank)")->required()->check(CLI::Range(1, 4096));
  split->add_option("--weights", sargs->weights,
                    "Relative share of each shard, e.g. 2,1,1 (default: equal); say, in proportion to device memory")
      ->delimiter(',');
  split->add_option("--out", sargs->out, "Folder for the shards (created if missing)")->required();
  split->add_flag("--json", sargs->json, "Print a JSON object");
}

}  // namespace cli
