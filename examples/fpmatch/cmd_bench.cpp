// fpmatch bench: a quick 1:N throughput run on a gallery file.
#include <chrono>
#include <map>
#include <new>
#include <string>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace cli {

namespace {

struct BenchArgs {
  std::string gallery;
  EngineFlags engine;
  ShortlistFlag shortlist;
  std::size_t batch = 16;
  double seconds = 3.0;
  std::size_t replicate = 1;
  std::size_t subjects = 0;  // > 0: per-subject search, probes of up to this many fingers
  double fpir = 0;           // > 0 (with subjects): each batch also decided at this FPIR
  bool json = false;
};

// Per-subject probes: the live entries (at most `fingers`) of subjects
// spread over the gallery, each with its position, as a ten-print probe
// of an enrolled subject would be. Also the comparisons an exhaustive
// per-subject search of them makes (each finger against every live entry
// of compatible position), for the effective rate of a two-stage run.
std::vector<std::vector<fpm::FingerProbe>> subject_probes(const fpm::Gallery& g, std::size_t batch,
                                                         std::size_t fingers, std::uint64_t* exhaustive) {
  std::map<std::string, std::vector<std::size_t>> by_subject;
  std::size_t per_position[11] = {0};
  for (std::size_t e = 0; e < g.size(); ++e) {
    const fpm::GalleryEntryInfo info = g.entry(e);
    if (info.removed) continue;
    by_subject[info.subject].push_back(e);
    ++per_position[info.position];
  }
  std::vector<const std::vector<std::size_t>*> subjects;
  for (const auto& [name, entries] : by_subject) subjects.push_back(&entries);
  std::vector<std::vector<fpm::FingerProbe>> probes;
  *exhaustive = 0;
  for (std::size_t i = 0; probes.size() < batch; ++i) {
    const std::vector<std::size_t>& entries = *subjects[(i * 7919) % subjects.size()];
    std::vector<fpm::FingerProbe> probe;
    for (std::size_t k = 0; k < entries.size() && k < fingers; ++k) {
      const std::uint8_t pos = g.entry(entries[k]).position;
      probe.push_back({g.encoded(entries[k]), pos});
      std::size_t compatible = per_position[0];
      for (int q = 1; q <= 10; ++q)
        if (pos == 0 || pos == q) compatible += per_position[q];
      *exhaustive += compatible;
    }
    probes.push_back(std::move(probe));
  }
  return probes;
}

// The gallery's live entries `times` times over, the copies under new
// subject ids ("r<k>/<id>"): a larger gallery for scale runs without a
// larger file. Every comparison is still computed in full.
fpm::Gallery replicated(const fpm::Gallery& g, std::size_t times) {
  const fpm::GalleryMemory m = g.memory();
  const double bytes = static_cast<double>(m.bytes) * static_cast<double>(times);
  if (static_cast<double>(m.cylinders) * static_cast<double>(times) > 1e15)
    throw fpm::Error(fpm::ErrorCode::OutOfMemory, "--replicate " + std::to_string(times) + ": far too large a gallery");
  fpm::Gallery out;
  try {
    out.reserve(m.entries * times, m.cylinders * times);
  } catch (const std::bad_alloc&) {
    char gb[32];
    std::snprintf(gb, sizeof gb, "%.1f", bytes / 1e9);
    throw fpm::Error(fpm::ErrorCode::OutOfMemory, "--replicate " + std::to_string(times) + ": the gallery " +
                                                      std::to_string(times) + " times over needs about " + gb +
                                                      " GB of memory");
  }
  for (std::size_t k = 0; k < times; ++k)
    for (std::size_t e = 0; e < g.size(); ++e) {
      const fpm::GalleryEntryInfo info = g.entry(e);
      if (info.removed) continue;
      out.add(k == 0 ? info.subject : "r" + std::to_string(k) + "/" + info.subject, info.position, g.encoded(e));
    }
  return out;
}

int run_bench(const BenchArgs& a) {
  if (a.batch == 0) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--batch must be at least 1");
  if (a.replicate == 0) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--replicate must be at least 1");
  if (a.fpir != 0 && a.subjects == 0)
    throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--fpir decides per subject: it needs --subjects");
  if (a.fpir != 0 && !(a.fpir > 0 && a.fpir < 1))
    throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--fpir must be in (0, 1)");
  const auto l0 = std::chrono::steady_clock::now();
  fpm::SearchOptions so;
  so.top_k = 10;
  a.shortlist.apply(so);
  fpm::Gallery g = load_gallery(a.gallery);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - l0).count();
  if (a.replicate > 1) g = replicated(g, a.replicate);
  if (g.live_size() == 0) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "the gallery is empty");
  // Probes: entries spread over the gallery (per subject: subjects).
  std::vector<fpm::EncodedTemplate> probes;
  std::vector<std::vector<fpm::FingerProbe>> finger_probes;
  std::uint64_t exhaustive_per_batch = 0;
  if (a.subjects > 0) {
    finger_probes = subject_probes(g, a.batch, a.subjects, &exhaustive_per_batch);
  } else {
    for (std::size_t i = 0; probes.size() < a.batch; ++i) {
      const std::size_t e = (i * 7919) % g.size();
      if (!g.entry(e).removed) probes.push_back(g.encoded(e));
    }
    exhaustive_per_batch = static_cast<std::uint64_t>(g.live_size()) * a.batch;
  }
  const std::size_t templates = g.live_size(), gallery_subjects = g.subjects();
  const fpm::EngineOptions eo = a.engine.options();
  const fpm::RuntimeInfo before = fpm::runtime_info();
  const auto s0 = std::chrono::steady_clock::now();
  fpm::Engine engine(std::move(g), eo);
  const double setup_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
  // Device memory the engine took (gallery and search scratch) and the
  // memory free before, summed over the engine's devices.
  const std::vector<int> devices = eo.devices.empty() ? std::vector<int>{0} : eo.devices;
  std::uint64_t device_bytes = 0, device_free = 0;
  const bool on_device = engine.backend() == fpm::Backend::Cuda;
  if (on_device) {
    const fpm::RuntimeInfo after = fpm::runtime_info();
    for (int d : devices)
      for (std::size_t i = 0; i < before.devices.size() && i < after.devices.size(); ++i)
        if (before.devices[i].index == d) {
          device_free += before.devices[i].free_memory;
          if (before.devices[i].free_memory > after.devices[i].free_memory)
            device_bytes += before.devices[i].free_memory - after.devices[i].free_memory;
        }
  }
  std::size_t hits = 0;  // decided hits, so that the decision is not optimised away
  const auto one_batch = [&] {
    if (a.subjects > 0) {
      const auto res = engine.search_subjects(finger_probes, so);
      if (a.fpir > 0)
        for (const auto& d : fpm::decide_subjects_at_fpir(engine, finger_probes, res, a.fpir)) hits += d.hit;
    } else {
      engine.search(probes, so);
    }
  };
  const auto w0 = std::chrono::steady_clock::now();
  one_batch();  // warm up: caches, thread pool, device
  const double warmup_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  const std::uint64_t c0 = engine.comparisons();
  const auto t0 = std::chrono::steady_clock::now();
  double secs = 0;
  std::size_t batches = 0;
  do {
    one_batch();
    ++batches;
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (secs < a.seconds);
  const std::uint64_t comparisons = engine.comparisons() - c0;
  const double rate = static_cast<double>(comparisons) / secs;
  // The full comparisons an exhaustive search would have made in the same
  // time (entries x probes, per subject entries x compatible probe fingers;
  // equal to the rate without a shortlist).
  const double effective = static_cast<double>(exhaustive_per_batch) * static_cast<double>(batches) / secs;
  const double probes_per_second = static_cast<double>(a.batch) * static_cast<double>(batches) / secs;
  const double batch_s = secs / static_cast<double>(batches);
  // A batch is the unit: the run measures whole batches, at least one after
  // the warm-up, so a batch longer than --seconds makes the run longer.
  const std::string note =
      batch_s > a.seconds ? "note: one batch takes " + std::to_string(batch_s).substr(0, 6) +
                                " s, longer than --seconds; measured " + std::to_string(batches) +
                                " batch(es) after a warm-up batch of " + std::to_string(warmup_s).substr(0, 6) + " s"
                          : "";
  const std::string backend = backend_note(engine);
  if (a.json) {
    nlohmann::json j = {{"comparisons", comparisons},       {"seconds", secs},
                        {"comparisons_per_second", rate},   {"threads", engine.threads()},
                        {"effective_comparisons_per_second", effective},
                        {"shortlist", so.shortlist},        {"shortlist_fraction", so.shortlist_fraction},
                        {"backend", fpm::backend_name(engine.backend())},
                        {"fallback_reason", engine.fallback_reason()}, {"batch", a.batch},
                        {"batches", batches},               {"templates", templates},
                        {"gallery_load_seconds", load_s},   {"replicate", a.replicate},
                        {"engine_setup_seconds", setup_s},
                        {"batch_seconds", batch_s},         {"warmup_seconds", warmup_s},
                        {"probes_per_second", probes_per_second}, {"per_subject", a.subjects > 0},
                        {"probe_fingers", a.subjects},      {"subjects", gallery_subjects},
                        {"fpir", a.fpir},                   {"hits", hits},
                        {"devices", on_device ? devices : std::vector<int>{}}};
    // Device memory figures exist only where a device was used.
    j["device_memory_bytes"] = on_device ? nlohmann::json(device_bytes) : nlohmann::json(nullptr);
    j["device_free_bytes"] = on_device ? nlohmann::json(device_free) : nlohmann::json(nullptr);
    print_note(note);
    print_note(backend);
    print_json(j);
    return kOk;
  }
  if (a.subjects > 0)
    std::printf("per subject: probes of up to %zu fingers against %zu subjects; %.1f probes/s\n", a.subjects,
                gallery_subjects, probes_per_second);
  std::printf("%s backend, %zu threads, batches of %zu probes against %zu templates%s\n"
              "%llu comparisons in %.2f s: %.0f comparisons/s (%.0f per thread); gallery loaded in %.2f s,"
              " engine set up in %.2f s\n",
              fpm::backend_name(engine.backend()), engine.threads(), a.batch, templates,
              a.replicate > 1 ? (" (the gallery " + std::to_string(a.replicate) + " times over)").c_str() : "",
              static_cast<unsigned long long>(comparisons), secs, rate, rate / static_cast<double>(engine.threads()),
              load_s, setup_s);
  if (so.shortlist != 0 || so.shortlist_fraction != 0.0)
    std::printf("two-stage, shortlist %s: %.0f effective comparisons/s (entries x probes answered; %.0f per thread)\n",
                a.shortlist.text.c_str(), effective, effective / static_cast<double>(engine.threads()));
  if (!note.empty()) std::printf("%s\n", note.c_str());
  print_note(backend);
  return kOk;
}

}  // namespace

void add_bench(CLI::App& app, std::function<int()>* action) {
  auto [cmd, args] = subcommand<BenchArgs>(app, "bench", "Measure 1:N search throughput on a gallery file", action, run_bench);
  add_existing(cmd, "--gallery", args->gallery, "Gallery file");
  args->engine.add_to(cmd);
  args->shortlist.add_to(cmd);
  cmd->add_option("--batch", args->batch, "Probes per search batch")->capture_default_str();
  cmd->add_option("--seconds", args->seconds,
                  "How long to measure (whole batches: at least one after a warm-up batch)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--replicate", args->replicate,
                  "Search the gallery's entries this many times over (copies under new subject ids)")
      ->capture_default_str();
  cmd->add_option("--subjects", args->subjects,
                  "Per-subject search: each probe the live entries (at most this many, with their positions) of "
                  "one enrolled subject")
      ->check(CLI::Range(1, 10));
  cmd->add_option("--fpir", args->fpir,
                  "With --subjects: also decide every batch at this FPIR (decide_subjects_at_fpir), to time it");
  cmd->add_flag("--json", args->json, "Print a JSON object");
}

}  // namespace cli
