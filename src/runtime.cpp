#include "fpmatch/runtime.hpp"

#include "fpmatch/version.h"
#ifdef FPM_WITH_CUDA
#include "cuda/device_query.hpp"
#endif

namespace fpm {

const char* version() noexcept { return FPM_VERSION_STRING; }

RuntimeInfo runtime_info() {
  RuntimeInfo info;
  info.version = FPM_VERSION_STRING;
#ifdef FPM_WITH_CUDA
  info.cuda_built = true;
  detail::cuda_query(&info);
#else
  info.cuda_built = false;
  info.cuda_status = "built without CUDA";
#endif
  return info;
}

bool cuda_self_test(int device, std::string* why) {
#ifdef FPM_WITH_CUDA
  return detail::cuda_run_self_test(device, why);
#else
  (void)device;
  if (why) *why = "built without CUDA";
  return false;
#endif
}

}  // namespace fpm
