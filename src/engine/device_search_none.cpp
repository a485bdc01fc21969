// Builds without CUDA: no device backend.
#include "engine/device_search.hpp"

namespace fpm::detail {

std::unique_ptr<SearchBackend> make_cuda_search(const Gallery::Data&, const SubjectIndex&, const std::vector<int>&,
                                               const ProgressFn&, std::string* why) {
  if (why) *why = "the CUDA backend is not built into this library";
  return nullptr;
}

}  // namespace fpm::detail
