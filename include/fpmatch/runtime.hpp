// fpmatch: what this build of the library is and what it can run on.
#pragma once

#include <string>
#include <vector>

#include "fpmatch/export.h"

namespace fpm {

struct DeviceInfo {
  int index = 0;
  std::string name;
  int compute_major = 0;
  int compute_minor = 0;
  std::size_t total_memory = 0;  // bytes
  std::size_t free_memory = 0;   // bytes free when queried
};

struct RuntimeInfo {
  std::string version;          // library version, e.g. "0.1.0"
  bool cuda_built = false;      // the CUDA backend was compiled in
  // "ok", or in plain words why no device is usable: "no CUDA device found"
  // (none present, or no CUDA driver), "built without CUDA", or
  // "CUDA unavailable" for any other runtime failure.
  std::string cuda_status;
  // The CUDA runtime's own answer when it reported an error, e.g.
  // "cudaErrorInsufficientDriver: CUDA driver version is insufficient for
  // CUDA runtime version" (what a machine without a GPU driver reports);
  // empty otherwise. For logs and --verbose output.
  std::string cuda_detail;
  std::vector<DeviceInfo> devices;  // usable CUDA devices (empty without a GPU)
};

FPM_API const char* version() noexcept;
// Queries the CUDA runtime when it was built in; never throws, never crashes
// on machines without a GPU or driver.
FPM_API RuntimeInfo runtime_info();

// Runs a small popcount kernel on `device` and compares it with the host
// result. Returns false (with the reason in *why) when no device is usable.
// Exercises the CUDA build path end to end; used by tests and `fpmatch version`.
FPM_API bool cuda_self_test(int device, std::string* why);

}  // namespace fpm
