#include "cuda/device_query.hpp"

#include <cuda_runtime_api.h>

#include <bitset>
#include <vector>

#include "selftest.h"

namespace fpm::detail {

std::string cuda_status_words(int cuda_error) {
  // A machine without a GPU usually has no driver either: the runtime then
  // says its driver is "insufficient", which reads as a broken driver.
  const auto e = static_cast<cudaError_t>(cuda_error);
  return e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver ? "no CUDA device found" : "CUDA unavailable";
}

std::string cuda_error_detail(int cuda_error) {
  const auto e = static_cast<cudaError_t>(cuda_error);
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

void cuda_query(RuntimeInfo* info) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    info->cuda_status = cuda_status_words(err);
    info->cuda_detail = cuda_error_detail(err);
    cudaGetLastError();  // clear the sticky-free error state
    return;
  }
  if (count == 0) {
    info->cuda_status = "no CUDA device found";
    return;
  }
  info->cuda_status = "ok";
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    DeviceInfo d;
    d.index = i;
    d.name = p.name;
    d.compute_major = p.major;
    d.compute_minor = p.minor;
    d.total_memory = p.totalGlobalMem;
    std::size_t free_bytes = 0, total_bytes = 0;
    if (cudaSetDevice(i) == cudaSuccess && cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess)
      d.free_memory = free_bytes;
    cudaGetLastError();
    info->devices.push_back(d);
  }
}

bool cuda_run_self_test(int device, std::string* why) {
  auto failed = [&](const char* step, cudaError_t e) {
    if (why) *why = std::string(step) + ": " + cudaGetErrorString(e);
    cudaGetLastError();
    return false;
  };
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return failed("cudaGetDeviceCount", e);
  if (device < 0 || device >= count) {
    if (why) *why = "device " + std::to_string(device) + " does not exist (" + std::to_string(count) + " devices)";
    return false;
  }
  if ((e = cudaSetDevice(device)) != cudaSuccess) return failed("cudaSetDevice", e);
  const int n = 4096;
  std::vector<std::uint32_t> in(n), out(n, 0);
  std::uint32_t s = 0x9e3779b9u;
  for (auto& v : in) v = (s = s * 1664525u + 1013904223u);
  std::uint32_t* d_in = nullptr;
  std::uint32_t* d_out = nullptr;
  bool ok = false;
  if ((e = cudaMalloc(reinterpret_cast<void**>(&d_in), n * sizeof(std::uint32_t))) != cudaSuccess) return failed("cudaMalloc", e);
  if ((e = cudaMalloc(reinterpret_cast<void**>(&d_out), n * sizeof(std::uint32_t))) != cudaSuccess) {
    cudaFree(d_in);
    return failed("cudaMalloc", e);
  }
  do {
    if ((e = cudaMemcpy(d_in, in.data(), n * sizeof(std::uint32_t), cudaMemcpyHostToDevice)) != cudaSuccess) {
      failed("cudaMemcpy", e);
      break;
    }
    e = static_cast<cudaError_t>(kernels::launch_popcount_selftest(d_in, d_out, n));
    if (e != cudaSuccess) {
      failed("kernel launch", e);
      break;
    }
    if ((e = cudaMemcpy(out.data(), d_out, n * sizeof(std::uint32_t), cudaMemcpyDeviceToHost)) != cudaSuccess) {
      failed("cudaMemcpy", e);
      break;
    }
    ok = true;
    for (int i = 0; i < n; ++i)
      if (out[i] != std::bitset<32>(in[i]).count()) {
        ok = false;
        if (why) *why = "popcount mismatch at element " + std::to_string(i);
        break;
      }
  } while (false);
  cudaFree(d_in);
  cudaFree(d_out);
  return ok;
}

}  // namespace fpm::detail
