// The CUDA score kernel's steps, run on the host: the kernel
// (kernels/search_kernels.cu) computes a comparison in phases separated by
// barriers, each a loop over independent items that calls the shared
// helpers of src/mcc (summaries, the selection by histogram floor and
// ranks, the compatibility prefilter, the parallel final step). This file
// replays those phases in the kernel's order with the same helpers and
// checks every intermediate (similarities, selected pairs, the floor found
// lane by lane as warp 0 finds it) and the score against the CPU reference,
// so that the kernel's arithmetic is verified on every build, with or
// without a GPU. What only a device can check (warp intrinsics, atomics,
// barriers) is covered by the CUDA parity tests.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <vector>

#include "matcher_data.hpp"
#include "mcc/encoded.hpp"
#include "mcc/parallel_select.hpp"
#include "mcc/prefilter.hpp"
#include "mcc/score.hpp"
#include "mcc/summary.hpp"
#include "support.hpp"

namespace {

using namespace fpm::mcc;

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Scratch of one emulated block, sized for the largest sets.
struct Scratch {
  std::vector<std::uint64_t> pairs = std::vector<std::uint64_t>(kMaxCylinders);
  std::vector<float> vectors = std::vector<float>(kWorkspaceVectors * kMaxCylinders);
  std::vector<float> matrix = std::vector<float>(kMaxCylinders * kMaxCylinders);
  std::vector<std::uint64_t> ref_pairs = std::vector<std::uint64_t>(kMaxCylinders);
  std::vector<float> ref_vectors = std::vector<float>(kWorkspaceVectors * kMaxCylinders);
  std::vector<float> ref_rho = std::vector<float>(kMaxCylinders * kMaxCylinders);
};

struct Tally {
  std::size_t comparisons = 0, scored = 0, all_cells = 0, whole_cells = 0, ranked = 0, by_maxima = 0, cells = 0, survivors = 0, pairs_of_pairs = 0;
  std::size_t mismatches = 0;
  std::string first;
  void mismatch(const std::string& what) {
    if (mismatches++ == 0) first = what;
  }
};

struct Summaries {
  std::vector<std::uint64_t> planes;
  std::vector<std::uint32_t> counts;
  explicit Summaries(const CylinderSetView& v) : planes(std::size_t(v.n) * kPlaneWords), counts(v.n) {
    for (int i = 0; i < v.n; ++i) {
      layer_count_planes(v.bits + i * kCylinderWords, planes.data() + i * kPlaneWords);
      counts[i] = cylinder_counts(v.bits + i * kCylinderWords, v.valid + i * kValidityWords);
    }
  }
  CylinderRef ref(const CylinderSetView& v, int i) const {
    return {v.bits + i * kCylinderWords, v.valid + i * kValidityWords, planes.data() + i * kPlaneWords, counts[i]};
  }
};

// score_kernel's block_score for probe p against entry g, phase by phase.
float emulate_block_score(CylinderSetView p, CylinderSetView g, const ScoreTables& T, Scratch& s, Tally& tally) {
  ++tally.comparisons;
  const bool swapped = swap_roles(p, g);
  const CylinderSetView a = swapped ? g : p, b = swapped ? p : g;
  if (!comparable(a, b)) return 0.0f;
  const Summaries sa(a), sb(b);
  const int total = a.n * b.n;
  const std::uint64_t inv_b = gather_inverse(b.n);
  std::ostringstream where;
  where << "n_A " << a.n << ", n_B " << b.n << ": ";

  // 1. Direction test, compacted: pairs of whole-disc cylinders in one
  // list, the others in another.
  std::vector<float> lambda(total);
  std::vector<int> whole_list, other_list;
  for (int idx = 0; idx < total; ++idx) {
    const int r = static_cast<int>((static_cast<std::uint64_t>(idx) * inv_b) >> 24), c = idx - r * b.n;
    if (r != idx / b.n) tally.mismatch(where.str() + "row by multiply and shift");
    if (!direction_compatible(a.theta[r], b.theta[c]))
      lambda[idx] = 0.0f;
    else if (whole_disc(sa.counts[r]) && whole_disc(sb.counts[c]))
      whole_list.push_back(idx);
    else
      other_list.push_back(idx);
  }
  tally.cells += whole_list.size() + other_list.size();
  tally.whole_cells += whole_list.size();
  tally.all_cells += static_cast<std::size_t>(total);
  // 2. Similarities from the summaries, histogram.
  int hist[kSimilarityBins] = {};
  for (int whole = 1; whole >= 0; --whole)
    for (int idx : whole ? whole_list : other_list) {
      const int r = static_cast<int>((static_cast<std::uint64_t>(idx) * inv_b) >> 24), c = idx - r * b.n;
      const float v = whole ? local_similarity_whole_discs(sa.ref(a, r), sb.ref(b, c), T.sqrt_count)
                            : local_similarity_summarised(sa.ref(a, r), sb.ref(b, c), T.sqrt_count);
      if (bits_of(v) != bits_of(local_similarity(a, r, b, c)))
        tally.mismatch(where.str() + "similarity of cell " + std::to_string(idx));
      lambda[idx] = v;
      if (v > 0.0f) ++hist[similarity_bin(v)];
    }
  // 3. The floor, as warp 0's lanes find it.
  const int cap = a.n < b.n ? a.n : b.n;
  int own[32], suffix[32];
  for (int l = 0; l < 32; ++l) {
    own[l] = 0;
    for (int k = 0; k < 8; ++k) own[l] += hist[8 * l + k];
  }
  for (int l = 31, run = 0; l >= 0; --l) suffix[l] = run += own[l];
  int floor_bin = 0, m = suffix[0];
  for (int l = 31; l >= 0; --l) {
    int count = 0;
    const int bin = floor_bin_in_range(hist, 8 * l, 8 * l + 8, suffix[l] - own[l], cap, &count);
    if (bin >= 0) {
      floor_bin = bin;
      m = count;
      break;
    }
  }
  {  // The definition: the highest bin with at least cap entries at or above it.
    int direct = 0, run = 0;
    for (int bin = kSimilarityBins - 1; bin >= 0; --bin)
      if ((run += hist[bin]) >= cap) {
        direct = bin;
        break;
      }
    int at_or_above = 0;
    for (int bin = direct; bin < kSimilarityBins; ++bin) at_or_above += hist[bin];
    if (direct != floor_bin || at_or_above != m) tally.mismatch(where.str() + "floor bin");
  }
  // 4. Selection, checked against the reference heap.
  const Workspace w = make_workspace(s.pairs.data(), s.vectors.data(), s.matrix.data());
  const Workspace ref = make_workspace(s.ref_pairs.data(), s.ref_vectors.data(), s.ref_rho.data());
  const int ref_count = select_pairs(a, b, lambda.data(), ref);
  int nR = 0;
  if (m > kMaxRankedCandidates) {
    ++tally.by_maxima;  // the kernel's select_by_maxima gives the reference's pairs
    nR = select_pairs(a, b, lambda.data(), w);
  } else if (m > 0) {
    ++tally.ranked;
    std::vector<std::uint64_t> keys;
    for (int idx = 0; idx < total; ++idx)
      if (lambda[idx] > 0.0f && similarity_bin(lambda[idx]) >= floor_bin)
        keys.push_back(pair_key(lambda[idx], static_cast<std::uint32_t>(idx)));
    if (static_cast<int>(keys.size()) != m) tally.mismatch(where.str() + "candidates counted");
    for (std::uint64_t key : keys) {
      const int rank = key_rank(keys.data(), m, key);
      if (rank < cap) w.pairs[rank] = key;
    }
    nR = m < cap ? m : cap;
  }
  if (nR != ref_count) {
    tally.mismatch(where.str() + "pair count " + std::to_string(nR) + " != " + std::to_string(ref_count));
    return -1.0f;
  }
  for (int t = 0; t < nR; ++t)
    if (w.pairs[t] != ref.pairs[t]) tally.mismatch(where.str() + "selected pair " + std::to_string(t));
  if (nR == 0) return 0.0f;
  ++tally.scored;
  // 5. Gather and rotations.
  float phi[kMaxCylinders];
  for (int t = 0; t < nR; ++t) {
    lssr_gather_pair(a, b, inv_b, t, w);
    phi[t] = pair_rotation(w, t);
  }
  // 6. Compatibility: zeros, then the prefilter's survivors in both orders.
  const PrefilterLimits lim(T);
  const std::uint64_t inv_r = gather_inverse(nR);
  std::vector<int> survivors;
  for (int q = 0; q < nR * nR; ++q) {
    const int k = static_cast<int>((static_cast<std::uint64_t>(q) * inv_r) >> 24), t = q - k * nR;
    if (k != q / nR) tally.mismatch(where.str() + "pair row by multiply and shift");
    w.rho_t[q] = 0.0f;
    if (t > k && compatibility_may_be_nonzero(lim, w, phi, t, k)) survivors.push_back(q);
  }
  tally.survivors += survivors.size();
  tally.pairs_of_pairs += static_cast<std::size_t>(nR) * (nR - 1) / 2;
  for (int q : survivors) {
    const int k = static_cast<int>((static_cast<std::uint64_t>(q) * inv_r) >> 24), t = q - k * nR;
    w.rho_t[k * nR + t] = pair_compatibility(T, w, t, k);
    w.rho_t[t * nR + k] = pair_compatibility(T, w, k, t);
  }
  lssr_gather(a, b, nR, ref);
  lssr_compatibility(T, nR, ref);
  for (int q = 0; q < nR * nR; ++q)
    if (bits_of(w.rho_t[q]) != bits_of(ref.rho_t[q])) {
      tally.mismatch(where.str() + "compatibility " + std::to_string(q));
      break;
    }
  // 7. Relaxation (the kernel's thread t sums over k ascending, as lssr_relax),
  // efficiencies ranked, taken similarities summed in order.
  lssr_relax(nR, w);
  for (int t = 0; t < nR; ++t) w.acc[t] = w.l[t] / w.l0[t];
  const int np = T.np[cap];
  const int take = np < nR ? np : nR;
  float taken[kMaxCylinders];
  for (int t = 0; t < nR; ++t) {
    const int rank = efficiency_rank(w.acc, nR, t);
    if (rank < take) taken[rank] = w.l[t];
  }
  return finish_from_taken(a, b, nR, T, taken);
}

// Every ordered pair of `es`: emulated kernel score == scalar CPU score.
void check_all_pairs(const std::vector<fpm::EncodedTemplate>& es, Tally& tally) {
  const ScoreTables& T = score_tables();
  Scratch s;
  fpm::Matcher scalar(fpm::SimdLevel::Scalar);
  for (std::size_t i = 0; i < es.size(); ++i)
    for (std::size_t j = 0; j < es.size(); ++j) {
      const float ref = scalar.match(es[i], es[j]);
      const float v = emulate_block_score(es[i].data().view(), es[j].data().view(), T, s, tally);
      if (bits_of(v) != bits_of(ref))
        tally.mismatch("templates " + std::to_string(i) + " vs " + std::to_string(j) + ": score " + std::to_string(v) +
                       " != " + std::to_string(ref));
    }
}

void report(const Tally& t) {
  INFO("first mismatch: " << t.first);
  CHECK(t.mismatches == 0);
  std::printf("kernel steps: %zu comparisons, %zu scored (%zu ranked, %zu by maxima); %.1f%% of cells pass the "
              "direction test, %.1f%% of those between whole discs; %.1f%% of pairs of pairs pass the prefilter\n",
              t.comparisons, t.scored, t.ranked, t.by_maxima,
              t.all_cells ? 100.0 * static_cast<double>(t.cells) / static_cast<double>(t.all_cells) : 0.0,
              t.cells ? 100.0 * static_cast<double>(t.whole_cells) / static_cast<double>(t.cells) : 0.0,
              t.pairs_of_pairs ? 100.0 * static_cast<double>(t.survivors) / static_cast<double>(t.pairs_of_pairs) : 0.0);
}

}  // namespace

TEST_CASE("kernel steps: the score kernel's phases reproduce the CPU on the shared templates",
          "[kernel][shared-data]") {
  Tally tally;
  for (const char* set : {"fvc2002_db1b", "fvc2002_db2b"}) check_all_pairs(fpm_test::load_fvc(set).encoded, tally);
  report(tally);
  CHECK(tally.comparisons == 2 * 80 * 80);
  CHECK(tally.whole_cells > 0);
  CHECK(tally.ranked > tally.comparisons / 2);
}

// Fresh synthetic impressions (seed printed) and regular lattices, whose
// many identical cylinders tie at the floor beyond the ranked candidates.
TEST_CASE("kernel steps: the score kernel's phases reproduce the CPU on synthetic and lattice templates", "[kernel]") {
  const std::uint64_t seed = fpm_test::fresh_seed("kernel steps");
  fpm::SynthOptions o;
  o.seed = seed;
  const fpm::SyntheticFingers sf(o);
  std::vector<fpm::EncodedTemplate> es;
  for (std::uint64_t subject = 0; subject < 10; ++subject)
    for (std::uint64_t imp = 0; imp < 3; ++imp) es.push_back(fpm::encode(sf.impression(subject, 1 + subject % 10, imp)));
  for (int side : {6, 9, 11}) es.push_back(fpm::encode(fpm_test::lattice_template(side)));
  Tally tally;
  check_all_pairs(es, tally);
  INFO("seed " << seed);
  report(tally);
  CHECK(tally.ranked > 0);
  CHECK(tally.by_maxima > 0);
}
