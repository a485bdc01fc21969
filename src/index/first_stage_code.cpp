#include "index/first_stage_code.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "fpmatch/first_stage.hpp"
#include "access.hpp"
#include "mcc/encoded.hpp"

namespace fpm::index {

namespace {

// For each signature bit k, two disjoint random sets P_k and Q_k of the
// cells inside the disc (all layers; a cell is in P_k with probability 1/8,
// in Q_k with probability 1/8, else in neither), as masks over a
// cylinder's words, drawn once from kSeed by mix64. The drawing is part of
// the code's definition (kCodeVersion).
struct Hyperplanes {
  std::array<std::array<std::uint64_t, mcc::kCylinderWords>, kSignatureBits> plus, minus;
  Hyperplanes() {
    std::uint64_t s = kSeed;
    for (int k = 0; k < kSignatureBits; ++k)
      for (int w = 0; w < mcc::kCylinderWords; ++w) {
        const std::uint64_t side = s = mix64(s);
        const std::uint64_t keep1 = s = mix64(s);
        const std::uint64_t keep2 = s = mix64(s);
        const std::uint64_t in = keep1 & keep2 & mcc::kDiscMask[w % mcc::kWordsPerLayer];
        plus[static_cast<std::size_t>(k)][static_cast<std::size_t>(w)] = side & in;
        minus[static_cast<std::size_t>(k)][static_cast<std::size_t>(w)] = ~side & in;
      }
  }
};

const Hyperplanes& hyperplanes() {
  static const Hyperplanes h;
  return h;
}

// A cylinder's signature into out[0, kSlotWords) (the bits above
// kSignatureBits zero): bit k is set when more of its set cells lie in P_k
// than in Q_k (a sparse random projection with weights +1, -1 and 0,
// thresholded at 0).
#if defined(__GNUC__) || defined(__clang__)
#define FPM_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define FPM_ALWAYS_INLINE inline
#endif
FPM_ALWAYS_INLINE void signature_body(const Hyperplanes& h, const std::uint64_t* bits, std::uint64_t* out) {
  for (int w = 0; w < kSlotWords; ++w) out[w] = 0;
  for (int k = 0; k < kSignatureBits; ++k) {
    const std::uint64_t* p = h.plus[static_cast<std::size_t>(k)].data();
    const std::uint64_t* m = h.minus[static_cast<std::size_t>(k)].data();
    int d = 0;
    for (int w = 0; w < mcc::kCylinderWords; ++w) d += mcc::popcount64(bits[w] & p[w]) - mcc::popcount64(bits[w] & m[w]);
    if (d > 0) out[k >> 6] |= std::uint64_t{1} << (k & 63);
  }
}

void signature_portable(const Hyperplanes& h, const std::uint64_t* bits, std::uint64_t* out) {
  signature_body(h, bits, out);
}

// The same on CPUs with a popcount instruction (same bits, faster).
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
__attribute__((target("popcnt"), flatten)) void signature_popcnt(const Hyperplanes& h, const std::uint64_t* bits,
                                                        std::uint64_t* out) {
  signature_body(h, bits, out);
}
bool has_popcnt() {
  static const bool yes = __builtin_cpu_supports("popcnt");
  return yes;
}
#else
void signature_popcnt(const Hyperplanes& h, const std::uint64_t* bits, std::uint64_t* out) {
  signature_body(h, bits, out);
}
bool has_popcnt() { return false; }
#endif

void signature(const std::uint64_t* bits, std::uint64_t* out) {
  const Hyperplanes& h = hyperplanes();
  if (has_popcnt())
    signature_popcnt(h, bits, out);
  else
    signature_portable(h, bits, out);
}

}  // namespace

bool cpu_has_popcnt() { return has_popcnt(); }

std::uint32_t make_code(const mcc::CylinderSetView& s, std::uint64_t* words) {
  for (int w = 0; w < kCodeWords; ++w) words[w] = 0;
  const int n = s.n;
  if (n <= 0) return 0;
  // Positions relative to the centroid, as n x - sum x (exact in doubles
  // for any realistic coordinates), so that a shift of the template changes
  // neither the selection keys nor the stored positions.
  double sx = 0, sy = 0;
  for (int i = 0; i < n; ++i) {
    sx += static_cast<double>(s.x[i]);
    sy += static_cast<double>(s.y[i]);
  }
  struct Key {
    int valid;
    double dist;
    int index;
  };
  std::vector<Key> keys(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    int valid = 0;
    for (int w = 0; w < mcc::kValidityWords; ++w)
      valid += mcc::popcount64(s.valid[static_cast<std::size_t>(i) * mcc::kValidityWords + static_cast<std::size_t>(w)]);
    const double dx = static_cast<double>(n) * static_cast<double>(s.x[i]) - sx;
    const double dy = static_cast<double>(n) * static_cast<double>(s.y[i]) - sy;
    keys[static_cast<std::size_t>(i)] = {valid, dx * dx + dy * dy, i};
  }
  const std::size_t kept = static_cast<std::size_t>(std::min(n, kCodeCylinders));
  std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(kept), keys.end(),
                    [](const Key& a, const Key& b) {
                      if (a.valid != b.valid) return a.valid > b.valid;
                      if (a.dist != b.dist) return a.dist < b.dist;
                      return a.index < b.index;
                    });
  const double unit = static_cast<double>(n) * kPosStep;
  const int lo = -(1 << (kPosBits - 1)), hi = (1 << (kPosBits - 1)) - 1;
  auto position = [&](double d) {
    const double q = std::floor(d / unit);
    const int v = q < lo ? lo : q > hi ? hi : static_cast<int>(q);
    return static_cast<std::uint64_t>(v) & ((std::uint64_t{1} << kPosBits) - 1);
  };
  for (std::size_t k = 0; k < kept; ++k) {
    const int i = keys[k].index;
    std::uint64_t* slot = words + k * static_cast<std::size_t>(kSlotWords);
    signature(s.bits + static_cast<std::size_t>(i) * mcc::kCylinderWords, slot);
    const double dx = static_cast<double>(n) * static_cast<double>(s.x[i]) - sx;
    const double dy = static_cast<double>(n) * static_cast<double>(s.y[i]) - sy;
    int angle = static_cast<int>(std::floor(static_cast<double>(s.theta[i]) * (kAngleSteps / (2.0 * 3.14159265358979323846))));
    angle = ((angle % kAngleSteps) + kAngleSteps) % kAngleSteps;
    slot[1] |= (position(dx) << kPosShiftX) | (position(dy) << kPosShiftY) |
               (static_cast<std::uint64_t>(angle) << kAngleShift);
  }
  return static_cast<std::uint32_t>(kept);
}

}  // namespace fpm::index

namespace fpm {

static_assert(FirstStageCode::kWords == static_cast<std::size_t>(index::kCodeWords), "one code size");

FirstStageCode first_stage_code(const mcc::CylinderSetView& s) {
  FirstStageCode c;
  c.aux = index::make_code(s, c.words.data());
  return c;
}

FirstStageCode first_stage_code(const EncodedTemplate& t) { return first_stage_code(detail::Access::data(t).view()); }

namespace {

// The same function compiled for CPUs with a popcount instruction (the
// portable build counts bits in software, about twice as slow here); the
// integer result is the same either way.
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
__attribute__((target("popcnt"), flatten)) std::uint32_t score_popcnt(const FirstStageCode& a, const FirstStageCode& b) {
  return index::code_score(a.words.data(), a.aux, b.words.data(), b.aux);
}
#else
std::uint32_t score_popcnt(const FirstStageCode& a, const FirstStageCode& b) {
  return index::code_score(a.words.data(), a.aux, b.words.data(), b.aux);
}
#endif

}  // namespace

std::uint32_t first_stage_score(const FirstStageCode& a, const FirstStageCode& b) noexcept {
  if (index::cpu_has_popcnt()) return score_popcnt(a, b);
  return index::code_score(a.words.data(), a.aux, b.words.data(), b.aux);
}

}  // namespace fpm
