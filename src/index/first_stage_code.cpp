#include "index/first_stage_code.hpp"

#include <array>
#include <vector>

#include "fpmatch/first_stage.hpp"
#include "access.hpp"
#include "mcc/encoded.hpp"

namespace fpm::index {

namespace {

// The L subsets of sampled bit positions (bit b = layer * 256 + cell, as
// the cylinder words hold them), drawn once by a partial Fisher-Yates
// shuffle of the cells inside the disc driven by mix64 from kSeed. The
// drawing is part of the code's definition (kCodeVersion).
struct Subsets {
  std::array<std::array<std::uint16_t, kSampledBits>, kSubsets> bit;
  Subsets() {
    std::vector<std::uint16_t> candidates;
    for (int layer = 0; layer < mcc::kNd; ++layer)
      for (int cell = 0; cell < mcc::kNs * mcc::kNs; ++cell)
        if (mcc::cell_in_disc(cell)) candidates.push_back(static_cast<std::uint16_t>(layer * mcc::kNs * mcc::kNs + cell));
    std::uint64_t s = kSeed;
    for (int l = 0; l < kSubsets; ++l) {
      std::vector<std::uint16_t> c = candidates;
      for (int k = 0; k < kSampledBits; ++k) {
        s = mix64(s);
        const std::size_t j = static_cast<std::size_t>(k) + s % (c.size() - static_cast<std::size_t>(k));
        std::swap(c[static_cast<std::size_t>(k)], c[j]);
        bit[static_cast<std::size_t>(l)][static_cast<std::size_t>(k)] = c[static_cast<std::size_t>(k)];
      }
    }
  }
};

const Subsets& subsets() {
  static const Subsets s;
  return s;
}

}  // namespace

std::uint32_t make_code(const mcc::CylinderSetView& s, std::uint64_t* words) {
  for (int w = 0; w < kCodeWords; ++w) words[w] = 0;
  const Subsets& sub = subsets();
  for (int i = 0; i < s.n; ++i) {
    const std::uint64_t* bits = s.bits + static_cast<std::size_t>(i) * mcc::kCylinderWords;
    for (int l = 0; l < kSubsets; ++l) {
      std::uint64_t v = 0;
      for (int k = 0; k < kSampledBits; ++k) {
        const unsigned b = sub.bit[static_cast<std::size_t>(l)][static_cast<std::size_t>(k)];
        v |= ((bits[b >> 6] >> (b & 63)) & 1u) << k;
      }
      if (mcc::popcount64(v) < kMinSampledOnes) continue;
      const std::uint64_t x = mix64((static_cast<std::uint64_t>(l) << 32) ^ v ^ (kSeed * 31)) & (kCodeBits - 1);
      words[x >> 6] |= std::uint64_t{1} << (x & 63);
    }
  }
  std::uint32_t ones = 0;
  for (int w = 0; w < kCodeWords; ++w) ones += static_cast<std::uint32_t>(mcc::popcount64(words[w]));
  return ones;
}

}  // namespace fpm::index

namespace fpm {

static_assert(FirstStageCode::kWords == static_cast<std::size_t>(index::kCodeWords), "one code size");

FirstStageCode first_stage_code(const mcc::CylinderSetView& s) {
  FirstStageCode c;
  c.ones = index::make_code(s, c.words.data());
  return c;
}

FirstStageCode first_stage_code(const EncodedTemplate& t) { return first_stage_code(detail::Access::data(t).view()); }

std::uint32_t first_stage_score(const FirstStageCode& a, const FirstStageCode& b) noexcept {
  return index::code_score(a.words.data(), a.ones, b.words.data(), b.ones);
}

}  // namespace fpm
