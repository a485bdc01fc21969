// fpmatch-mpi: a gallery split into shards (fpmatch gallery split), one
// shard per MPI rank, searched as one gallery (docs/scale-out.md).
//
//   mpirun -np N fpmatch-mpi search --shards DIR [--subjects] ... PROBES
//   mpirun -np N fpmatch-mpi serve --shards DIR [engine options]
//
// Every rank parses the same command line; rank 0 alone reads the probe
// files and standard input and prints. The answers are those of `fpmatch
// search` on the unsplit gallery, printed the same way.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "../fpmatch/common.hpp"
#include "../fpmatch/search_output.hpp"
#include "mpi/sharded_search.hpp"

namespace {

using fpm::mpi::Answer;
using fpm::mpi::Request;
using fpm::mpi::ShardedSearch;

struct CommonArgs {
  cli::InputFlags in;
  std::string shards;
  cli::EngineFlags engine;
  bool gpu_per_rank = false;
  int gpus_per_rank = 0;

  // The engine options of this rank: with --gpus-per-rank K (--gpu-per-rank:
  // K = 1), devices l K to l K + K - 1 for the rank of index l among the
  // ranks of its node (MPI-3's shared-memory split groups a node's ranks).
  fpm::EngineOptions engine_options() const {
    fpm::EngineOptions o = engine.options();
    const int k = gpu_per_rank ? 1 : gpus_per_rank;
    if (gpu_per_rank && gpus_per_rank != 0)
      throw fpm::Error(fpm::ErrorCode::InvalidArgument, "give --gpu-per-rank or --gpus-per-rank, not both");
    if (k > 0) {
      if (!engine.devices.empty())
        throw fpm::Error(fpm::ErrorCode::InvalidArgument,
                         std::string(gpu_per_rank ? "--gpu-per-rank" : "--gpus-per-rank") +
                             " chooses the devices: no --devices with it");
      MPI_Comm node;
      MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
      int local = 0;
      MPI_Comm_rank(node, &local);
      MPI_Comm_free(&node);
      o.devices.clear();
      for (int d = 0; d < k; ++d) o.devices.push_back(local * k + d);
    }
    return o;
  }
};

struct SearchArgs {
  std::size_t top = 10;
  bool subjects = false;
  bool json = false;
  float min_score = 0.0f;
  double fpir = 0;
  cli::ShortlistFlag shortlist;
  std::vector<std::string> probes;
};

int g_rank = 0;

// "fpmatch-mpi: error: ..." at rank 0 only; the exit code on every rank.
int fail(const std::exception& e) {
  if (g_rank == 0) std::fprintf(stderr, "fpmatch-mpi: error: %s\n", e.what());
  return cli::exit_code_of(e);
}

void check_fpir(double fpir, bool subjects) {
  if (fpir != 0 && !subjects)
    throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--fpir decides per subject: it needs --subjects");
  if (fpir != 0 && !(fpir > 0 && fpir < 1)) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--fpir must be in (0, 1)");
}

// Rank 0: the probe files read and checked to decode (with the command
// line's decode options), so that a bad probe is answered before any other
// rank is involved.
Request make_request(const std::vector<std::string>& files, bool subjects, const fpm::SearchOptions& so,
                     const fpm::DecodeOptions& opt) {
  if (files.empty()) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "a request without probe files");
  Request r;
  r.subjects = subjects;
  r.options = so;
  for (const std::string& f : files) {
    fpm::mpi::ProbeFile p{f, fpm::read_file(f)};
    try {
      (void)fpm::decode(p.bytes, opt);
    } catch (const fpm::Error& e) {
      throw fpm::Error(e.code(), f + ": " + e.what());
    }
    r.probes.push_back(std::move(p));
  }
  return r;
}

// The answer's probes as `fpmatch search --json` lists them.
nlohmann::json probes_json(const ShardedSearch& s, const Answer& a, bool subjects, double fpir,
                           const std::vector<std::string>& files) {
  nlohmann::json out = nlohmann::json::array();
  if (subjects) {
    for (std::size_t p = 0; p < a.subjects.size(); ++p) {
      const fpm::IdentificationDecision d =
          fpm::decide_at_fpir(a.subjects[p], static_cast<std::size_t>(s.subjects()), fpir > 0 ? fpir : 0.5, a.compared[p]);
      out.push_back(cli::subject_probe_json(files[p], a.fingers[p], a.subjects[p], d, fpir));
    }
  } else {
    for (std::size_t p = 0; p < a.candidates.size(); ++p)
      out.push_back(cli::template_probe_json(a.labels[p], a.views[p], a.candidates[p]));
  }
  return out;
}

nlohmann::json timing_json(const ShardedSearch& s, const Answer& a) {
  return {{"ranks", s.ranks()},
          {"comparisons", a.comparisons},
          {"seconds", a.seconds},
          {"slowest_rank_seconds", a.slowest_rank_seconds},
          {"merge_seconds", a.merge_seconds}};
}

int run_search(const CommonArgs& c, const SearchArgs& a) {
  check_fpir(a.fpir, a.subjects);
  fpm::SearchOptions so;
  so.top_k = a.top;
  so.min_score = a.min_score;
  a.shortlist.apply(so);
  const fpm::DecodeOptions opt = c.in.options();
  ShardedSearch s(MPI_COMM_WORLD, c.shards, c.engine_options(), opt);
  // Rank 0's probe files; a failure there is every rank's (the flag below).
  Request req;
  int code = 0;
  std::string why;
  if (g_rank == 0) {
    try {
      req = make_request(a.probes, a.subjects, so, opt);
    } catch (const std::exception& e) {
      why = e.what();
      code = cli::exit_code_of(e);
    }
  }
  MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (code != 0) {
    if (g_rank == 0) std::fprintf(stderr, "fpmatch-mpi: error: %s\n", why.c_str());
    return code;
  }
  Request got;
  s.next(g_rank == 0 ? &req : nullptr, &got);
  const Answer ans = s.run(got);
  if (g_rank != 0) return cli::kOk;
  const nlohmann::json probes = probes_json(s, ans, a.subjects, a.fpir, a.probes);
  if (a.json) {
    nlohmann::json j = {{"shards", c.shards},
                        {"templates", s.templates()},
                        {"subjects", s.subjects()},
                        {"backends", s.backends()},
                        {"per_subject", a.subjects},
                        {"shortlist", so.shortlist},
                        {"shortlist_fraction", so.shortlist_fraction}};
    j.update(timing_json(s, ans));
    j["probes"] = probes;
    cli::print_json(j);
  } else {
    cli::print_search_text(probes, a.subjects);
  }
  std::fprintf(stderr, "%zu probe(s) against %llu templates on %d rank(s): %llu comparisons in %.3f s\n", probes.size(),
               static_cast<unsigned long long>(s.templates()), s.ranks(),
               static_cast<unsigned long long>(ans.comparisons), ans.seconds);
  return cli::kOk;
}

// One line of standard input as a request (rank 0). Throws InvalidArgument
// for a line that is not a request object.
Request parse_request(const nlohmann::json& j, const fpm::DecodeOptions& opt, bool* subjects, double* fpir,
                      std::vector<std::string>* files) {
  if (!j.is_object()) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "a request is a JSON object");
  for (const auto& [k, v] : j.items())
    if (k != "id" && k != "probes" && k != "subjects" && k != "top" && k != "min_score" && k != "shortlist" && k != "fpir")
      throw fpm::Error(fpm::ErrorCode::InvalidArgument, "unknown request field '" + k + "'");
  if (!j.contains("probes") || !j["probes"].is_array())
    throw fpm::Error(fpm::ErrorCode::InvalidArgument, "a request needs \"probes\": an array of file names");
  files->clear();
  for (const auto& p : j["probes"]) {
    if (!p.is_string()) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "\"probes\" holds file names (strings)");
    files->push_back(p.get<std::string>());
  }
  const auto get = [&](const char* k, auto fallback) {
    using T = decltype(fallback);
    if (!j.contains(k)) return fallback;
    try {
      return j[k].get<T>();
    } catch (const nlohmann::json::exception&) {
      throw fpm::Error(fpm::ErrorCode::InvalidArgument, std::string("request field '") + k + "' has the wrong type");
    }
  };
  *subjects = get("subjects", false);
  *fpir = get("fpir", 0.0);
  check_fpir(*fpir, *subjects);
  fpm::SearchOptions so;
  const long long top = get("top", 10LL);
  if (top < 1) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "\"top\" must be at least 1");
  so.top_k = static_cast<std::size_t>(top);
  so.min_score = get("min_score", 0.0f);
  cli::ShortlistFlag sl{j.contains("shortlist") && j["shortlist"].is_number() ? j["shortlist"].dump()
                                                                              : get("shortlist", std::string())};
  sl.apply(so);
  return make_request(*files, *subjects, so, opt);
}

void print_line(const nlohmann::json& j) {
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n' << std::flush;
}

int run_serve(const CommonArgs& c) {
  const fpm::DecodeOptions opt = c.in.options();
  ShardedSearch s(MPI_COMM_WORLD, c.shards, c.engine_options(), opt);
  if (g_rank != 0) {
    Request req;
    while (s.next(nullptr, &req)) {
      try {
        s.run(req);
      } catch (const fpm::mpi::RankFailure&) {
        // Rank 0 answers the request with the error; go on with the next.
      }
    }
    return cli::kOk;
  }
  std::fprintf(stderr, "fpmatch-mpi: serving %llu templates (%llu subjects) on %d rank(s); one JSON request per line\n",
               static_cast<unsigned long long>(s.templates()), static_cast<unsigned long long>(s.subjects()), s.ranks());
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json id;  // null until the line parses
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      if (j.is_object() && j.contains("id")) id = j["id"];
      bool subjects = false;
      double fpir = 0;
      std::vector<std::string> files;
      const Request req = parse_request(j, opt, &subjects, &fpir, &files);
      Request got;
      s.next(&req, &got);
      const Answer ans = s.run(got);
      nlohmann::json out = {{"id", id}, {"per_subject", subjects}};
      out.update(timing_json(s, ans));
      out["probes"] = probes_json(s, ans, subjects, fpir, files);
      print_line(out);
    } catch (const nlohmann::json::parse_error& e) {
      print_line({{"id", id}, {"error", std::string("not a JSON line: ") + e.what()}, {"exit_code", cli::kUsage}});
    } catch (const std::exception& e) {
      print_line({{"id", id}, {"error", e.what()}, {"exit_code", cli::exit_code_of(e)}});
    }
  }
  s.next(nullptr, nullptr);
  return cli::kOk;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  int rc = cli::kOk;
  {
    CLI::App app{"fpmatch-mpi: a sharded gallery searched over MPI ranks (" FPM_VERSION_STRING ")"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("fpmatch-mpi ") + FPM_VERSION_STRING);
    CommonArgs common;
    SearchArgs search;
    std::function<int()> action;
    const auto add_common = [&](CLI::App* cmd) {
      common.in.add_to(cmd);
      cmd->add_option("--shards", common.shards, "Folder of a split (fpmatch gallery split): one shard per rank")
          ->required()
          ->check(CLI::ExistingDirectory);
      common.engine.add_to(cmd);
      cmd->add_flag("--gpu-per-rank", common.gpu_per_rank,
                    "Each rank searches on the CUDA device numbered by its index among the ranks of its node "
                    "(one rank per GPU)");
      cmd->add_option("--gpus-per-rank", common.gpus_per_rank,
                      "Each rank searches on K CUDA devices: those numbered l*K to l*K+K-1 for the rank of index l "
                      "among the ranks of its node")
          ->check(CLI::Range(1, 64));
    };
    CLI::App* sc = app.add_subcommand("search", "Search probe files against the sharded gallery");
    add_common(sc);
    search.shortlist.add_to(sc);
    sc->add_option("--top", search.top, "Candidates per probe")->capture_default_str();
    sc->add_flag("--subjects", search.subjects, "Per-subject search: each probe file is one probe of several fingers");
    sc->add_option("--min-score", search.min_score, "Leave out candidates below this score");
    sc->add_option("--fpir", search.fpir, "With --subjects: hit or no hit at this FPIR at the gallery's subject count");
    sc->add_flag("--json", search.json, "Print JSON as fpmatch search --json does");
    sc->add_option("probes", search.probes, "Probe template files (read by rank 0)")->required();
    sc->callback([&] { action = [&] { return run_search(common, search); }; });
    CLI::App* sv = app.add_subcommand(
        "serve", "Keep the shards loaded; answer JSON requests from standard input, one per line (docs/scale-out.md)");
    add_common(sv);
    sv->callback([&] { action = [&] { return run_serve(common); }; });
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      // Every rank parsed the same line: rank 0 alone says what is wrong.
      if (g_rank == 0) {
        rc = app.exit(e);
      } else {
        rc = e.get_exit_code();
      }
      if (rc != 0) rc = cli::kUsage;
      action = nullptr;
    }
    if (action) {
      try {
        rc = action();
      } catch (const std::exception& e) {
        rc = fail(e);
      }
    }
  }
  MPI_Finalize();
  return rc;
}
