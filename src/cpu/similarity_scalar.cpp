// Stage 1 as the specification states it (mcc::local_similarity per cell).
#include "cpu/stage_variants.hpp"

namespace fpm::cpu {

void similarity_scalar(const mcc::CylinderSetView& A, const SetSummary&, const mcc::CylinderSetView& B,
                       const SetSummary&, float* out) {
  for (int i = 0; i < A.n; ++i)
    for (int j = 0; j < B.n; ++j) out[i * B.n + j] = mcc::local_similarity(A, i, B, j);
}

}  // namespace fpm::cpu
