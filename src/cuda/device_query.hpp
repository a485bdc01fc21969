// Host side of the CUDA backend: device discovery and the self test.
// Compiled only when FPM_ENABLE_CUDA is on.
#pragma once

#include <string>

#include "fpmatch/runtime.hpp"

namespace fpm::detail {

void cuda_query(RuntimeInfo* info);
// Plain words for a failed cudaGetDeviceCount: "no CUDA device found" when
// there is none or no driver to reach one, else "CUDA unavailable".
std::string cuda_status_words(int cuda_error);
// The runtime's name and text for an error ("cudaErrorNoDevice: ...").
std::string cuda_error_detail(int cuda_error);
bool cuda_run_self_test(int device, std::string* why);

}  // namespace fpm::detail
