// The parts of the fpmatch extension module, one concept per file; each
// registers its functions and classes on the module.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fpmatch/matcher.hpp"
#include "fpmatch/template.hpp"

namespace fpy {

namespace nb = nanobind;

void bind_errors(nb::module_& m);          // errors.cpp: C++ exceptions -> fpmatch exceptions
void bind_records(nb::module_& m);         // records.cpp: View, decode, encode, synthetic fingers
void bind_matching(nb::module_& m);        // matching.cpp: Template, match, match_many, all pairs
void bind_gallery_engine(nb::module_& m);  // gallery_engine.cpp: Gallery, Engine, candidates
void bind_accuracy(nb::module_& m);        // accuracy.cpp: calibration, error rates, DET, folders, runtime
void bind_identification(nb::module_& m);  // identification.cpp: evidence, FPIR, decisions
void bind_shards(nb::module_& m);          // shards.cpp: split, shard metadata, the exact merge

// numpy arrays that own `values` (arrays.cpp); matrices in row-major order.
nb::ndarray<nb::numpy, float> float_array(std::vector<float>&& values);
nb::ndarray<nb::numpy, double> double_array(std::vector<double>&& values);
nb::ndarray<nb::numpy, float> float_matrix(std::vector<float>&& values, std::size_t rows, std::size_t cols);
nb::ndarray<nb::numpy, std::int64_t> int64_matrix(std::vector<std::int64_t>&& values, std::size_t rows,
                                                   std::size_t cols);

// Templates out of a Python sequence (a list of fpmatch.Template), checked
// with the GIL held so that the work after it can release it.
std::vector<fpm::EncodedTemplate> encoded_list(nb::handle sequence, const char* what);

}  // namespace fpy
