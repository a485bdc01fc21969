// Host side of the CUDA backend: device discovery and the self test.
// Compiled only when FPM_ENABLE_CUDA is on.
#pragma once

#include <string>

#include "fpmatch/runtime.hpp"

namespace fpm::detail {

void cuda_query(RuntimeInfo* info);
bool cuda_run_self_test(int device, std::string* why);

}  // namespace fpm::detail
