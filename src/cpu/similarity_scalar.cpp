// Reference path: portable C++, the shared per-pair code as it is.
#include "cpu/similarity.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {

void similarity_scalar(const mcc::CylinderSetView& A, const mcc::CylinderSetView& B, float* out) {
  for (int i = 0; i < A.n; ++i)
    for (int j = 0; j < B.n; ++j) out[i * B.n + j] = mcc::local_similarity(A, i, B, j);
}

}  // namespace fpm::cpu
