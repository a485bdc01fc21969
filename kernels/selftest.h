// Plain host-side declarations of the self-test kernel (no CUDA types), so
// that src/ can launch it without compiling as CUDA.
#pragma once

#include <cstdint>

namespace fpm::kernels {

// out[i] = popcount(in[i]) for i < n, on the current device and the default
// stream; device pointers. Returns the cudaError_t of the launch as an int.
int launch_popcount_selftest(const std::uint32_t* in, std::uint32_t* out, int n);

}  // namespace fpm::kernels
