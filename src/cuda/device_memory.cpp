#include "cuda/device_memory.hpp"

namespace fpm::detail::gpu {

ErrorCode error_code(cudaError_t e) {
  switch (e) {
    case cudaErrorMemoryAllocation: return ErrorCode::OutOfMemory;
    case cudaErrorInvalidValue:
    case cudaErrorInvalidResourceHandle:
    case cudaErrorLaunchOutOfResources: return ErrorCode::Internal;
    default: return ErrorCode::Unavailable;
  }
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw Error(error_code(e), std::string("CUDA backend: ") + what + ": " + cudaGetErrorString(e));
  }
}

void check(int e, const char* what) { check(static_cast<cudaError_t>(e), what); }

DeviceFailure device_failure(int id, const std::string& name, const Error& e) {
  return DeviceFailure(id, e.code(),
                       "device " + std::to_string(id) + (name.empty() ? "" : " (" + name + ")") + ": " + e.what());
}

}  // namespace fpm::detail::gpu
