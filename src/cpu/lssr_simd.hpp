// Faster versions of the LSS-R stages of mcc/score.hpp (same results, bit for bit).
#pragma once

#include "mcc/prefilter.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {

void lssr_compatibility_avx512(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w);
void lssr_compatibility_avx2(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w);
void lssr_relax_avx512(int nR, const mcc::Workspace& w);
float lssr_finish_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, int nR,
                         const mcc::ScoreTables& T, const mcc::Workspace& w);
// For the AVX2 path (select_histogram.cpp).
int select_pairs_histogram(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, const float* lambda,
                           const mcc::Workspace& w);
int select_pairs_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, const float* lambda,
                        const mcc::Workspace& w);

}  // namespace fpm::cpu
