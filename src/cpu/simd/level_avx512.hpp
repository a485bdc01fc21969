// The width-generic code (math_generic.inl, lssr_generic.inl) compiled for
// AVX-512, in namespace fpm::cpu::avx512: the same templates with the same target
// attribute in every translation unit of this level, so one definition
// serves them all.
#pragma once

#include "cpu/simd/vec_avx512.hpp"
#include "mcc/prefilter.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu::avx512 {
using V = VecAvx512;
#define FPM_VEC_TARGET FPM_AVX512
#define FPM_VEC_INLINE FPM_AVX512_INLINE
#include "cpu/simd/math_generic.inl"
#include "cpu/simd/lssr_generic.inl"
#undef FPM_VEC_INLINE
#undef FPM_VEC_TARGET
}  // namespace fpm::cpu::avx512
