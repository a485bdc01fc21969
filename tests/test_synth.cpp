// The synthetic generator: deterministic, realistic ranges, separable.
#include <catch2/catch.hpp>

#include "fpmatch/fpmatch.hpp"

TEST_CASE("synth: the same seed gives the same fingers", "[synth]") {
  fpm::SynthOptions o;
  o.seed = 42;
  const fpm::SyntheticFingers a(o), b(o);
  for (std::uint64_t s : {0ull, 1ull, 999999ull})
    for (int f : {1, 5, 10}) {
      CHECK(a.master(s, f) == b.master(s, f));
      CHECK(a.impression(s, f, 3) == b.impression(s, f, 3));
    }
  // Order does not matter: a finger made alone equals one made after others.
  const fpm::Template late = a.impression(7, 2, 1);
  for (int i = 0; i < 5; ++i) (void)b.impression(i, 1, 0);
  CHECK(b.impression(7, 2, 1) == late);
  o.seed = 43;
  CHECK(fpm::SyntheticFingers(o).impression(7, 2, 1) != late);
  CHECK(a.impression(7, 2, 2) != late);
}

TEST_CASE("synth: counts, positions and frames are realistic", "[synth]") {
  const fpm::SyntheticFingers sf;
  std::size_t total = 0;
  for (std::uint64_t s = 0; s < 200; ++s) {
    const fpm::Template m = sf.master(s, 3);
    CHECK(m.size() >= 20);
    CHECK(m.size() <= 80);
    const fpm::Template t = sf.impression(s, 3, 0);
    CHECK(t.info().position == fpm::FingerPosition::RightMiddle);
    for (const fpm::Minutia& q : t.minutiae()) {
      CHECK(q.x >= 0);
      CHECK(q.x < sf.options().width);
      CHECK(q.y < sf.options().height);
    }
    total += t.size();
  }
  CHECK(total / 200 > 30);
  CHECK(total / 200 < 60);
  CHECK_THROWS_AS(sf.impression(0, 0, 0), fpm::Error);
  CHECK_THROWS_AS(sf.master(0, 11), fpm::Error);
}

TEST_CASE("synth: impressions of one finger match, of others do not", "[synth]") {
  const fpm::SyntheticFingers sf;
  std::size_t ok = 0;
  for (std::uint64_t s = 0; s < 20; ++s) {
    const auto a = fpm::encode_cylinders(sf.impression(s, 1, 0));
    const auto b = fpm::encode_cylinders(sf.impression(s, 1, 1));
    const auto other = fpm::encode_cylinders(sf.impression(s + 100, 1, 1));
    ok += fpm::match(a, b) > fpm::match(a, other);
  }
  CHECK(ok >= 19);
}
