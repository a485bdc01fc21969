// The CPU variants of the scoring stages of mcc/score.hpp (the
// specification). Each gives the specification's result bit for bit (the
// per-stage parity tests compare them, tests/test_stage_parity.cpp); which
// variant runs is chosen once per SIMD level by the table in
// cpu/score_stages.hpp, never by branches in the scoring code.
#pragma once

#include "cpu/set_summary.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {

// ---- Summaries (cpu/set_summary.hpp) ----
void summarise_avx2(const mcc::CylinderSetView& s, SetSummary& out);
void summarise_avx512(const mcc::CylinderSetView& s, SetSummary& out);

// ---- Stage 1: the similarity matrix, out[i * B.n + j] = lambda(A_i, B_j) ----
// The scalar variant reads the cylinders only (the summaries may be empty).
void similarity_scalar(const mcc::CylinderSetView& A, const SetSummary& sa, const mcc::CylinderSetView& B,
                       const SetSummary& sb, float* out);
void similarity_avx2(const mcc::CylinderSetView& A, const SetSummary& sa, const mcc::CylinderSetView& B,
                     const SetSummary& sb, float* out);
void similarity_avx512(const mcc::CylinderSetView& A, const SetSummary& sa, const mcc::CylinderSetView& B,
                       const SetSummary& sb, float* out);

// ---- Stage 2: pair selection (mcc::select_pairs) ----
// Counting floors and ranks, one width-generic source (cpu/simd/lssr_generic.inl).
int select_pairs_avx2(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, const float* lambda,
                      const mcc::Workspace& w);
int select_pairs_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, const float* lambda,
                        const mcc::Workspace& w);

// ---- Stage 4: the compatibility matrix (mcc::lssr_compatibility) ----
void lssr_compatibility_avx2(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w);
void lssr_compatibility_avx512(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w);

// ---- Stage 5: relaxation (mcc::lssr_relax), width-generic ----
void lssr_relax_avx2(int nR, const mcc::Workspace& w);
void lssr_relax_avx512(int nR, const mcc::Workspace& w);

// ---- Stage 6: the final score (mcc::lssr_finish), width-generic ----
float lssr_finish_avx2(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, int nR, const mcc::ScoreTables& T,
                       const mcc::Workspace& w);
float lssr_finish_avx512(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, int nR,
                         const mcc::ScoreTables& T, const mcc::Workspace& w);

}  // namespace fpm::cpu
