// A deliberately tiny kernel: proves that the CUDA build compiles, links and
// runs end to end (used by cuda_self_test() and the CUDA smoke test).
#include "selftest.h"

namespace fpm::kernels {

namespace {
__global__ void popcount_kernel(const std::uint32_t* in, std::uint32_t* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = static_cast<std::uint32_t>(__popc(in[i]));
}
}  // namespace

int launch_popcount_selftest(const std::uint32_t* in, std::uint32_t* out, int n) {
  if (n <= 0) return 0;
  const int block = 256;
  popcount_kernel<<<(n + block - 1) / block, block>>>(in, out, n);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace fpm::kernels
