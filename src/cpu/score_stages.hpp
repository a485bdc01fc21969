// The CPU's scoring stages per SIMD level: one table per level naming the
// variant of each stage of mcc/score.hpp (the specification) that the level
// runs, and the one composition of the stages into a score. A new variant of
// a stage goes into cpu/stage_variants.hpp and into the tables of the levels
// that use it (cpu/score_stages.cpp); the parity tests then compare it stage
// by stage with the specification (tests/test_stage_parity.cpp).
#pragma once

#include <vector>

#include "cpu/set_summary.hpp"
#include "fpmatch/matcher.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {

struct ScoreStages {
  SimdLevel level;
  // Fills a set's summaries; nullptr where the level's similarity stage
  // reads none (the scalar specification).
  void (*summarise)(const mcc::CylinderSetView& s, SetSummary& out);
  // Stage 1 (mcc::local_similarity over the matrix).
  void (*similarity)(const mcc::CylinderSetView& A, const SetSummary& sa, const mcc::CylinderSetView& B,
                     const SetSummary& sb, float* out);
  // Stage 2 (mcc::select_pairs).
  int (*select)(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, const float* lambda,
                const mcc::Workspace& w);
  // Stage 3 is mcc::lssr_gather on every level (a copy, nothing to vectorise).
  // Stage 4 (mcc::lssr_compatibility).
  void (*compatibility)(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w);
  // Stage 5 (mcc::lssr_relax).
  void (*relax)(int nR, const mcc::Workspace& w);
  // Stage 6 (mcc::lssr_finish).
  float (*finish)(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, int nR, const mcc::ScoreTables& T,
                  const mcc::Workspace& w);
};

// The table of a supported, resolved level (not Auto).
const ScoreStages& score_stages(SimdLevel level);
// Auto -> the best supported level; others unchanged.
SimdLevel resolve_simd_level(SimdLevel level);

// The memory one comparison works in, allocated once per matcher.
struct ScoreScratch {
  std::vector<float> lambda, rho_t, vectors;
  std::vector<std::uint64_t> pairs;
  mcc::Workspace ws;
  SetSummary first, second;  // summaries of the sets a caller did not prepare
  ScoreScratch();
  ScoreScratch(const ScoreScratch&) = delete;
  ScoreScratch& operator=(const ScoreScratch&) = delete;
};

// One side of a comparison: the set and its summary (ignored by levels
// without summarise).
struct ScoreSide {
  mcc::CylinderSetView set;
  const SetSummary* summary;
};

// The score of one comparison through `stages`, the roles ordered by
// mcc::swap_roles (so that score(a, b) == score(b, a)): the composition of
// the stages that mcc/score.hpp specifies.
float score_pair(const ScoreStages& stages, ScoreSide a, ScoreSide b, ScoreScratch& scratch);

}  // namespace fpm::cpu
