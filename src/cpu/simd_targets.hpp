// The instruction sets of the CPU's SIMD levels, in one place: the target
// attribute each level's functions are compiled with, and the run-time test
// that the CPU has all of it (fpm::simd_level_supported). A level's code is
// called only where its test passes, so the two must list the same features.
#pragma once

#if defined(__x86_64__)
#define FPM_AVX2 __attribute__((target("avx2,popcnt")))
#define FPM_AVX512 __attribute__((target("avx2,popcnt,avx512f,avx512vl,avx512bw,avx512dq,avx512vpopcntdq")))
// The same, for the small functions of the vector structs and generic
// stages (cpu/simd/): always inlined, so that no vector crosses a call.
#define FPM_AVX2_INLINE FPM_AVX2 __attribute__((always_inline)) inline
#define FPM_AVX512_INLINE FPM_AVX512 __attribute__((always_inline)) inline
#endif

namespace fpm::cpu {

inline bool cpu_has_avx2() noexcept {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
#else
  return false;
#endif
}

inline bool cpu_has_avx512() noexcept {
#if defined(__x86_64__)
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vpopcntdq");
#else
  return false;
#endif
}

}  // namespace fpm::cpu
