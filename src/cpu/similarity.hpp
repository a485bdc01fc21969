// The similarity matrix of two cylinder sets on the CPU, one implementation
// per SIMD level. All produce the same three popcounts per pair and finish
// with mcc::lambda_from_counts, so their matrices are bit-identical.
#pragma once

#include "fpmatch/matcher.hpp"
#include "mcc/layout.hpp"

namespace fpm::cpu {

// out[i * B.n + j] = lambda(A_i, B_j)
using SimilarityFn = void (*)(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, float* out);

void similarity_scalar(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, float* out);
void similarity_avx2(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, float* out);
void similarity_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, float* out);

SimilarityFn similarity_function(SimdLevel resolved_level);
// Auto -> the best supported level; others unchanged.
SimdLevel resolve_simd_level(SimdLevel level);

}  // namespace fpm::cpu
