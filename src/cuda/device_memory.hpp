// Host side of the CUDA backend: CUDA errors as the library's errors, and
// owners of device memory and pinned host memory (released on destruction,
// so that an error part-way through a setup or a search leaks nothing).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>

#include "engine/device_search.hpp"
#include "fpmatch/error.hpp"

namespace fpm::detail::gpu {

// The library's error for a CUDA error: out of memory; a request the
// runtime calls invalid (a fault of this library: Internal); anything else
// is a device or driver that cannot be used, or no longer: taken by another
// process in exclusive mode, no driver, a fault that leaves the device's
// context unusable (illegal address, uncorrectable ECC error, ...).
ErrorCode error_code(cudaError_t e);

// Throws fpm::Error (error_code(e), "CUDA backend: what: <runtime's text>")
// unless e is cudaSuccess, after clearing the runtime's last error.
void check(cudaError_t e, const char* what);
// The same for the kernels' launchers (kernels/search_kernels.h), which
// return a cudaError_t as an int.
void check(int e, const char* what);

// `e`, met on device `id` (named `name` where known), as the failure of
// that device.
DeviceFailure device_failure(int id, const std::string& name, const Error& e);

// `count` elements of T in the current device's memory.
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() { release(); }
  void allocate(std::size_t count) {
    release();
    if (count) check(cudaMalloc(reinterpret_cast<void**>(&p_), count * sizeof(T)), "cudaMalloc");
    n_ = count;
  }
  void release() {
    if (p_) cudaFree(p_);
    p_ = nullptr;
    n_ = 0;
  }
  T* get() const { return p_; }
  std::size_t size() const { return n_; }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

// A pinned host buffer that grows on demand (its contents are not kept).
class Pinned {
 public:
  Pinned() = default;
  Pinned(const Pinned&) = delete;
  Pinned& operator=(const Pinned&) = delete;
  ~Pinned() {
    if (p_) cudaFreeHost(p_);
  }
  void* ensure(std::size_t bytes) {
    if (bytes > bytes_) {
      if (p_) cudaFreeHost(p_);
      p_ = nullptr;
      check(cudaMallocHost(&p_, bytes), "cudaMallocHost");
      bytes_ = bytes;
    }
    return p_;
  }

 private:
  void* p_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace fpm::detail::gpu
