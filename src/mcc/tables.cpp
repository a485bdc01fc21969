#include "mcc/tables.hpp"

#include <cmath>

namespace fpm::mcc {

namespace {
double sigmoid(double v, double mu, double tau) { return 1.0 / (1.0 + std::exp(-tau * (v - mu))); }

ScoreTables build() {
  ScoreTables t{};
  for (int i = 0; i < kZ1Size; ++i) t.z1[i] = static_cast<float>(sigmoid(double(i) / kZ1Steps, kMu1, kTau1));
  const double pi = 3.14159265358979323846;
  for (int i = 0; i <= kZAngleSize; ++i) {
    const double a = i * pi / kZAngleSize;
    t.z2[i] = static_cast<float>(sigmoid(a, kMu2, kTau2));
    t.z3[i] = static_cast<float>(sigmoid(a, kMu3, kTau3));
  }
  for (int n = 0; n <= kMaxCylinders; ++n)
    t.np[n] = static_cast<std::uint8_t>(kMinNP + std::lround(sigmoid(n, kMuP, kTauP) * (kMaxNP - kMinNP)));
  return t;
}
}  // namespace

const ScoreTables& score_tables() {
  static const ScoreTables tables = build();
  return tables;
}

}  // namespace fpm::mcc
