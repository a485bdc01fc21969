// The CUDA score kernels' phases, run on the host: the kernels
// (kernels/score_kernels.cuh) compute a comparison in phases separated by
// barriers, and each phase is a function of kernels/score_phases.cuh that
// both the kernels and this file call. Here every thread of a phase runs in
// turn (a phase has no barrier inside, so that is an order a device allows),
// phase after phase in the kernels' order, in a block's shared-memory layout
// filled with garbage, and each phase's results are compared with the
// scalar CPU specification (src/mcc/score.hpp): the similarity matrix with
// local_similarity, the histogram's floor with its definition, the selected
// pairs with select_pairs, the compatibility matrix with
// lssr_compatibility, the relaxed similarities with lssr_relax and the score
// with lssr_finish and the scalar matcher. What runs only on whole warps or
// blocks (the floor bin's suffix sum over warp 0, the selection by repeated
// maxima, the warp-aggregated appends) is checked by running the kernels
// themselves on CPU threads (tests/test_kernel_emulation.cpp) and by the
// CUDA parity tests.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <vector>

#include "access.hpp"
#include "matcher_data.hpp"
#include "mcc/encoded.hpp"
#include "mcc/score.hpp"
#include "score_phases.cuh"
#include "support.hpp"

namespace {

using namespace fpm::mcc;
namespace K = fpm::kernels;

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// The phases' shared-memory atomics for one host thread: plain counters
// (on a device, one atomic per warp: WarpAtomics in score_kernels.cuh).
struct SerialAtomics {
  void add(int* p, int v) const { *p += v; }
  int append(bool take, int* counter) const { return take ? (*counter)++ : 0; }
  int append_split(bool take, bool first, int* counter) const {
    if (!take) return 0;
    const int c = *counter;
    *counter += first ? 1 : 1 << 16;
    return first ? c & 0xffff : c >> 16;
  }
};

// phase(t, n) for every thread t of a block of n = kThreads.
template <class F>
void each_thread(F&& phase) {
  for (int t = 0; t < K::kThreads; ++t) phase(t, K::kThreads);
}

// One block's dynamic shared memory, filled with garbage as on a device.
struct BlockMemory {
  std::vector<std::uint64_t> words;
  unsigned char* get(std::size_t bytes) {
    words.assign(bytes / 8 + 2, 0xa5a5a5a5a5a5a5a5u);
    return reinterpret_cast<unsigned char*>(words.data());
  }
};

// The scalar specification's workspace.
struct Reference {
  std::vector<std::uint64_t> pairs = std::vector<std::uint64_t>(kMaxCylinders);
  std::vector<float> vectors = std::vector<float>(kWorkspaceVectors * kMaxCylinders);
  std::vector<float> rho = std::vector<float>(kMaxCylinders * kMaxCylinders);
  Workspace w() { return make_workspace(pairs.data(), vectors.data(), rho.data()); }
};

struct Tally {
  std::size_t comparisons = 0, scored = 0, all_cells = 0, whole_cells = 0, ranked = 0, by_maxima = 0, cells = 0,
              survivors = 0, pairs_of_pairs = 0;
  std::size_t mismatches = 0;
  std::string first;
  void mismatch(const std::string& what) {
    if (mismatches++ == 0) first = what;
  }
};

bool same_bits(const float* x, const float* y, int n) {
  for (int i = 0; i < n; ++i)
    if (bits_of(x[i]) != bits_of(y[i])) return false;
  return true;
}

// The scalar specification's relaxation, and the kernels' (two phases per
// step); true when the relaxed similarities agree.
bool relax_matches(int nR, const Workspace& w, const Workspace& ref) {
  lssr_relax(nR, ref);
  for (int it = 0; it < kNRel; ++it) {
    each_thread([&](int t, int n) { K::phase_relax_sum(t, n, nR, w); });
    each_thread([&](int t, int n) { K::phase_relax_update(t, n, nR, w); });
  }
  return same_bits(w.l, ref.l, nR);
}

// score_kernel_compacted's comparison of probe p with entry g, phase by
// phase, checked against the specification on the way.
float compacted_score(const CylinderSetView& p, const CylinderSetView& g, const ScoreTables& T, BlockMemory& memory,
                      Reference& spec, Tally& tally) {
  ++tally.comparisons;
  const K::CompactedLayout L(std::max(p.n, 1), std::max(g.n, 1));
  const K::Shared S = K::shared_pointers(memory.get(L.total), L);
  const SerialAtomics atomics;
  // Before the comparison: the entry's summaries and cleared counters (once
  // per block on a device); the probe's summaries, by the summary kernel's
  // per-cylinder function (once per batch on a device, into global memory),
  // checked against the definitions.
  each_thread([&](int t, int n) {
    K::phase_summarise(t, n, g, S.planes_g, S.counts_g);
    K::phase_clear_counters(t, n, S);
  });
  std::vector<std::uint64_t> probe_planes(std::size_t(std::max(p.n, 1)) * kPlaneWords, 0xa5a5a5a5a5a5a5a5u);
  std::vector<std::uint32_t> probe_counts(std::size_t(std::max(p.n, 1)), 0xa5a5a5a5u);
  for (int i = 0; i < p.n; ++i) {
    K::summarise_cylinder(p.bits + i * kCylinderWords, p.valid + i * kValidityWords,
                          probe_planes.data() + i * kPlaneWords, &probe_counts[i]);
    std::uint64_t want[kPlaneWords];
    layer_count_planes(p.bits + i * kCylinderWords, want);
    if (!std::equal(want, want + kPlaneWords, probe_planes.data() + i * kPlaneWords) ||
        probe_counts[i] != cylinder_counts(p.bits + i * kCylinderWords, p.valid + i * kValidityWords))
      tally.mismatch("probe cylinder " + std::to_string(i) + ": summary");
  }
  const K::Summaries ps = {probe_planes.data(), probe_counts.data()};
  K::Comparison c;
  if (!K::begin_comparison(p, ps, g, S, &c)) return 0.0f;
  const CylinderSetView& a = c.a;
  const CylinderSetView& b = c.b;
  std::ostringstream where;
  where << "n_A " << a.n << ", n_B " << b.n << ": ";
  for (int idx = 0; idx < c.total; ++idx)
    if (K::cell_row(c, idx) != idx / b.n) tally.mismatch(where.str() + "row by multiply and shift");

  // 1. Compacted cells: exactly the direction-compatible ones, whole-disc
  // pairs at the front.
  each_thread([&](int t, int n) { K::phase_compact_cells(t, n, c, S, atomics); });
  int whole = 0;
  const int cells = K::listed_cells(S, &whole);
  std::vector<int> listed, expected;
  for (int i = 0; i < cells; ++i) {
    const int idx = K::listed_cell(c, S, whole, cells, i);
    const int r = idx / b.n, col = idx % b.n;
    listed.push_back(idx);
    if ((i < whole) != (whole_disc(c.counts_a[r]) && whole_disc(c.counts_b[col])))
      tally.mismatch(where.str() + "cell " + std::to_string(idx) + " in the wrong half of the list");
  }
  for (int idx = 0; idx < c.total; ++idx)
    if (direction_compatible(a.theta[idx / b.n], b.theta[idx % b.n])) expected.push_back(idx);
  std::sort(listed.begin(), listed.end());
  if (listed != expected) tally.mismatch(where.str() + "compacted cells");
  tally.cells += static_cast<std::size_t>(cells);
  tally.whole_cells += static_cast<std::size_t>(whole);
  tally.all_cells += static_cast<std::size_t>(c.total);

  // 2. Similarities and histogram.
  each_thread([&](int t, int n) { K::phase_similarities(t, n, c, T, S, atomics); });
  std::vector<float> lambda(c.total);
  int hist[kSimilarityBins] = {};
  for (int idx = 0; idx < c.total; ++idx) {
    lambda[idx] = local_similarity(a, idx / b.n, b, idx % b.n);
    if (lambda[idx] > 0.0f) ++hist[similarity_bin(lambda[idx])];
  }
  if (!same_bits(S.lambda, lambda.data(), c.total)) tally.mismatch(where.str() + "similarity matrix");
  if (!std::equal(hist, hist + kSimilarityBins, S.hist)) tally.mismatch(where.str() + "histogram");

  // 3. The floor, as warp 0's lanes find it (the suffix sum and the choice
  // of the highest lane are the kernel's warp operations), against its
  // definition: the highest bin with at least cap entries at or above it.
  int own[32], suffix[32];
  for (int l = 0; l < 32; ++l) own[l] = K::lane_bin_count(S, l);
  for (int l = 31, run = 0; l >= 0; --l) suffix[l] = run += own[l];
  int floor_bin = 0, m = suffix[0];
  for (int l = 31; l >= 0; --l) {
    int count = 0;
    const int bin = K::lane_floor_bin(S, l, suffix[l] - own[l], c.cap, &count);
    if (bin >= 0) {
      floor_bin = bin;
      m = count;
      break;
    }
  }
  S.counters[K::kFloorBin] = floor_bin;
  S.counters[K::kFloorCount] = m;
  {
    int direct = 0, run = 0;
    for (int bin = kSimilarityBins - 1; bin >= 0; --bin)
      if ((run += hist[bin]) >= c.cap) {
        direct = bin;
        break;
      }
    int at_or_above = 0;
    for (int bin = direct; bin < kSimilarityBins; ++bin) at_or_above += hist[bin];
    if (direct != floor_bin || at_or_above != m) tally.mismatch(where.str() + "floor bin");
  }

  // 4. Selection, against select_pairs.
  const Workspace ref = spec.w();
  const int ref_count = select_pairs(a, b, lambda.data(), ref);
  int nR = 0;
  if (m > K::kRankMax) {
    ++tally.by_maxima;  // the kernel's select_by_maxima (kernel-only) gives the specification's pairs
    nR = select_pairs(a, b, S.lambda, S.w);
  } else if (m > 0) {
    ++tally.ranked;
    each_thread([&](int t, int n) { K::phase_candidates(t, n, c, S, atomics); });
    if (S.counters[K::kCandidates] != m) tally.mismatch(where.str() + "candidates counted");
    each_thread([&](int t, int n) { K::phase_rank_pairs(t, n, c, m, S); });
    nR = m < c.cap ? m : c.cap;
  }
  if (nR != ref_count) {
    tally.mismatch(where.str() + "pair count " + std::to_string(nR) + " != " + std::to_string(ref_count));
    return -1.0f;
  }
  if (!std::equal(S.w.pairs, S.w.pairs + nR, ref.pairs)) tally.mismatch(where.str() + "selected pairs");
  if (nR == 0) return 0.0f;
  ++tally.scored;

  // 5. Gather and rotations, against lssr_gather.
  each_thread([&](int t, int n) { K::phase_gather(t, n, c, nR, S); });
  lssr_gather(a, b, nR, ref);
  for (const auto field : {&Workspace::l0, &Workspace::l, &Workspace::xa, &Workspace::ya, &Workspace::ta,
                           &Workspace::xb, &Workspace::yb, &Workspace::tb})
    if (!same_bits(S.w.*field, ref.*field, nR)) tally.mismatch(where.str() + "gathered pairs");

  // 6. Compatibility: the prefilter's survivors computed exactly, against
  // the full matrix of lssr_compatibility.
  const std::uint64_t inv_r = gather_inverse(nR);
  for (int q = 0; q < nR * nR; ++q)
    if (static_cast<int>((static_cast<std::uint64_t>(q) * inv_r) >> 24) != q / nR)
      tally.mismatch(where.str() + "pair row by multiply and shift");
  each_thread([&](int t, int n) { K::phase_prefilter(t, n, nR, T, S, atomics); });
  each_thread([&](int t, int n) { K::phase_compatibility(t, n, nR, T, S); });
  tally.survivors += static_cast<std::size_t>(S.counters[K::kSurvivors]);
  tally.pairs_of_pairs += static_cast<std::size_t>(nR) * (nR - 1) / 2;
  lssr_compatibility(T, nR, ref);
  if (!same_bits(S.w.rho_t, ref.rho_t, nR * nR)) tally.mismatch(where.str() + "compatibility matrix");

  // 7. Relaxation, then the final step, against lssr_relax and lssr_finish.
  if (!relax_matches(nR, S.w, ref)) tally.mismatch(where.str() + "relaxation");
  each_thread([&](int t, int n) { K::phase_efficiencies(t, n, nR, S.w); });
  each_thread([&](int t, int n) { K::phase_rank_efficiencies(t, n, c, nR, T, S); });
  each_thread([&](int t, int) { K::phase_finish(t, c, nR, T, S); });
  const float score = *K::score_slot(S.reduce);
  if (bits_of(score) != bits_of(lssr_finish(a, b, nR, T, ref))) tally.mismatch(where.str() + "final step");
  return score;
}

// score_kernel_maxima's comparison, phase by phase: the similarity matrix
// in full, the specification's selection in place of the kernel's repeated
// maxima, every compatibility, the relaxation and the final step.
float maxima_score(CylinderSetView a, CylinderSetView b, const ScoreTables& T, BlockMemory& memory, Reference& spec,
                   Tally& tally) {
  if (swap_roles(a, b)) std::swap(a, b);
  if (!comparable(a, b)) return 0.0f;
  const K::MaximaLayout L(a.n, b.n);
  unsigned char* smem = memory.get(L.total);
  float* lambda = reinterpret_cast<float*>(smem + L.lambda);
  const Workspace w = make_workspace(reinterpret_cast<std::uint64_t*>(smem + L.pairs),
                                     reinterpret_cast<float*>(smem + L.floats), lambda);
  auto* reduce = reinterpret_cast<std::uint64_t*>(smem + L.reduce);
  const Workspace ref = spec.w();
  const std::string where = "maxima kernel, n_A " + std::to_string(a.n) + ", n_B " + std::to_string(b.n) + ": ";
  each_thread([&](int t, int n) { K::phase_similarity_matrix(t, n, a, b, lambda); });
  const int nR = select_pairs(a, b, lambda, w);
  if (nR == 0) return 0.0f;
  each_thread([&](int t, int n) { K::phase_gather_pairs(t, n, a, b, nR, w); });
  each_thread([&](int t, int n) { K::phase_full_compatibility(t, n, nR, T, w); });
  std::copy(w.pairs, w.pairs + nR, ref.pairs);
  lssr_gather(a, b, nR, ref);
  lssr_compatibility(T, nR, ref);
  if (!same_bits(w.rho_t, ref.rho_t, nR * nR)) tally.mismatch(where + "compatibility matrix");
  if (!relax_matches(nR, w, ref)) tally.mismatch(where + "relaxation");
  each_thread([&](int t, int) { K::phase_lssr_finish(t, a, b, nR, T, w, reduce); });
  return *K::score_slot(reduce);
}

// Every ordered pair of `es`: emulated kernel score == scalar CPU score.
void check_all_pairs(const std::vector<fpm::EncodedTemplate>& es, Tally& tally) {
  const ScoreTables& T = score_tables();
  BlockMemory memory;
  Reference spec;
  fpm::Matcher scalar(fpm::SimdLevel::Scalar);
  for (std::size_t i = 0; i < es.size(); ++i)
    for (std::size_t j = 0; j < es.size(); ++j) {
      const float ref = scalar.match(es[i], es[j]);
      const CylinderSetView p = fpm::detail::Access::data(es[i]).view(), g = fpm::detail::Access::data(es[j]).view();
      const std::string pair = "templates " + std::to_string(i) + " vs " + std::to_string(j);
      const float v = compacted_score(p, g, T, memory, spec, tally);
      if (bits_of(v) != bits_of(ref))
        tally.mismatch(pair + ": score " + std::to_string(v) + " != " + std::to_string(ref));
      const float vm = maxima_score(p, g, T, memory, spec, tally);
      if (bits_of(vm) != bits_of(ref))
        tally.mismatch(pair + ": maxima kernel score " + std::to_string(vm) + " != " + std::to_string(ref));
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

TEST_CASE("kernel steps: the score kernels' phases reproduce the CPU on the shared templates",
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
TEST_CASE("kernel steps: the score kernels' phases reproduce the CPU on synthetic and lattice templates",
          "[kernel]") {
  const std::uint64_t seed = fpm_test::fresh_seed("kernel steps");
  const std::vector<fpm::EncodedTemplate> es = fpm_test::parity_templates(seed, 10, 3);
  Tally tally;
  check_all_pairs(es, tally);
  INFO("seed " << seed);
  report(tally);
  CHECK(tally.ranked > 0);
  CHECK(tally.by_maxima > 0);
}
