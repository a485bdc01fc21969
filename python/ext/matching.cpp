// Templates in the cylinder form (fpm::EncodedTemplate) and comparisons:
// one pair, one probe against many, and every pair of two lists.
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <string>
#include <thread>

#include "bindings.hpp"
#include "fpmatch/engine.hpp"
#include "fpmatch/error.hpp"

namespace fpy {

namespace {

fpm::CylinderOptions cylinder_options(int min_quality, int max_dropped_percent) {
  if (min_quality < 0 || min_quality > 255 || max_dropped_percent < 0 || max_dropped_percent > 100)
    throw fpm::Error(fpm::ErrorCode::InvalidArgument,
                     "min_quality must be in [0, 255] and max_dropped_percent in [0, 100]");
  fpm::CylinderOptions o;
  o.min_quality = static_cast<std::uint8_t>(min_quality);
  o.max_dropped_percent = static_cast<std::uint8_t>(max_dropped_percent);
  return o;
}

int worker_count(int threads, std::size_t work) {
  if (threads < 0 || threads > fpm::kMaxEngineThreads)
    throw fpm::Error(fpm::ErrorCode::InvalidArgument,
                     "threads must be in [0, " + std::to_string(fpm::kMaxEngineThreads) + "]");
  int n = threads ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(n), std::max<std::size_t>(work, 1)));
}

// Rows of `a` against every template of `b`, rows shared out over threads
// (each with its own Matcher: a Matcher is not thread-safe). A row compares
// one probe with many candidates, which a Matcher prepares once.
std::vector<float> all_pairs(const std::vector<fpm::EncodedTemplate>& a, const std::vector<fpm::EncodedTemplate>& b,
                             int threads) {
  std::vector<float> out(a.size() * b.size());
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::atomic<bool> failed{false};
  auto work = [&] {
    try {
      fpm::Matcher matcher;
      for (std::size_t i; (i = next.fetch_add(1)) < a.size() && !failed;)
        for (std::size_t j = 0; j < b.size(); ++j) out[i * b.size() + j] = matcher.match(a[i], b[j]);
    } catch (...) {
      if (!failed.exchange(true)) failure = std::current_exception();
    }
  };
  const int n = worker_count(threads, a.size());
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return out;
}

}  // namespace

void bind_matching(nb::module_& m) {
  nb::class_<fpm::EncodedTemplate>(m, "Template",
                                   "A view encoded for matching (MCC cylinders); immutable, shareable across threads.")
      .def(nb::init<>())
      .def_prop_ro("cylinders", &fpm::EncodedTemplate::cylinders, "Valid cylinders kept (at most 128).")
      .def_prop_ro("source_minutiae", &fpm::EncodedTemplate::source_minutiae)
      .def_prop_ro("nbytes", &fpm::EncodedTemplate::bytes, "Bytes of the encoded layout (236 per cylinder).")
      .def_prop_ro("position", [](const fpm::EncodedTemplate& t) { return static_cast<int>(t.info().position); })
      .def("__repr__", [](const fpm::EncodedTemplate& t) {
        return "<fpmatch.Template " + std::to_string(t.cylinders()) + " cylinders from " +
               std::to_string(t.source_minutiae()) + " minutiae>";
      });

  m.def(
      "_encode_cylinders",
      [](const fpm::Template& v, int min_quality, int max_dropped_percent) {
        const fpm::CylinderOptions o = cylinder_options(min_quality, max_dropped_percent);
        nb::gil_scoped_release release;
        return fpm::encode_cylinders(v, o);
      },
      nb::arg("view"), nb::arg("min_quality"), nb::arg("max_dropped_percent"));
  m.def(
      "_encode_cylinders_all",
      [](const std::vector<fpm::Template>& views, int min_quality, int max_dropped_percent, int threads) {
        const fpm::CylinderOptions o = cylinder_options(min_quality, max_dropped_percent);
        nb::gil_scoped_release release;
        return fpm::encode_cylinders_all(views, o, threads);
      },
      nb::arg("views"), nb::arg("min_quality"), nb::arg("max_dropped_percent"), nb::arg("threads"));

  m.def(
      "match",
      [](const fpm::EncodedTemplate& a, const fpm::EncodedTemplate& b) {
        nb::gil_scoped_release release;
        return fpm::match(a, b);
      },
      nb::arg("a"), nb::arg("b"), "The score of two templates in [0, 1] (as `fpmatch verify`).");
  m.def(
      "match_many",
      [](const fpm::EncodedTemplate& probe, nb::handle templates) {
        const std::vector<fpm::EncodedTemplate> ts = encoded_list(templates, "match_many");
        std::vector<float> out(ts.size());
        {
          nb::gil_scoped_release release;
          fpm::Matcher matcher;
          for (std::size_t i = 0; i < ts.size(); ++i) out[i] = matcher.match(probe, ts[i]);
        }
        return float_array(std::move(out));
      },
      nb::arg("probe"), nb::arg("templates"),
      "Scores of one probe against each template, a float32 array; the GIL is released.");
  m.def(
      "match_all_pairs",
      [](nb::handle a, nb::handle b, int threads) {
        const std::vector<fpm::EncodedTemplate> ta = encoded_list(a, "match_all_pairs");
        const std::vector<fpm::EncodedTemplate> tb = b.is_none() ? ta : encoded_list(b, "match_all_pairs");
        std::vector<float> out;
        {
          nb::gil_scoped_release release;
          out = all_pairs(ta, tb, threads);
        }
        return float_matrix(std::move(out), ta.size(), tb.size());
      },
      nb::arg("a"), nb::arg("b") = nb::none(), nb::kw_only(), nb::arg("threads") = 0,
      "Scores of every template of `a` against every one of `b` (default: `a`), a 2-D float32 array.");
}

}  // namespace fpy
