// FPM_HD marks functions compiled for both the host and CUDA devices. The
// per-pair scoring code lives in headers under src/mcc/ that both the C++
// compiler and nvcc include, so that CPU and GPU run the same operations in
// the same order (with floating-point contraction off on both sides).
#pragma once

#if defined(__CUDACC__)
#define FPM_HD __host__ __device__
#define FPM_HD_INLINE __host__ __device__ __forceinline__
#else
#define FPM_HD
#define FPM_HD_INLINE inline
#endif
