// mcc::angle_diff on 16 lanes, shared by the AVX-512 similarity and LSS-R
// code: the same operations in the same order as the scalar function, so
// every lane's result is bit-identical to it. Include only from translation
// units that dispatch to AVX-512 at run time.
#pragma once

#include <immintrin.h>

#include "cpu/simd_targets.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {

FPM_AVX512 inline __m512 v_angle_diff(__m512 a, __m512 b) {
  const __m512 pi = _mm512_set1_ps(mcc::kPiF), npi = _mm512_set1_ps(-mcc::kPiF);
  const __m512 two_pi = _mm512_set1_ps(mcc::kTwoPiF);
  __m512 d = _mm512_sub_ps(a, b);
  d = _mm512_mask_sub_ps(d, _mm512_cmp_ps_mask(d, pi, _CMP_GE_OQ), d, two_pi);
  d = _mm512_mask_sub_ps(d, _mm512_cmp_ps_mask(d, pi, _CMP_GE_OQ), d, two_pi);
  d = _mm512_mask_add_ps(d, _mm512_cmp_ps_mask(d, npi, _CMP_LT_OQ), d, two_pi);
  d = _mm512_mask_add_ps(d, _mm512_cmp_ps_mask(d, npi, _CMP_LT_OQ), d, two_pi);
  return d;
}

}  // namespace fpm::cpu
