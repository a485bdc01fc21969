#include <algorithm>

#include "cpu/cpu_search.hpp"
#include "cpu/thread_pool.hpp"
#include "eval/labelled_folders.hpp"
#include "fpmatch/engine.hpp"
#include "fpmatch/error.hpp"
#include "fpmatch/evaluation.hpp"
#include "fpmatch/matcher.hpp"

namespace fpm {

Evaluation evaluate_folders(const std::vector<std::string>& dirs, const DecodeOptions& options, int threads) {
  if (dirs.empty()) throw Error(ErrorCode::InvalidArgument, "evaluate: no folders given");
  detail::LabelledTemplates lt = detail::read_labelled_folders(dirs, options);
  Evaluation ev;
  ev.files = std::move(lt.files);
  ev.fingers = std::move(lt.fingers);
  ev.folder = std::move(lt.folder);
  const std::vector<EncodedTemplate>& encoded = lt.encoded;
  const std::size_t n = encoded.size();
  for (std::uint32_t a = 0; a < n; ++a)
    for (std::uint32_t b = a + 1; b < n; ++b) ev.pairs.push_back({a, b, ev.fingers[a] == ev.fingers[b], 0.0f});

  const unsigned workers = detail::evaluation_workers("evaluate", threads, ev.pairs.size(), 64);
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
