// numpy arrays handed to Python that own the vector they were filled in.
#include <utility>

#include "bindings.hpp"

namespace fpy {

namespace {

template <typename T>
nb::ndarray<nb::numpy, T> owning(std::vector<T>&& values, std::size_t ndim, std::size_t rows, std::size_t cols) {
  auto* held = new std::vector<T>(std::move(values));
  nb::capsule owner(held, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  const std::size_t shape[2] = {rows, cols};
  return nb::ndarray<nb::numpy, T>(held->data(), ndim, shape, owner);
}

}  // namespace

nb::ndarray<nb::numpy, float> float_array(std::vector<float>&& values) {
  const std::size_t n = values.size();
  return owning(std::move(values), 1, n, 0);
}

nb::ndarray<nb::numpy, float> float_matrix(std::vector<float>&& values, std::size_t rows, std::size_t cols) {
  return owning(std::move(values), 2, rows, cols);
}

nb::ndarray<nb::numpy, double> double_array(std::vector<double>&& values) {
  const std::size_t n = values.size();
  return owning(std::move(values), 1, n, 0);
}

nb::ndarray<nb::numpy, std::int64_t> int64_matrix(std::vector<std::int64_t>&& values, std::size_t rows,
                                                   std::size_t cols) {
  return owning(std::move(values), 2, rows, cols);
}

std::vector<fpm::EncodedTemplate> encoded_list(nb::handle sequence, const char* what) {
  std::vector<fpm::EncodedTemplate> out;
  if (nb::isinstance<fpm::EncodedTemplate>(sequence)) {
    out.push_back(nb::cast<const fpm::EncodedTemplate&>(sequence));
    return out;
  }
  if (!PySequence_Check(sequence.ptr()))
    throw nb::type_error((std::string(what) + ": expected a Template or a sequence of Templates").c_str());
  const Py_ssize_t n = PySequence_Size(sequence.ptr());
  out.reserve(static_cast<std::size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    nb::object item = nb::steal(PySequence_GetItem(sequence.ptr(), i));
    if (!item.is_valid()) throw nb::python_error();
    if (!nb::isinstance<fpm::EncodedTemplate>(item))
      throw nb::type_error((std::string(what) + ": item " + std::to_string(i) + " is not a Template").c_str());
    out.push_back(nb::cast<const fpm::EncodedTemplate&>(item));
  }
  return out;
}

}  // namespace fpy
