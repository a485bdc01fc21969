// mcc::angle_diff on 8 lanes, shared by the AVX2 similarity and LSS-R code:
// the same operations in the same order as the scalar function, so every
// lane's result is bit-identical to it. Include only from translation units
// that dispatch to AVX2 at run time.
#pragma once

#include <immintrin.h>

#include "cpu/simd_targets.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {

FPM_AVX2 inline __m256 v_angle_diff(__m256 a, __m256 b) {
  const __m256 pi = _mm256_set1_ps(mcc::kPiF), npi = _mm256_set1_ps(-mcc::kPiF);
  const __m256 two_pi = _mm256_set1_ps(mcc::kTwoPiF);
  __m256 d = _mm256_sub_ps(a, b);
  d = _mm256_blendv_ps(d, _mm256_sub_ps(d, two_pi), _mm256_cmp_ps(d, pi, _CMP_GE_OQ));
  d = _mm256_blendv_ps(d, _mm256_sub_ps(d, two_pi), _mm256_cmp_ps(d, pi, _CMP_GE_OQ));
  d = _mm256_blendv_ps(d, _mm256_add_ps(d, two_pi), _mm256_cmp_ps(d, npi, _CMP_LT_OQ));
  d = _mm256_blendv_ps(d, _mm256_add_ps(d, two_pi), _mm256_cmp_ps(d, npi, _CMP_LT_OQ));
  return d;
}

}  // namespace fpm::cpu
