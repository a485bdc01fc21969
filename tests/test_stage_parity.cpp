// Per-stage parity: every CPU variant of every scoring stage against the
// specification (the scalar stages of src/mcc/score.hpp), each variant fed
// the specification's own inputs, so that a stage that is wrong in a way the
// final score hides still fails here. On the shared FVC sets and on fresh
// synthetic and random inputs; a SIMD level this CPU cannot run is a
// visible SKIP.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "access.hpp"
#include "cpu/first_stage_scores.hpp"
#include "cpu/score_stages.hpp"
#include "cpu/stage_variants.hpp"
#include "index/first_stage_code.hpp"
#include "matcher_data.hpp"
#include "mcc/encoded.hpp"
#include "mcc/score.hpp"
#include "support.hpp"

namespace {

using fpm::SimdLevel;
using fpm::cpu::ScoreScratch;
using fpm::cpu::ScoreStages;
using fpm::cpu::SetSummary;
namespace mcc = fpm::mcc;

std::vector<SimdLevel> simd_levels_or_skip() {
  std::vector<SimdLevel> levels;
  std::string missing;
  for (SimdLevel l : {SimdLevel::Avx2, SimdLevel::Avx512}) {
    if (fpm::simd_level_supported(l))
      levels.push_back(l);
    else
      missing += std::string(missing.empty() ? "" : ", ") + fpm::simd_level_name(l);
  }
  if (!missing.empty()) WARN("SKIP: this CPU cannot run the " << missing << " stages; they are not compared");
  if (levels.empty()) fpm_test::skip("this CPU has neither AVX2 nor AVX-512");
  return levels;
}

bool same_bits(const float* a, const float* b, int n) { return n <= 0 || std::memcmp(a, b, sizeof(float) * n) == 0; }

// Compares each stage of `v` with the specification on the pair (a, b),
// roles ordered as every matcher orders them. Returns an empty string or
// the first stage that differs.
std::string compare_stages(const ScoreStages& v, mcc::CylinderSetView a, mcc::CylinderSetView b, ScoreScratch& spec,
                           ScoreScratch& var) {
  if (mcc::swap_roles(a, b)) std::swap(a, b);
  if (!mcc::comparable(a, b)) return "";
  const mcc::ScoreTables& T = mcc::score_tables();
  // Summaries.
  SetSummary ra, rb;
  fpm::cpu::summarise_scalar(a, ra);
  fpm::cpu::summarise_scalar(b, rb);
  v.summarise(a, var.first);
  v.summarise(b, var.second);
  for (const auto& [ref, got] : {std::pair<SetSummary*, SetSummary*>{&ra, &var.first}, {&rb, &var.second}})
    for (int j = 0; j < ref->n; ++j) {
      if (std::memcmp(ref->planes[j], got->planes[j], 8 * mcc::kPlaneWords) != 0) return "summary planes";
      if (ref->counts[j] != got->counts[j]) return "summary counts";
      if (((ref->full[j / 64] ^ got->full[j / 64]) >> (j % 64) & 1) != 0) return "summary whole-disc bits";
    }
  // Stage 1: the similarity matrix.
  const int cells = a.n * b.n;
  fpm::cpu::similarity_scalar(a, ra, b, rb, spec.lambda.data());
  v.similarity(a, var.first, b, var.second, var.lambda.data());
  if (!same_bits(spec.lambda.data(), var.lambda.data(), cells)) return "similarity matrix";
  // Stage 2: the selected pairs, from the specification's matrix.
  const int nR = mcc::select_pairs(a, b, spec.lambda.data(), spec.ws);
  const int vnR = v.select(a, b, spec.lambda.data(), var.ws);
  if (vnR != nR) return "number of selected pairs";
  if (std::memcmp(spec.ws.pairs, var.ws.pairs, 8 * static_cast<std::size_t>(nR)) != 0) return "selected pairs";
  if (nR == 0) return "";
  // Stage 3 is shared; both workspaces gather the specification's pairs.
  mcc::lssr_gather(a, b, nR, spec.ws);
  mcc::lssr_gather(a, b, nR, var.ws);
  // Stage 4: the compatibility matrix.
  mcc::lssr_compatibility(T, nR, spec.ws);
  v.compatibility(T, nR, var.ws);
  if (!same_bits(spec.ws.rho_t, var.ws.rho_t, nR * nR)) return "compatibility matrix";
  // Stage 5: the relaxed similarities, from the specification's matrix.
  std::memcpy(var.ws.rho_t, spec.ws.rho_t, sizeof(float) * nR * nR);
  mcc::lssr_relax(nR, spec.ws);
  v.relax(nR, var.ws);
  if (!same_bits(spec.ws.l, var.ws.l, nR)) return "relaxed similarities";
  // Stage 6: the final score, from the specification's relaxed vectors.
  std::memcpy(var.ws.l, spec.ws.l, sizeof(float) * nR);
  const float s_spec = mcc::lssr_finish(a, b, nR, T, spec.ws);
  const float s_var = v.finish(a, b, nR, T, var.ws);
  if (std::memcmp(&s_spec, &s_var, sizeof s_spec) != 0) return "final score";
  // The whole composition.
  const float whole = fpm::cpu::score_pair(v, {a, &var.first}, {b, &var.second}, var);
  if (std::memcmp(&s_spec, &whole, sizeof whole) != 0) return "composed score";
  return "";
}

// Every pair (i <= j: the roles are ordered anyway) of `sets` through every
// level; returns how many pairs reached the relaxation.
void check_all_pairs(const std::vector<fpm::EncodedTemplate>& sets, const std::string& what) {
  const std::vector<SimdLevel> levels = simd_levels_or_skip();
  ScoreScratch spec, var;
  std::size_t compared = 0;
  for (SimdLevel l : levels) {
    const ScoreStages& v = fpm::cpu::score_stages(l);
    for (std::size_t i = 0; i < sets.size(); ++i)
      for (std::size_t j = i; j < sets.size(); ++j) {
        const std::string bad = compare_stages(v, fpm::detail::Access::data(sets[i]).view(), fpm::detail::Access::data(sets[j]).view(), spec, var);
        if (!bad.empty())
          FAIL_CHECK(what << ": " << fpm::simd_level_name(l) << " differs from the specification in the " << bad
                          << " of pair " << i << ", " << j);
        ++compared;
      }
  }
  CHECK(compared == levels.size() * sets.size() * (sets.size() + 1) / 2);
}

}  // namespace

TEST_CASE("stages: every SIMD stage equals the specification on the shared sets", "[stages][shared-data]") {
  for (const char* set : {"fvc2002_db1b", "fvc2002_db2b"}) check_all_pairs(fpm_test::load_fvc(set).encoded, set);
}

// Genuine pairs of synthetic impressions reach the relaxation with many
// compatible pairs of pairs; random templates and lattices meet the edges
// (ties at the selection's floor, sets of every size up to the cap).
TEST_CASE("stages: every SIMD stage equals the specification on fresh inputs", "[stages]") {
  const std::uint64_t seed = fpm_test::fresh_seed("stage parity");
  std::vector<fpm::EncodedTemplate> es = fpm_test::parity_templates(seed, 8, 3);
  std::mt19937 rng(static_cast<std::uint32_t>(seed));
  for (int n : {3, 9, 17, 31, 64, 130, 200}) es.push_back(fpm::encode_cylinders(fpm_test::random_template(rng, n)));
  std::ostringstream what;
  what << "seed " << seed;
  check_all_pairs(es, what.str());
}

TEST_CASE("stages: each level's table names its own variants", "[stages]") {
  CHECK(fpm::cpu::score_stages(SimdLevel::Scalar).summarise == nullptr);
  CHECK(fpm::cpu::score_stages(SimdLevel::Scalar).similarity == fpm::cpu::similarity_scalar);
  CHECK(fpm::cpu::score_stages(SimdLevel::Avx2).similarity == fpm::cpu::similarity_avx2);
  CHECK(fpm::cpu::score_stages(SimdLevel::Avx512).similarity == fpm::cpu::similarity_avx512);
  for (SimdLevel l : {SimdLevel::Scalar, SimdLevel::Avx2, SimdLevel::Avx512})
    CHECK(fpm::cpu::score_stages(l).level == l);
  CHECK_THROWS_AS(fpm::cpu::score_stages(SimdLevel::Auto), fpm::Error);
}

// The first-stage scores of every level (cpu/first_stage_scores.hpp)
// against the specification, index::code_score: all pairs of the codes of
// two shared sets, and random codes of every slot count (random words in
// the filled slots: every geometry and signature, slots of 1 to 32).
TEST_CASE("stages: every level's first-stage scores equal the specification", "[stages][shared-data]") {
  namespace index = fpm::index;
  const std::vector<SimdLevel> levels = simd_levels_or_skip();
  std::vector<std::uint64_t> codes;
  std::vector<std::uint32_t> aux;
  const auto add = [&](const mcc::CylinderSetView& v) {
    const std::size_t at = codes.size();
    codes.resize(at + index::kCodeWords);
    aux.push_back(index::make_code(v, codes.data() + at));
  };
  for (const char* set : {"fvc2002_db1b", "secugen_fvc2002_db3b"})
    for (const fpm::EncodedTemplate& e : fpm_test::load_fvc(set).encoded) add(fpm::detail::Access::data(e).view());
  const std::uint64_t seed = fpm_test::fresh_seed("first-stage parity");
  std::mt19937_64 rng(seed);
  for (std::uint32_t slots = 0; slots <= static_cast<std::uint32_t>(index::kCodeCylinders); ++slots)
    for (int copy = 0; copy < 3; ++copy) {
      const std::size_t at = codes.size();
      codes.resize(at + index::kCodeWords, 0);
      for (std::uint32_t w = 0; w < slots * index::kSlotWords; ++w) codes[at + w] = rng();
      aux.push_back(slots);
    }
  // Degenerate and tie-heavy codes: every slot the same (all-equal cells:
  // every similarity ties), all bits set, one slot, and an aux above the
  // slot count (the scores read at most kCodeCylinders slots).
  for (const std::uint64_t fill : {std::uint64_t{0}, ~std::uint64_t{0}, std::uint64_t{0x5555555555555555}})
    for (const std::uint32_t slots : {1u, 2u, 9u, 31u, 32u}) {
      const std::size_t at = codes.size();
      codes.resize(at + index::kCodeWords, 0);
      for (std::uint32_t w = 0; w < slots * index::kSlotWords; ++w) codes[at + w] = fill;
      aux.push_back(slots);
    }
  {
    const std::size_t at = codes.size();
    codes.resize(at + index::kCodeWords, 0);
    for (int w = 0; w < index::kCodeWords; ++w) codes[at + static_cast<std::size_t>(w)] = rng();
    aux.push_back(0xFFFFFFFFu);
  }
  const std::size_t n = aux.size();
  std::vector<std::uint32_t> got(n), prepared(n);
  std::size_t compared = 0;
  for (SimdLevel l : levels)
    for (std::size_t p = 0; p < n; ++p) {
      const std::uint64_t* probe = codes.data() + p * index::kCodeWords;
      fpm::cpu::first_stage_scores(l, probe, aux[p], codes.data(), aux.data(), n, got.data());
      // The prepared probe, one gallery code per call (as the per-subject
      // search calls it), gives the same integers.
      const fpm::cpu::FirstStageProbe fp = fpm::cpu::prepare_first_stage_probe(probe, aux[p]);
      for (std::size_t e = 0; e < n; ++e)
        fpm::cpu::first_stage_scores(l, fp, codes.data() + e * index::kCodeWords, aux.data() + e, 1, &prepared[e]);
      CHECK(prepared == got);
      for (std::size_t e = 0; e < n; ++e) {
        const std::uint32_t want = index::code_score(probe, aux[p], codes.data() + e * index::kCodeWords, aux[e]);
        if (got[e] != want)
          FAIL_CHECK(fpm::simd_level_name(l) << " first-stage score of codes " << p << ", " << e << ": " << got[e]
                                             << ", the specification " << want << " (seed " << seed << ")");
        ++compared;
      }
    }
  CHECK(compared == levels.size() * n * n);
}
