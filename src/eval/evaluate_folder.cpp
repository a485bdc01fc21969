#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "cpu/cpu_search.hpp"
#include "cpu/thread_pool.hpp"
#include "fpmatch/engine.hpp"
#include "fpmatch/error.hpp"
#include "fpmatch/evaluation.hpp"
#include "fpmatch/matcher.hpp"

namespace fpm {

namespace {

std::vector<std::string> regular_files(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw Error(ErrorCode::Io, "cannot open folder '" + dir + "'");
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n.empty() || n[0] == '.') continue;
    struct stat st;
    if (::stat((dir + "/" + n).c_str(), &st) == 0 && S_ISREG(st.st_mode)) names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string finger_label(const std::string& name) {
  const std::string stem = name.substr(0, name.rfind('.'));
  const std::size_t us = stem.rfind('_');
  if (us == std::string::npos || us == 0)
    throw Error(ErrorCode::InvalidArgument,
                "'" + name + "' is not named FINGER_IMPRESSION.ext (no '_' to split the finger label off)");
  return stem.substr(0, us);
}

}  // namespace

Evaluation evaluate_folders(const std::vector<std::string>& dirs, const DecodeOptions& options, int threads) {
  if (dirs.empty()) throw Error(ErrorCode::InvalidArgument, "evaluate: no folders given");
  Evaluation ev;
  std::vector<EncodedTemplate> encoded;
  for (std::size_t f = 0; f < dirs.size(); ++f) {
    const std::vector<std::string> names = regular_files(dirs[f]);
    if (names.empty()) throw Error(ErrorCode::InvalidArgument, "'" + dirs[f] + "' holds no files");
    for (const std::string& name : names) {
      const std::string label = std::to_string(f) + ":" + finger_label(name);
      const std::string path = dirs[f] + "/" + name;
      DecodedRecord rec = decode_file(path, options);
      ev.files.push_back(path);
      ev.fingers.push_back(label);
      ev.folder.push_back(f);
      encoded.push_back(encode_cylinders(rec.views.front()));
    }
  }
  const std::size_t n = encoded.size();
  for (std::uint32_t a = 0; a < n; ++a)
    for (std::uint32_t b = a + 1; b < n; ++b) ev.pairs.push_back({a, b, ev.fingers[a] == ev.fingers[b], 0.0f});

  if (threads < 0 || threads > kMaxEngineThreads)
    throw Error(ErrorCode::InvalidArgument, "evaluate: threads must be 0 (all cores) to " +
                                                std::to_string(kMaxEngineThreads));
  unsigned workers = threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
  workers = std::min<unsigned>(workers, static_cast<unsigned>(std::max<std::size_t>(1, ev.pairs.size() / 64)));
  // Chunks of 256 pairs; threads the system cannot start are done without.
  detail::ThreadPool pool(workers - 1, detail::ThreadPool::OnStartFailure::DoWithout);
  pool.parallel_for((ev.pairs.size() + 255) / 256, [&](std::size_t chunk) {
    Matcher& m = detail::thread_matcher(best_simd_level());
    const std::size_t start = chunk * 256, end = std::min(start + 256, ev.pairs.size());
    for (std::size_t p = start; p < end; ++p) ev.pairs[p].score = m.match(encoded[ev.pairs[p].a], encoded[ev.pairs[p].b]);
  });

  auto rates_of = [&](const std::string& what, auto&& keep) {
    std::vector<float> genuine, impostor;
    for (const PairScore& p : ev.pairs)
      if (keep(p)) (p.genuine ? genuine : impostor).push_back(p.score);
    if (genuine.empty() || impostor.empty())
      throw Error(ErrorCode::InvalidArgument, what + " yields " + std::to_string(genuine.size()) + " genuine and " +
                                                  std::to_string(impostor.size()) + " impostor pairs; both are needed");
    return error_rates(genuine, impostor);
  };
  for (std::size_t f = 0; f < dirs.size(); ++f)
    ev.folder_rates.push_back(rates_of("'" + dirs[f] + "'", [&](const PairScore& p) {
      return ev.folder[p.a] == f && ev.folder[p.b] == f;
    }));
  ev.rates = dirs.size() == 1 ? ev.folder_rates.front() : rates_of("the folders", [](const PairScore&) { return true; });
  return ev;
}

}  // namespace fpm
