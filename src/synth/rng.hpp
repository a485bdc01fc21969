// A small, fully specified random generator (SplitMix64 seeding a
// xoshiro256**), with its own uniform and normal draws: the standard
// library's distributions differ between implementations, and synthetic data
// must be the same wherever it is made.
#pragma once

#include <cmath>
#include <cstdint>

namespace fpm::detail {

inline std::uint64_t splitmix64(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& v : s_) v = splitmix64(seed);
  }
  // Seeds from several values (seed, subject, finger, impression, stream).
  static Rng of(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d, std::uint64_t stream) {
    std::uint64_t s = a;
    std::uint64_t h = splitmix64(s);
    for (std::uint64_t v : {b, c, d, stream}) {
      s = h ^ (v * 0xd1b54a32d192ed03ull);
      h = splitmix64(s);
    }
    return Rng(h);
  }
  std::uint64_t next() {
    const std::uint64_t r = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int integer(int lo, int hi) {  // [lo, hi]
    return lo + static_cast<int>(uniform() * (hi - lo + 1));
  }
  double normal() {  // Box-Muller
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace fpm::detail
