#include "mcc/tables.hpp"

#include <cmath>

namespace fpm::mcc {

namespace {
// Sigmoid values below this are stored as 0: they change no score by more
// than about 1e-5 of its value, and without them no product of table values
// and similarities in LSS-R comes near the subnormal range, where floating
// point arithmetic is many times slower on CPUs (and flushed on some GPUs).
constexpr double kTableFloor = 1e-6;

double sigmoid(double v, double mu, double tau) { return 1.0 / (1.0 + std::exp(-tau * (v - mu))); }
float table_value(double v) { return v < kTableFloor ? 0.0f : static_cast<float>(v); }

int support(const float* table, int size) {
  while (size > 0 && table[size - 1] == 0.0f) --size;
  return size;
}

ScoreTables build() {
  ScoreTables t{};
  for (int i = 0; i < kZ1Size; ++i) t.z1[i] = table_value(sigmoid(double(i) / kZ1Steps, kMu1, kTau1));
  const double pi = 3.14159265358979323846;
  for (int i = 0; i <= kZAngleSize; ++i) {
    const double a = i * pi / kZAngleSize;
    t.z2[i] = table_value(sigmoid(a, kMu2, kTau2));
    t.z3[i] = table_value(sigmoid(a, kMu3, kTau3));
  }
  t.z1_support = support(t.z1, kZ1Size);
  t.z2_support = support(t.z2, kZAngleSize + 1);
  for (int i = 0; i <= kCylinderWords * 64; ++i) t.sqrt_count[i] = std::sqrt(static_cast<float>(i));
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
