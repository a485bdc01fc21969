// Galleries of enrolled templates and the 1:N search engine.
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "bindings.hpp"
#include "fpmatch/engine.hpp"
#include "fpmatch/identification.hpp"
#include "fpmatch/error.hpp"

namespace fpy {

namespace {

std::uint8_t position_code(int position) {
  if (position < 0 || position > 10)
    throw fpm::Error(fpm::ErrorCode::InvalidArgument,
                     "finger position must be in [0, 10], got " + std::to_string(position));
  return static_cast<std::uint8_t>(position);
}

fpm::SimdLevel simd_level(const std::string& name) {
  if (name == "auto") return fpm::SimdLevel::Auto;
  if (name == "scalar") return fpm::SimdLevel::Scalar;
  if (name == "avx2") return fpm::SimdLevel::Avx2;
  if (name == "avx512") return fpm::SimdLevel::Avx512;
  throw fpm::Error(fpm::ErrorCode::InvalidArgument,
                   "simd must be 'auto', 'scalar', 'avx2' or 'avx512', got '" + name + "'");
}

fpm::EngineOptions engine_options(const std::string& backend, int threads, const std::string& simd,
                                  const std::vector<int>& devices) {
  fpm::EngineOptions o;
  o.backend = fpm::parse_backend_name(backend);
  o.threads = threads;
  o.simd = simd_level(simd);
  o.devices = devices;
  return o;
}

fpm::SearchOptions search_options(long long top_k, float min_score, long long shortlist, double fraction) {
  if (top_k <= 0) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "top_k must be at least 1");
  if (shortlist < 0) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "shortlist must not be negative");
  fpm::SearchOptions o;
  o.top_k = static_cast<std::size_t>(top_k);
  o.min_score = min_score;  // NaN is refused by the engine
  o.shortlist = static_cast<std::size_t>(shortlist);
  o.shortlist_fraction = fraction;
  return o;
}

nb::dict gallery_info(const fpm::Gallery& g) {
  const fpm::GalleryMemory mem = g.memory();
  nb::dict d;
  d["entries"] = g.size();
  d["live_entries"] = g.live_size();
  d["removed_entries"] = g.size() - g.live_size();
  d["subjects"] = g.subjects();
  d["cylinders"] = mem.cylinders;
  d["bytes"] = mem.bytes;
  d["bytes_per_entry"] = mem.bytes_per_entry;
  d["first_stage_bytes"] = mem.first_stage_bytes;
  d["file_format_version"] = fpm::Gallery::layout().file_format_version;
  return d;
}

// One probe (a Template) or a sequence of them; `single` says which.
std::vector<fpm::EncodedTemplate> probes_of(nb::handle probes, bool* single) {
  *single = nb::isinstance<fpm::EncodedTemplate>(probes);
  return encoded_list(probes, "search");
}

// A multi-finger probe: a sequence of Templates (positions from the
// templates) or of (Template, position) pairs.
std::vector<fpm::FingerProbe> finger_probe(nb::handle fingers) {
  std::vector<fpm::FingerProbe> out;
  for (nb::handle f : nb::iter(fingers)) {
    fpm::FingerProbe p;
    if (nb::isinstance<fpm::EncodedTemplate>(f)) {
      p.t = nb::cast<const fpm::EncodedTemplate&>(f);
      p.position = p.t.info().position == fpm::FingerPosition::Unknown
                       ? 0
                       : static_cast<std::uint8_t>(p.t.info().position);
    } else {
      nb::tuple pair = nb::cast<nb::tuple>(f);
      if (pair.size() != 2) throw nb::type_error("search_subjects: a finger is a Template or (Template, position)");
      p.t = nb::cast<const fpm::EncodedTemplate&>(pair[0]);
      p.position = position_code(nb::cast<int>(pair[1]));
    }
    out.push_back(std::move(p));
  }
  return out;
}

void bind_gallery(nb::module_& m) {
  nb::class_<fpm::GalleryEntryInfo>(m, "GalleryEntry")
      .def_ro("subject", &fpm::GalleryEntryInfo::subject)
      .def_prop_ro("position", [](const fpm::GalleryEntryInfo& e) { return static_cast<int>(e.position); })
      .def_ro("cylinders", &fpm::GalleryEntryInfo::cylinders)
      .def_ro("removed", &fpm::GalleryEntryInfo::removed)
      .def("__repr__", [](const fpm::GalleryEntryInfo& e) {
        return "<fpmatch.GalleryEntry " + e.subject + " position " + std::to_string(e.position) +
               (e.removed ? " removed>" : ">");
      });

  nb::class_<fpm::Gallery>(m, "Gallery", "Enrolled templates: (subject, finger position, template) entries.")
      .def(nb::init<>())
      .def("__copy__", [](const fpm::Gallery& g) { return fpm::Gallery(g); })
      .def(
          "add",
          [](fpm::Gallery& g, const std::string& subject, const fpm::EncodedTemplate& t, int position) {
            return g.add(subject, position_code(position), t);
          },
          nb::arg("subject"), nb::arg("template"), nb::arg("position") = 0,
          "Adds an entry; returns its index.")
      .def(
          "add",
          [](fpm::Gallery& g, const std::string& subject, const fpm::Template& v) { return g.add(subject, v); },
          nb::arg("subject"), nb::arg("view"), "Encodes a view and adds it with its own finger position.")
      .def("remove", &fpm::Gallery::remove, nb::arg("index"))
      .def("remove_subject", &fpm::Gallery::remove_subject, nb::arg("subject"))
      .def("compact", &fpm::Gallery::compact)
      .def("reserve", &fpm::Gallery::reserve, nb::arg("entries"), nb::arg("cylinders"))
      .def("__len__", &fpm::Gallery::size)
      .def_prop_ro("live_size", &fpm::Gallery::live_size)
      .def_prop_ro("subjects", &fpm::Gallery::subjects)
      .def("entry", &fpm::Gallery::entry, nb::arg("index"))
      .def("template", &fpm::Gallery::encoded, nb::arg("index"), "A copy of an entry's template (e.g. as a probe).")
      .def("info", &gallery_info)
      .def(
          "save",
          [](const fpm::Gallery& g, const std::string& path) {
            nb::gil_scoped_release release;
            g.save(path);
          },
          nb::arg("path"))
      .def_static(
          "load",
          [](const std::string& path) {
            nb::gil_scoped_release release;
            return fpm::Gallery::load(path);
          },
          nb::arg("path"))
      .def_prop_ro("load_note", &fpm::Gallery::load_note)
      .def("__repr__", [](const fpm::Gallery& g) {
        return "<fpmatch.Gallery " + std::to_string(g.live_size()) + " entries, " + std::to_string(g.subjects()) +
               " subjects>";
      });
}

void bind_engine(nb::module_& m) {
  nb::class_<fpm::Candidate>(m, "Candidate")
      .def_ro("index", &fpm::Candidate::index)
      .def_ro("subject", &fpm::Candidate::subject)
      .def_prop_ro("position", [](const fpm::Candidate& c) { return static_cast<int>(c.position); })
      .def_ro("score", &fpm::Candidate::score)
      .def("__repr__", [](const fpm::Candidate& c) {
        return "<fpmatch.Candidate " + c.subject + " position " + std::to_string(c.position) + " entry " +
               std::to_string(c.index) + " score " + std::to_string(c.score) + ">";
      });
  nb::class_<fpm::SubjectCandidate>(m, "SubjectCandidate")
      .def_ro("subject", &fpm::SubjectCandidate::subject)
      .def_ro("score", &fpm::SubjectCandidate::score)
      .def_ro("finger_scores", &fpm::SubjectCandidate::finger_scores)
      .def_prop_ro("finger_entries",
                   [](const fpm::SubjectCandidate& c) {
                     std::vector<long long> e;
                     for (std::size_t i : c.finger_entries)
                       e.push_back(i == std::numeric_limits<std::size_t>::max() ? -1 : static_cast<long long>(i));
                     return e;
                   })
      .def("__repr__", [](const fpm::SubjectCandidate& c) {
        return "<fpmatch.SubjectCandidate " + c.subject + " score " + std::to_string(c.score) + ">";
      });

  nb::class_<fpm::Engine>(m, "Engine", "1:N search over a gallery; searches may run from several threads at once.")
      .def(
          "__init__",
          [](fpm::Engine* self, const fpm::Gallery& g, const std::string& backend, int threads,
             const std::string& simd, const std::vector<int>& devices) {
            const fpm::EngineOptions o = engine_options(backend, threads, simd, devices);
            fpm::Gallery copy(g);
            nb::gil_scoped_release release;
            new (self) fpm::Engine(std::move(copy), o);
          },
          nb::arg("gallery"), nb::kw_only(), nb::arg("backend") = "auto", nb::arg("threads") = 0,
          nb::arg("simd") = "auto", nb::arg("devices") = std::vector<int>{},
          "An engine over a copy of `gallery` (Engine.load avoids the copy).")
      .def_static(
          "load",
          [](const std::string& path, const std::string& backend, int threads, const std::string& simd,
             const std::vector<int>& devices) {
            const fpm::EngineOptions o = engine_options(backend, threads, simd, devices);
            nb::gil_scoped_release release;
            return new fpm::Engine(fpm::Gallery::load(path), o);
          },
          nb::arg("path"), nb::kw_only(), nb::arg("backend") = "auto", nb::arg("threads") = 0,
          nb::arg("simd") = "auto", nb::arg("devices") = std::vector<int>{}, nb::rv_policy::take_ownership,
          "An engine over a gallery file, loaded straight into it.")
      .def_prop_ro("backend", [](const fpm::Engine& e) { return std::string(fpm::backend_name(e.backend())); })
      .def_prop_ro("fallback_reason", &fpm::Engine::fallback_reason)
      .def_prop_ro("threads", &fpm::Engine::threads)
      .def_prop_ro("comparisons", &fpm::Engine::comparisons)
      .def("info",
           [](const fpm::Engine& e) {
             nb::dict d;
             e.with_gallery([&](const fpm::Gallery& g) { d = gallery_info(g); });
             return d;
           })
      .def(
          "search",
          [](const fpm::Engine& e, nb::handle probes, long long top_k, float min_score, long long shortlist,
             double fraction) -> nb::object {
            bool single = false;
            const std::vector<fpm::EncodedTemplate> ps = probes_of(probes, &single);
            const fpm::SearchOptions o = search_options(top_k, min_score, shortlist, fraction);
            std::vector<std::vector<fpm::Candidate>> r;
            {
              nb::gil_scoped_release release;
              r = e.search(ps, o);
            }
            if (single) return nb::cast(std::move(r.at(0)));
            return nb::cast(std::move(r));
          },
          nb::arg("probes"), nb::kw_only(), nb::arg("top_k") = 10, nb::arg("min_score") = 0.0f,
          nb::arg("shortlist") = 0, nb::arg("shortlist_fraction") = 0.0,
          "Per-template search; the GIL is released.")
      .def(
          "search_arrays",
          [](const fpm::Engine& e, nb::handle probes, long long top_k, float min_score, long long shortlist,
             double fraction) {
            bool single = false;
            const std::vector<fpm::EncodedTemplate> ps = probes_of(probes, &single);
            const fpm::SearchOptions o = search_options(top_k, min_score, shortlist, fraction);
            // Columns: top_k, or the live entries when fewer (no search returns
            // more, and a huge top_k must not allocate a huge array).
            std::size_t live = 0;
            e.with_gallery([&](const fpm::Gallery& g) { live = g.live_size(); });
            const std::size_t k = std::min(o.top_k, live);
            std::vector<std::int64_t> idx(ps.size() * k, -1);
            std::vector<float> score(ps.size() * k, std::nanf(""));
            {
              nb::gil_scoped_release release;
              const std::vector<std::vector<fpm::Candidate>> r = e.search(ps, o);
              for (std::size_t p = 0; p < r.size(); ++p)
                for (std::size_t c = 0; c < r[p].size() && c < k; ++c) {
                  idx[p * k + c] = static_cast<std::int64_t>(r[p][c].index);
                  score[p * k + c] = r[p][c].score;
                }
            }
            const std::size_t rows = ps.size();
            return nb::make_tuple(int64_matrix(std::move(idx), rows, k), float_matrix(std::move(score), rows, k));
          },
          nb::arg("probes"), nb::kw_only(), nb::arg("top_k") = 10, nb::arg("min_score") = 0.0f,
          nb::arg("shortlist") = 0, nb::arg("shortlist_fraction") = 0.0,
          "Search answered as (indices int64 [probes, min(top_k, live entries)] padded with -1, scores float32 padded with NaN).")
      .def(
          "search_subjects",
          [](const fpm::Engine& e, nb::handle probes, long long top_k, float min_score, long long shortlist,
             double fraction) {
            std::vector<std::vector<fpm::FingerProbe>> ps;
            for (nb::handle p : nb::iter(probes)) ps.push_back(finger_probe(p));
            const fpm::SearchOptions o = search_options(top_k, min_score, shortlist, fraction);
            std::vector<std::vector<fpm::SubjectCandidate>> r;
            {
              nb::gil_scoped_release release;
              r = e.search_subjects(ps, o);
            }
            return r;
          },
          nb::arg("probes"), nb::kw_only(), nb::arg("top_k") = 10, nb::arg("min_score") = 0.0f,
          nb::arg("shortlist") = 0, nb::arg("shortlist_fraction") = 0.0,
          "Per-subject search of multi-finger probes; the GIL is released.")
      .def(
          "search_subjects_at_fpir",
          [](const fpm::Engine& e, nb::handle probes, double fpir, long long top_k, float min_score,
             long long shortlist, double fraction) {
            std::vector<std::vector<fpm::FingerProbe>> ps;
            for (nb::handle p : nb::iter(probes)) ps.push_back(finger_probe(p));
            const fpm::SearchOptions o = search_options(top_k, min_score, shortlist, fraction);
            std::vector<std::pair<std::vector<fpm::SubjectCandidate>, fpm::IdentificationDecision>> out;
            {
              nb::gil_scoped_release release;
              std::vector<std::vector<fpm::SubjectCandidate>> r = e.search_subjects(ps, o);
              std::vector<fpm::IdentificationDecision> d = fpm::decide_subjects_at_fpir(e, ps, r, fpir);
              for (std::size_t i = 0; i < r.size(); ++i) out.emplace_back(std::move(r[i]), std::move(d[i]));
            }
            return out;
          },
          nb::arg("probes"), nb::arg("fpir"), nb::kw_only(), nb::arg("top_k") = 10, nb::arg("min_score") = 0.0f,
          nb::arg("shortlist") = 0, nb::arg("shortlist_fraction") = 0.0,
          "Per-subject search with a hit / no-hit decision per probe at a target FPIR: a list of "
          "(candidates, IdentificationDecision); the GIL is released.")
      .def(
          "add",
          [](fpm::Engine& e, const std::string& subject, const fpm::EncodedTemplate& t, int position) {
            const std::uint8_t pos = position_code(position);
            nb::gil_scoped_release release;
            return e.add(subject, pos, t);
          },
          nb::arg("subject"), nb::arg("template"), nb::arg("position") = 0)
      .def(
          "remove",
          [](fpm::Engine& e, std::size_t index) {
            nb::gil_scoped_release release;
            e.remove(index);
          },
          nb::arg("index"))
      .def(
          "remove_subject",
          [](fpm::Engine& e, const std::string& subject) {
            nb::gil_scoped_release release;
            return e.remove_subject(subject);
          },
          nb::arg("subject"))
      .def("__repr__", [](const fpm::Engine& e) {
        return std::string("<fpmatch.Engine ") + fpm::backend_name(e.backend()) + ", " + std::to_string(e.threads()) +
               " threads>";
      });
}

}  // namespace

void bind_gallery_engine(nb::module_& m) {
  bind_gallery(m);
  bind_engine(m);
}

}  // namespace fpy
