// The width-generic code (math_generic.inl, lssr_generic.inl) compiled for
// AVX2, in namespace fpm::cpu::avx2: the same templates with the same target
// attribute in every translation unit of this level, so one definition
// serves them all.
#pragma once

#include "cpu/simd/vec_avx2.hpp"
#include "mcc/prefilter.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu::avx2 {
using V = VecAvx2;
#define FPM_VEC_TARGET FPM_AVX2
#define FPM_VEC_INLINE FPM_AVX2_INLINE
#include "cpu/simd/math_generic.inl"
#include "cpu/simd/lssr_generic.inl"
#undef FPM_VEC_INLINE
#undef FPM_VEC_TARGET
}  // namespace fpm::cpu::avx2
