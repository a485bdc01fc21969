// What scores mean: the shipped calibration (FMR of a score, threshold of an
// FMR), error rates and DET curves of score lists, folder evaluation; and
// what this build of the library is.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.hpp"
#include "fpmatch/calibration.hpp"
#include "fpmatch/evaluation.hpp"
#include "fpmatch/runtime.hpp"

namespace fpy {

namespace {

using F32 = nb::ndarray<const float, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

std::vector<float> to_vector(const F32& a) { return std::vector<float>(a.data(), a.data() + a.shape(0)); }

nb::dict rates_dict(const fpm::ErrorRates& r) {
  nb::dict d;
  d["genuine"] = r.genuine;
  d["impostor"] = r.impostor;
  d["eer"] = r.eer;
  d["eer_threshold"] = r.eer_threshold;
  d["fnmr_at_fmr_0.01"] = r.fnmr_at_fmr_1pct;
  d["fnmr_at_fmr_0.001"] = r.fnmr_at_fmr_01pct;
  d["fnmr_at_fmr_0.0001"] = r.fnmr_at_fmr_001pct;
  return d;
}

nb::tuple det_arrays(const std::vector<fpm::DetPoint>& det) {
  std::vector<float> t;
  std::vector<double> fmr, fnmr;
  for (const fpm::DetPoint& p : det) {
    t.push_back(p.threshold);
    fmr.push_back(p.fmr);
    fnmr.push_back(p.fnmr);
  }
  return nb::make_tuple(float_array(std::move(t)), double_array(std::move(fmr)), double_array(std::move(fnmr)));
}

}  // namespace

void bind_accuracy(nb::module_& m) {
  nb::class_<fpm::FmrEstimate>(m, "FmrEstimate", "The estimated false match rate of accepting a score.")
      .def_ro("fmr", &fpm::FmrEstimate::fmr)
      .def_ro("upper_bound", &fpm::FmrEstimate::upper_bound, "True: fmr is only a bound (below 1/total).")
      .def_ro("at_or_above", &fpm::FmrEstimate::at_or_above)
      .def_ro("total", &fpm::FmrEstimate::total)
      .def("__repr__", [](const fpm::FmrEstimate& f) {
        return std::string("<fpmatch.FmrEstimate ") + (f.upper_bound ? "< " : "") + std::to_string(f.fmr) + ">";
      });
  m.def("false_match_rate", &fpm::false_match_rate, nb::arg("score"));
  m.def("threshold_for_fmr", &fpm::threshold_for_fmr, nb::arg("fmr"));
  m.def("calibration_info", [] {
    const fpm::CalibrationInfo c = fpm::calibration_info();
    nb::dict d;
    d["impostor_comparisons"] = c.impostor_comparisons;
    d["source"] = c.source;
    d["lowest_fmr"] = c.lowest_fmr;
    d["reliable_fmr"] = c.reliable_fmr;
    return d;
  });

  m.def(
      "_error_rates", [](F32 g, F32 i) { return rates_dict(fpm::error_rates(to_vector(g), to_vector(i))); },
      nb::arg("genuine"), nb::arg("impostor"));
  m.def(
      "_det_curve", [](F32 g, F32 i) { return det_arrays(fpm::det_curve(to_vector(g), to_vector(i))); },
      nb::arg("genuine"), nb::arg("impostor"));
  m.def(
      "_evaluate_folders",
      [](const std::vector<std::string>& dirs, int threads) {
        fpm::Evaluation ev;
        {
          nb::gil_scoped_release release;
          ev = fpm::evaluate_folders(dirs, {}, threads);
        }
        std::vector<std::int64_t> ab;
        std::vector<float> scores;
        std::vector<std::int64_t> genuine;
        for (const fpm::PairScore& p : ev.pairs) {
          ab.push_back(p.a);
          ab.push_back(p.b);
          scores.push_back(p.score);
          genuine.push_back(p.genuine ? 1 : 0);
        }
        nb::list sets;
        for (const fpm::ErrorRates& r : ev.folder_rates) sets.append(rates_dict(r));
        std::vector<std::int64_t> folder(ev.folder.begin(), ev.folder.end());
        const std::size_t n = ev.pairs.size(), files = ev.files.size();
        return nb::make_tuple(ev.files, ev.fingers, int64_matrix(std::move(folder), files, 1),
                              int64_matrix(std::move(ab), n, 2), float_array(std::move(scores)),
                              int64_matrix(std::move(genuine), n, 1), rates_dict(ev.rates), sets);
      },
      nb::arg("dirs"), nb::arg("threads"));

  m.def("version", [] { return std::string(fpm::version()); }, "The version of the loaded library.");
  m.def("runtime_info", [] {
    const fpm::RuntimeInfo r = fpm::runtime_info();
    nb::dict d;
    d["version"] = r.version;
    d["cuda_built"] = r.cuda_built;
    d["cuda_status"] = r.cuda_status;
    d["cuda_detail"] = r.cuda_detail;
    nb::list devs;
    for (const fpm::DeviceInfo& dev : r.devices) {
      nb::dict x;
      x["index"] = dev.index;
      x["name"] = dev.name;
      x["compute_capability"] = nb::make_tuple(dev.compute_major, dev.compute_minor);
      x["total_memory"] = dev.total_memory;
      x["free_memory"] = dev.free_memory;
      devs.append(x);
    }
    d["devices"] = devs;
    return d;
  });
}

}  // namespace fpy
