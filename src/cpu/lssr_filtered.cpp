// mcc::lssr_compatibility with the prefilter of the AVX-512 path
// (lssr_avx512.cpp), in portable C++ for the AVX2 path: the pairs of pairs
// whose distance or relative-direction term is certainly beyond its table
// get rho = 0 without the square roots, arc tangents and table lookups; the
// others get exactly mcc::pair_compatibility. The scalar path keeps the
// unfiltered reference, so the parity tests compare the two.
#include "cpu/lssr_simd.hpp"
#include "mcc/score.hpp"

namespace fpm::cpu {

void lssr_compatibility_filtered(const mcc::ScoreTables& T, int nR, const mcc::Workspace& w) {
  const mcc::PrefilterLimits lim(T);
  float phi[mcc::kMaxCylinders];
  for (int t = 0; t < nR; ++t) phi[t] = mcc::pair_rotation(w, t);
  for (int k = 0; k < nR; ++k) {
    w.rho_t[k * nR + k] = 0.0f;
    for (int t = k + 1; t < nR; ++t) {
      const bool maybe = mcc::compatibility_may_be_nonzero(lim, w, phi, t, k);
      w.rho_t[k * nR + t] = maybe ? mcc::pair_compatibility(T, w, t, k) : 0.0f;
      w.rho_t[t * nR + k] = maybe ? mcc::pair_compatibility(T, w, k, t) : 0.0f;
    }
  }
}

}  // namespace fpm::cpu
