// evaluate_folders: all-pairs error rates on labelled folders, with folders
// that hold the same fingers linked (fpmatch/evaluation.hpp states the rules).
#include <algorithm>

#include "cpu/cpu_search.hpp"
#include "cpu/thread_pool.hpp"
#include "eval/labelled_folders.hpp"
#include "fpmatch/engine.hpp"
#include "fpmatch/error.hpp"
#include "fpmatch/evaluation.hpp"
#include "fpmatch/matcher.hpp"

namespace fpm {

namespace {

// Error rates over the kept pairs; `same_image_as_genuine` scores the
// same-image pairs as the genuine side (CrossEvaluation::same_image).
template <class Keep>
ErrorRates rates_of(const Evaluation& ev, const std::string& what, bool same_image_as_genuine, Keep&& keep) {
  std::vector<float> genuine, impostor;
  for (const PairScore& p : ev.pairs) {
    if (!keep(p)) continue;
    if (p.impostor())
      impostor.push_back(p.score);
    else if (p.same_image == same_image_as_genuine)
      genuine.push_back(p.score);
  }
  if (genuine.empty() || impostor.empty())
    throw Error(ErrorCode::InvalidArgument, what + " yields " + std::to_string(genuine.size()) +
                                                (same_image_as_genuine ? " same-image and " : " genuine and ") +
                                                std::to_string(impostor.size()) + " impostor pairs; both are needed");
  return error_rates(genuine, impostor);
}

}  // namespace

Evaluation evaluate_folders(const std::vector<std::string>& dirs, const DecodeOptions& options,
                            const EvaluationOptions& eo) {
  if (dirs.empty()) throw Error(ErrorCode::InvalidArgument, "evaluate: no folders given");
  const std::vector<std::size_t> groups = detail::same_finger_groups("evaluate", eo.same_fingers, dirs.size());
  detail::LabelledTemplates lt = detail::read_labelled_folders(dirs, options, groups);
  Evaluation ev;
  ev.files = std::move(lt.files);
  ev.fingers = std::move(lt.fingers);
  ev.folder = std::move(lt.folder);
  const std::vector<EncodedTemplate>& encoded = lt.encoded;
  const std::size_t n = encoded.size();
  for (std::uint32_t a = 0; a < n; ++a)
    for (std::uint32_t b = a + 1; b < n; ++b) {
      const bool same_finger = ev.fingers[a] == ev.fingers[b];
      // Within a folder names are unique, so one impression in two folders
      // is the same image extracted twice.
      const bool same_image = same_finger && lt.impressions[a] == lt.impressions[b];
      ev.pairs.push_back({a, b, same_finger && !same_image, 0.0f, same_image});
      ev.same_image_pairs += same_image;
    }

  const unsigned workers = detail::evaluation_workers("evaluate", eo.threads, ev.pairs.size(), 64);
  // Chunks of 256 pairs; threads the system cannot start are done without.
  detail::ThreadPool pool(workers - 1, detail::ThreadPool::OnStartFailure::DoWithout);
  pool.parallel_for((ev.pairs.size() + 255) / 256, [&](std::size_t chunk) {
    Matcher& m = detail::thread_matcher(best_simd_level());
    const std::size_t start = chunk * 256, end = std::min(start + 256, ev.pairs.size());
    for (std::size_t p = start; p < end; ++p) ev.pairs[p].score = m.match(encoded[ev.pairs[p].a], encoded[ev.pairs[p].b]);
  });

  for (std::size_t f = 0; f < dirs.size(); ++f)
    ev.folder_rates.push_back(rates_of(ev, "'" + dirs[f] + "'", false, [&](const PairScore& p) {
      return ev.folder[p.a] == f && ev.folder[p.b] == f;
    }));
  for (const auto& [fa, fb] : eo.same_fingers) {
    auto across = [&, fa = fa, fb = fb](const PairScore& p) {
      return (ev.folder[p.a] == fa && ev.folder[p.b] == fb) || (ev.folder[p.a] == fb && ev.folder[p.b] == fa);
    };
    const std::string what = "the pairs between '" + dirs[fa] + "' and '" + dirs[fb] + "'";
    CrossEvaluation c;
    c.folder_a = fa;
    c.folder_b = fb;
    c.rates = rates_of(ev, what, false, across);
    c.same_image = rates_of(ev, what, true, across);
    ev.cross.push_back(c);
  }
  ev.rates = dirs.size() == 1 ? ev.folder_rates.front()
                              : rates_of(ev, "the folders", false, [](const PairScore&) { return true; });
  return ev;
}

}  // namespace fpm
