// The CUDA score kernels themselves (kernels/score_kernels.cuh), run on CPU
// threads by tests/cuda_emulation.hpp: every score of a batch of probes
// against a set of entries equals the CPU reference bit for bit, for the
// compacted kernel (fed the probe summaries of the summary kernel, which
// are checked against mcc::layer_count_planes and mcc::cylinder_counts
// first) and the maxima one, with entry offsets, finger-position
// checks, templates too small to compare and large ties at the selection
// floor. This runs on every build; the CUDA parity tests repeat it on a
// device.
#include "access.hpp"
#include "cuda_emulation.hpp"  // first: defines the CUDA built-ins for the kernels
#include "score_kernels.cuh"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>

#include "fpmatch/fpmatch.hpp"
#include "gallery/gallery_data.hpp"
#include "mcc/encoded.hpp"
#include "matcher_data.hpp"
#include "mcc/tables.hpp"
#include "support.hpp"

namespace {

// Cylinder sets packed as the device holds them, in host memory: a
// gallery's arrays (mcc::PackedSetsView), with max_cylinders set as the
// device code sets it (it sizes the kernels' shared memory).
struct HostSets {
  fpm::Gallery gallery;
  void add(const fpm::EncodedTemplate& e, std::uint8_t pos) { gallery.add("s", pos, e); }
  fpm::mcc::PackedSetsView view() const {
    fpm::mcc::PackedSetsView v = fpm::detail::Access::data(gallery).packed();
    v.max_cylinders = 1;
    for (std::uint32_t i = 0; i < v.count; ++i) v.max_cylinders = std::max(v.max_cylinders, v.set(i).n);
    return v;
  }
};

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

fpm::EncodedTemplate lattice(int side) { return fpm::encode_cylinders(fpm_test::lattice_template(side)); }

enum class Kernel { Compacted, Maxima };

// The probe batch's summaries as the device computes them: the summary
// kernel, on a grid smaller than the batch (so that its stride loop runs),
// into arrays filled with garbage; every cylinder's summary is checked
// against mcc::layer_count_planes and mcc::cylinder_counts.
struct ProbeSummaries {
  std::vector<std::uint64_t> planes;
  std::vector<std::uint32_t> counts;
  explicit ProbeSummaries(const fpm::mcc::PackedSetsView& v) {
    const std::uint64_t cylinders = v.offset[v.count];
    planes.assign(cylinders * fpm::mcc::kPlaneWords + 1, 0xa5a5a5a5a5a5a5a5u);
    counts.assign(cylinders + 1, 0xa5a5a5a5u);
    fpm_emu::launch_sequential(fpm::kernels::summary_kernel, 2, 32, v, planes.data(), counts.data());
    for (std::uint64_t c = v.offset[0]; c < cylinders; ++c) {
      std::uint64_t want[fpm::mcc::kPlaneWords];
      fpm::mcc::layer_count_planes(v.bits + c * fpm::mcc::kCylinderWords, want);
      if (!std::equal(want, want + fpm::mcc::kPlaneWords, planes.data() + c * fpm::mcc::kPlaneWords))
        FAIL_CHECK("probe cylinder " << c << ": planes");
      const std::uint32_t want_counts = fpm::mcc::cylinder_counts(v.bits + c * fpm::mcc::kCylinderWords,
                                                                  v.valid + c * fpm::mcc::kValidityWords);
      if (counts[c] != want_counts) FAIL_CHECK("probe cylinder " << c << ": counts");
    }
    // Nothing past the batch's last cylinder is written.
    CHECK(planes.back() == 0xa5a5a5a5a5a5a5a5u);
    CHECK(counts.back() == 0xa5a5a5a5u);
  }
  fpm::kernels::Summaries view() const { return {planes.data(), counts.data()}; }
};

// Probes against entries [e_begin, count) through `kernel` (or, with a
// list, entries list[0], list[1], ..., probe p only where bit p of rows[i]
// is set: kernels/entry_list.hpp), each score compared with the scalar CPU
// matcher (-1 where positions are checked and differ, or the row mask
// leaves the probe out). Returns the number of comparisons the CPU scores
// above 0.
int check_kernel(Kernel kernel, std::size_t shared_bytes, const std::vector<fpm::EncodedTemplate>& probes,
                 const std::vector<std::uint8_t>& probe_pos, const std::vector<fpm::EncodedTemplate>& entries,
                 const std::vector<std::uint8_t>& entry_pos, std::uint32_t e_begin, bool check_positions,
                 const std::vector<std::uint32_t>& list = {}, const std::vector<std::uint64_t>& rows = {}) {
  HostSets p, g;
  for (std::size_t i = 0; i < probes.size(); ++i) p.add(probes[i], probe_pos[i]);
  for (std::size_t i = 0; i < entries.size(); ++i) g.add(entries[i], entry_pos[i]);
  const fpm::kernels::EntryList el{list.empty() ? nullptr : list.data(), rows.empty() ? nullptr : rows.data(), 1};
  const auto n = list.empty() ? static_cast<std::uint32_t>(entries.size()) - e_begin
                              : static_cast<std::uint32_t>(list.size());
  std::vector<float> scores(probes.size() * n, 99.0f);
  if (kernel == Kernel::Compacted) {
    // As a search runs it: the summary kernel on the batch, then the score kernel.
    const ProbeSummaries summaries(p.view());
    fpm_emu::launch(fpm::kernels::score_kernel_compacted, n, 256, shared_bytes, p.view(), summaries.view(), g.view(),
                    e_begin, n, check_positions, &fpm::mcc::score_tables(), scores.data(), el);
  } else {
    fpm_emu::launch(fpm::kernels::score_kernel_maxima, n, 256, shared_bytes, p.view(), g.view(), e_begin, n,
                    check_positions, &fpm::mcc::score_tables(), scores.data(), el);
  }
  fpm::Matcher scalar(fpm::SimdLevel::Scalar);
  int positive = 0;
  for (std::size_t i = 0; i < probes.size(); ++i)
    for (std::uint32_t e = 0; e < n; ++e) {
      const std::uint32_t ge = list.empty() ? e_begin + e : list[e];
      const std::uint8_t pp = probe_pos[i], gp = entry_pos[ge];
      const bool listed_out = !rows.empty() && ((rows[e] >> i) & 1u) == 0;
      const bool skip = (check_positions && pp != 0 && gp != 0 && pp != gp) || listed_out;
      const float ref = skip ? -1.0f : scalar.match(probes[i], entries[ge]);
      const float got = scores[i * n + e];
      if (bits_of(got) != bits_of(ref)) FAIL_CHECK("probe " << i << " entry " << ge << ": " << got << " != " << ref);
      positive += ref > 0.0f ? 1 : 0;
    }
  return positive;
}

}  // namespace

TEST_CASE("kernel emulation: the score kernels give the CPU's scores on CPU threads", "[kernel]") {
  const std::uint64_t seed = fpm_test::fresh_seed("kernel emulation");
  INFO("seed " << seed);
  const fpm::SyntheticFingers sf = fpm_test::synthetic_fingers(seed);
  // Entries: three subjects' impressions, a lattice (ties at the floor), a
  // template too small to compare and an empty one; probes: other
  // impressions of the same subjects, a lattice, a small template.
  std::vector<fpm::EncodedTemplate> entries, probes;
  std::vector<std::uint8_t> entry_pos, probe_pos;
  for (std::uint64_t s = 0; s < 3; ++s) {
    entries.push_back(fpm::encode_cylinders(sf.impression(s, 1 + s, 0)));
    entry_pos.push_back(static_cast<std::uint8_t>(1 + s));
    probes.push_back(fpm::encode_cylinders(sf.impression(s, 1 + s, 1)));
    probe_pos.push_back(s == 1 ? 0 : static_cast<std::uint8_t>(1 + s));
  }
  entries.push_back(lattice(11));
  entry_pos.push_back(2);
  probes.push_back(lattice(11));
  probe_pos.push_back(0);
  std::vector<fpm::Minutia> few(3);
  for (int i = 0; i < 3; ++i) {
    few[i].x = 100.0f + 20.0f * i;
    few[i].y = 120.0f;
    few[i].theta = 0.5f;
    few[i].type = fpm::MinutiaType::Bifurcation;
  }
  entries.push_back(fpm::encode_cylinders(fpm::Template(fpm::TemplateInfo{}, few)));
  entry_pos.push_back(0);
  entries.push_back(fpm::EncodedTemplate());
  entry_pos.push_back(4);
  probes.push_back(fpm::encode_cylinders(fpm::Template(fpm::TemplateInfo{}, few)));
  probe_pos.push_back(3);

  int max_p = 1, max_g = 1;
  for (const auto& e : probes) max_p = std::max(max_p, static_cast<int>(e.cylinders()));
  for (const auto& e : entries) max_g = std::max(max_g, static_cast<int>(e.cylinders()));
  const Kernel compacted = Kernel::Compacted;
  const Kernel maxima = Kernel::Maxima;
  const std::size_t compacted_bytes = fpm::kernels::CompactedLayout(max_p, max_g).total;
  const std::size_t maxima_bytes = fpm::kernels::MaximaLayout(max_p, max_g).total;

  SECTION("compacted kernel, every entry") {
    CHECK(check_kernel(compacted, compacted_bytes, probes, probe_pos, entries, entry_pos, 0, false) >= 3);
  }
  SECTION("compacted kernel, from entry 1, finger positions checked") {
    CHECK(check_kernel(compacted, compacted_bytes, probes, probe_pos, entries, entry_pos, 1, true) >= 2);
  }
  SECTION("maxima kernel") {
    CHECK(check_kernel(maxima, maxima_bytes, probes, probe_pos, entries, entry_pos, 0, true) >= 3);
  }
  // An entry list (out of order, one entry twice) with row masks: stage 2
  // of a two-stage search; every subject's genuine pair stays listed.
  const std::vector<std::uint32_t> list = {2, 0, 3, 1, 5, 2};
  const std::vector<std::uint64_t> rows = {0b0100, 0b1011, 0b1000, 0b0010, 0b0001, 0b1111};
  SECTION("compacted kernel, an entry list with row masks") {
    CHECK(check_kernel(compacted, compacted_bytes, probes, probe_pos, entries, entry_pos, 0, true, list, rows) >= 3);
  }
  SECTION("maxima kernel, an entry list with row masks") {
    CHECK(check_kernel(maxima, maxima_bytes, probes, probe_pos, entries, entry_pos, 0, false, list, rows) >= 3);
  }
}

TEST_CASE("kernel emulation: the compacted kernel on real templates", "[kernel][shared-data]") {
  // The kernel itself (barriers, warp operations, list indices) on real
  // minutiae, genuine and impostor pairs; tests/test_kernel_steps.cpp
  // replays its phases on every pair of these sets, this runs the code.
  for (const char* set : {"fvc2002_db1b", "fvc2002_db2b"}) {
    const fpm_test::FvcSet s = fpm_test::load_fvc(set);
    REQUIRE(s.encoded.size() == 80);
    // Entries: every impression of two fingers; probes: an impression of
    // each of them and one of a third finger.
    const std::vector<fpm::EncodedTemplate> entries(s.encoded.begin(), s.encoded.begin() + 16);
    const std::vector<fpm::EncodedTemplate> probes = {s.encoded[1], s.encoded[12], s.encoded[45]};
    int max_p = 1, max_g = 1;
    for (const auto& e : probes) max_p = std::max(max_p, static_cast<int>(e.cylinders()));
    for (const auto& e : entries) max_g = std::max(max_g, static_cast<int>(e.cylinders()));
    INFO(set);
    const int positive =
        check_kernel(Kernel::Compacted, fpm::kernels::CompactedLayout(max_p, max_g).total, probes,
                     std::vector<std::uint8_t>(probes.size(), 0), entries, std::vector<std::uint8_t>(entries.size(), 0),
                     0, false);
    CHECK(positive >= 16);  // at least the genuine pairs
  }
}
