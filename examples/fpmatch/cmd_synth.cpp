// fpmatch synth: a synthetic gallery and probes with known answers.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <random>

#include "commands.hpp"
#include "progress.hpp"

namespace cli {

namespace {

struct SynthArgs {
  std::size_t subjects = 1000;
  int fingers = 1;
  std::size_t probes = 100;
  std::uint64_t seed = 1;
  std::string out;
  int threads = 0;
  bool quiet = false;
};

std::string subject_id(std::size_t s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "s%07zu", s + 1);
  return buf;
}

void make_dir(const std::string& d) {
  if (::mkdir(d.c_str(), 0777) != 0 && errno != EEXIST)
    throw fpm::Error(fpm::ErrorCode::Io, "cannot create folder '" + d + "'");
}

int run_synth(const SynthArgs& a) {
  if (a.fingers < 1 || a.fingers > 10) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--fingers must be 1-10");
  if (a.subjects == 0) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--subjects must be at least 1");
  fpm::SynthOptions so;
  so.seed = a.seed;
  const fpm::SyntheticFingers sf(so);
  make_dir(a.out);
  make_dir(a.out + "/probes");

  // Gallery: impression 0 of every finger, made and encoded in chunks.
  const std::size_t total = a.subjects * static_cast<std::size_t>(a.fingers);
  fpm::Gallery gallery;
  gallery.reserve(total, total * 42);
  Progress bar("enrolling", a.quiet);
  const std::size_t chunk = 8192;
  for (std::size_t start = 0; start < total; start += chunk) {
    const std::size_t end = std::min(total, start + chunk);
    std::vector<fpm::Template> ts;
    ts.reserve(end - start);
    for (std::size_t i = start; i < end; ++i)
      ts.push_back(sf.impression(i / a.fingers, static_cast<int>(i % a.fingers) + 1, 0));
    const auto enc = fpm::encode_cylinders_all(ts, {}, a.threads);
    for (std::size_t i = start; i < end; ++i)
      gallery.add(subject_id(i / a.fingers), static_cast<std::uint8_t>(i % a.fingers + 1), enc[i - start]);
    bar(end, total);
  }
  bar.finish();
  Progress save_bar("saving", a.quiet);
  gallery.save(a.out + "/gallery.fpg", [&](std::size_t d, std::size_t t) { save_bar(d, t); });
  save_bar.finish();

  // Probes: other impressions of enrolled fingers, as ISO records.
  std::string truth = "probe,subject,position\n";
  // mt19937_64's output is fixed by the standard (its distributions are not).
  std::mt19937_64 pick(a.seed ^ 0x5eed5eed5eedull);
  auto uniform = [&pick] { return static_cast<double>(pick() >> 11) * (1.0 / 9007199254740992.0); };
  char name[64];
  for (std::size_t p = 0; p < a.probes; ++p) {
    const std::size_t s = static_cast<std::size_t>(uniform() * static_cast<double>(a.subjects));
    const int f = 1 + static_cast<int>(uniform() * a.fingers);
    const fpm::Template t = sf.impression(s, f, 1 + p);
    std::snprintf(name, sizeof name, "probe_%06zu.ist", p + 1);
    const auto bytes = fpm::encode({t}, fpm::Format::Iso19794_2_2005);
    fpm::write_file_atomic(a.out + "/probes/" + name, bytes.data(), bytes.size());
    truth += std::string(name) + "," + subject_id(s) + "," + std::to_string(f) + "\n";
  }
  fpm::write_file_atomic(a.out + "/truth.csv", reinterpret_cast<const std::uint8_t*>(truth.data()), truth.size());
  const fpm::GalleryMemory m = gallery.memory();
  std::printf("%s/gallery.fpg: %zu subjects, %zu templates, %zu cylinders, %.0f bytes per template\n"
              "%s/probes: %zu probes; answers in %s/truth.csv\n",
              a.out.c_str(), a.subjects, m.entries, m.cylinders, m.bytes_per_entry, a.out.c_str(), a.probes,
              a.out.c_str());
  return kOk;
}

}  // namespace

void add_synth(CLI::App& app, std::function<int()>* action) {
  auto [cmd, args] = subcommand<SynthArgs>(app, "synth", "Write a synthetic gallery, probes of enrolled fingers, and the answers", action, run_synth);
  cmd->add_option("--subjects", args->subjects, "Subjects in the gallery")->capture_default_str();
  cmd->add_option("--fingers", args->fingers, "Fingers per subject (1-10, positions 1..F)")->capture_default_str();
  cmd->add_option("--probes", args->probes, "Probe records to write")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed (same seed, same data)")->capture_default_str();
  cmd->add_option("--out", args->out, "Output folder")->required();
  cmd->add_option("--threads", args->threads, "Threads for encoding (default: all cores)")->check(CLI::Range(0, fpm::kMaxEngineThreads));
  cmd->add_flag("--quiet", args->quiet, "No progress bar");
}

}  // namespace cli
