// Host side of the CUDA backend: the searches. Each device holds its part
// of the gallery (device_gallery.hpp), and scratch, pinned buffers and a
// stream, allocated once; searches are tiled over the device gallery,
// top-K selected on the device, tiles and devices merged on the host.
// Two-stage searches (docs/two-stage.md) run both stages on the devices:
// stage 1's keys sorted per tile, the first M per probe merged on the host
// into each probe's shortlist, then the score kernels on the shortlisted
// entries only.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>

#include "cuda/device_gallery.hpp"
#include "cuda/device_memory.hpp"
#include "cuda/device_query.hpp"
#include "cpu/first_stage_scores.hpp"
#include "engine/device_search.hpp"
#include "fpmatch/error.hpp"
#include "index/first_stage_code.hpp"
#include "mcc/sort_key.hpp"
#include "mcc/summary.hpp"
#include "mcc/tables.hpp"
#include "search_kernels.h"

namespace fpm::detail {

namespace {

using namespace gpu;

constexpr std::uint32_t kMaxProbes = 64;    // probes per launch (per template); also per-subject probes
constexpr std::uint32_t kMaxFingers = 640;  // probe fingers per launch (per subject)
// Scores and keys per device. Builds may set a smaller budget (the tests'
// simulated devices do, so that their searches run over many tiles).
#ifndef FPM_CUDA_SCRATCH_BYTES
#define FPM_CUDA_SCRATCH_BYTES (std::size_t(2) << 30)
#endif
constexpr std::size_t kScratchBudget = FPM_CUDA_SCRATCH_BYTES;
constexpr std::size_t kMemoryMargin = std::size_t(256) << 20;

// Cylinders of the largest probe batch: kMaxFingers probe fingers of up to
// kMaxCylinders cylinders.
constexpr std::size_t kMaxProbeCylinders = std::size_t(kMaxFingers) * mcc::kMaxCylinders;

// Probe rows of a launch (fingers) as words of a row mask
// (kernels/entry_list.hpp).
constexpr std::uint32_t kMaxRowWords = (kMaxFingers + 63) / 64;
constexpr std::size_t kCodeBytes = std::size_t(index::kCodeWords) * 8;
// Stage 1's selection bins: 2^shift stage-1 scores each, the smallest
// shift that spreads scores up to `max_score` over the bins. Any shift
// selects exactly (the last bin is open-ended); a good one keeps the floor
// bin small. A per-template score is at most index::kMaxCodeScore; a
// per-subject score is a sum over the probe's fingers.
constexpr std::uint64_t kMaxCodeScore = index::kMaxCodeScore;
std::uint32_t select_shift(std::uint64_t max_score) {
  std::uint32_t shift = 0;
  while ((max_score >> shift) >= kernels::kSelectBins - 1) ++shift;
  return shift;
}

// Device bytes of the probe area: the largest probe batch, its summaries
// (planes and counts per cylinder, kernels/search_kernels.h) and its
// first-stage codes.
std::size_t probe_area_bytes() {
  return DeviceSets::bytes(kMaxFingers, kMaxProbeCylinders) + kMaxProbeCylinders * (mcc::kPlaneWords * 8 + 4) +
         kMaxFingers * (kCodeBytes + 4);
}

// The first-stage codes of a batch's probe sets, computed once per batch on
// the host (index::make_code, as the CPU backend does).
struct ProbeCodes {
  std::vector<std::uint64_t> words;  // index::kCodeWords per set
  std::vector<std::uint32_t> aux;
  explicit ProbeCodes(const std::vector<const mcc::CylinderSetView*>& sets)
      : words(sets.size() * index::kCodeWords), aux(sets.size()) {
    for (std::size_t i = 0; i < sets.size(); ++i) aux[i] = index::make_code(*sets[i], words.data() + i * index::kCodeWords);
  }
};

// One launch's probes (per subject: their fingers, at most kMaxFingers):
// probes [p0, p1) of the search, their sets, positions and finger offsets
// (per template: one set per probe, positions 0).
struct Batch {
  std::size_t p0 = 0, p1 = 0;
  std::vector<const mcc::CylinderSetView*> sets;
  std::vector<std::uint8_t> positions;
  std::vector<std::uint32_t> finger_offset{0};
  std::uint32_t probes() const { return static_cast<std::uint32_t>(p1 - p0); }
};

std::vector<Batch> template_batches(const std::vector<mcc::CylinderSetView>& probes) {
  std::vector<Batch> out;
  for (std::size_t p0 = 0; p0 < probes.size(); p0 += kMaxProbes) {
    Batch b;
    b.p0 = p0;
    b.p1 = std::min<std::size_t>(probes.size(), p0 + kMaxProbes);
    for (std::size_t p = b.p0; p < b.p1; ++p) {
      b.sets.push_back(&probes[p]);
      b.positions.push_back(0);
      b.finger_offset.push_back(static_cast<std::uint32_t>(b.sets.size()));
    }
    out.push_back(std::move(b));
  }
  return out;
}

// As many probes per launch as fit: at most kMaxProbes probes of at most
// kMaxFingers fingers in all.
std::vector<Batch> subject_batches(const std::vector<std::vector<FingerView>>& probes) {
  std::vector<Batch> out;
  std::size_t p0 = 0;
  while (p0 < probes.size()) {
    std::size_t p1 = p0, fingers = 0;
    while (p1 < probes.size() && p1 - p0 < kMaxProbes && fingers + probes[p1].size() <= kMaxFingers)
      fingers += probes[p1++].size();
    if (p1 == p0) throw Error(ErrorCode::InvalidArgument, "search_subjects: a probe with more than 640 fingers");
    Batch b;
    b.p0 = p0;
    b.p1 = p1;
    for (std::size_t p = p0; p < p1; ++p) {
      for (const FingerView& f : probes[p]) {
        b.sets.push_back(&f.view);
        b.positions.push_back(f.position);
      }
      b.finger_offset.push_back(static_cast<std::uint32_t>(b.sets.size()));
    }
    out.push_back(std::move(b));
    p0 = p1;
  }
  return out;
}

// One device of a search: its gallery part and what its searches use.
struct Device {
  int id = 0;
  std::string name;
  cudaStream_t stream = nullptr;
  std::mutex mutex;  // one search at a time per device
  DeviceGallery gallery;
  DeviceSets probes;
  // The probe batch's cylinder summaries, computed once per batch on the
  // device and read by every block of the score kernel.
  DeviceArray<std::uint64_t> probe_planes;
  DeviceArray<std::uint32_t> probe_counts;
  DeviceArray<std::uint32_t> finger_offset, segments;
  DeviceArray<float> scores, fused;
  DeviceArray<std::uint64_t> keys, sorted;
  DeviceArray<unsigned char> sort_temp;
  std::size_t sort_temp_bytes = 0;
  DeviceArray<mcc::ScoreTables> tables;
  // Two-stage searches: the probe batch's first-stage codes, and the
  // shortlisted entries of one stage-2 tile (kernels/entry_list.hpp) with,
  // per subject, the tile's subjects.
  DeviceArray<std::uint64_t> probe_code, list_rows, list_subject_mask;
  DeviceArray<std::uint32_t> probe_code_aux, list_entry, list_id, list_subject_offset, list_rank;
  // Stage 1's selection: per probe row, the histogram, floor bin and count.
  DeviceArray<std::uint32_t> select_hist, select_floor, select_count;
  Pinned staging, pin_keys, pin_small, pin_segments;  // pin_small: probes (copied asynchronously)
  Pinned pin_hist;  // stage 1's histograms, floor bins and counts
  std::uint32_t tile = 0, subject_tile = 0;

  ~Device() {
    if (stream) {
      cudaSetDevice(id);
      cudaStreamDestroy(stream);
    }
  }
};

// Packs probe sets (views into host memory) into the device probe arrays,
// and queues the summary of their cylinders, which every score launch of
// the batch reads.
void upload_probes(Device& d, const std::vector<const mcc::CylinderSetView*>& sets,
                   const std::vector<std::uint8_t>& positions) {
  const std::size_t n = sets.size();
  std::size_t cyl = 0;
  int max_n = 0;
  for (const auto* s : sets) {
    cyl += static_cast<std::size_t>(s->n);
    max_n = std::max(max_n, s->n);
  }
  const std::size_t bytes = (n + 1) * 8 + n * 8 + n + cyl * mcc::kBytesPerCylinder + 64;
  auto* h = static_cast<unsigned char*>(d.pin_small.ensure(bytes));
  auto* off = reinterpret_cast<std::uint64_t*>(h);
  auto* hash = off + n + 1;
  auto* bits = hash + n;
  auto* valid = bits + cyl * mcc::kCylinderWords;
  auto* x = reinterpret_cast<float*>(valid + cyl * mcc::kValidityWords);
  float* y = x + cyl;
  float* t = y + cyl;
  auto* pos = reinterpret_cast<std::uint8_t*>(t + cyl);
  std::size_t c = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const mcc::CylinderSetView& s = *sets[i];
    off[i] = c;
    hash[i] = s.hash;
    pos[i] = positions[i];
    if (s.n == 0) continue;  // an empty probe's arrays may be null
    std::memcpy(bits + c * mcc::kCylinderWords, s.bits, std::size_t(s.n) * mcc::kCylinderWords * 8);
    std::memcpy(valid + c * mcc::kValidityWords, s.valid, std::size_t(s.n) * mcc::kValidityWords * 8);
    std::memcpy(x + c, s.x, std::size_t(s.n) * 4);
    std::memcpy(y + c, s.y, std::size_t(s.n) * 4);
    std::memcpy(t + c, s.theta, std::size_t(s.n) * 4);
    c += static_cast<std::size_t>(s.n);
  }
  off[n] = c;
  auto up = [&](void* dst, const void* src, std::size_t b) {
    if (b) check(cudaMemcpyAsync(dst, src, b, cudaMemcpyHostToDevice, d.stream), "probe upload");
  };
  up(d.probes.offset.get(), off, (n + 1) * 8);
  up(d.probes.hash.get(), hash, n * 8);
  up(d.probes.position.get(), pos, n);
  up(d.probes.bits.get(), bits, cyl * mcc::kCylinderWords * 8);
  up(d.probes.valid.get(), valid, cyl * mcc::kValidityWords * 8);
  up(d.probes.x.get(), x, cyl * 4);
  up(d.probes.y.get(), y, cyl * 4);
  up(d.probes.theta.get(), t, cyl * 4);
  d.probes.count = static_cast<std::uint32_t>(n);
  d.probes.max_cylinders = std::max(max_n, 1);
  check(kernels::launch_summarise_probes(d.probes.view(), d.probe_planes.get(), d.probe_counts.get(), d.stream),
        "summary kernel");
}

// The probe batch's first-stage codes and positions (stage 1 reads nothing
// else of the batch): the device's probe sets as stage 1 sees them.
mcc::PackedSetsView upload_probe_codes(Device& d, const ProbeCodes& codes, const std::vector<std::uint8_t>& positions) {
  const std::size_t n = codes.aux.size();
  auto* h = static_cast<unsigned char*>(d.pin_small.ensure(n * (kCodeBytes + 4 + 1) + 8));
  std::memcpy(h, codes.words.data(), n * kCodeBytes);
  std::memcpy(h + n * kCodeBytes, codes.aux.data(), n * 4);
  std::memcpy(h + n * (kCodeBytes + 4), positions.data(), n);
  check(cudaMemcpyAsync(d.probe_code.get(), h, n * kCodeBytes, cudaMemcpyHostToDevice, d.stream), "probe upload");
  check(cudaMemcpyAsync(d.probe_code_aux.get(), h + n * kCodeBytes, n * 4, cudaMemcpyHostToDevice, d.stream),
        "probe upload");
  check(cudaMemcpyAsync(d.probes.position.get(), h + n * (kCodeBytes + 4), n, cudaMemcpyHostToDevice, d.stream),
        "probe upload");
  d.probes.count = static_cast<std::uint32_t>(n);
  mcc::PackedSetsView v = d.probes.view();
  v.code = d.probe_code.get();
  v.code_aux = d.probe_code_aux.get();
  return v;
}

// Copies n elements of T from host memory into a device array (on the
// device's stream; pageable memory is read before the call returns).
template <class T>
void upload(Device& d, DeviceArray<T>& dst, const T* src, std::size_t n, const char* what) {
  if (n) check(cudaMemcpyAsync(dst.get(), src, n * sizeof(T), cudaMemcpyHostToDevice, d.stream), what);
}

// Sorts `segments` rows of `n` keys (d.keys) descending and copies the first
// kk <= n of each row back: returns them, row after row (pinned memory,
// valid until the next call).
const std::uint64_t* sorted_heads(Device& d, std::uint32_t segments, std::uint32_t n, std::size_t kk) {
  auto* seg = static_cast<std::uint32_t*>(d.pin_segments.ensure(4 * (kMaxFingers + 1)));
  for (std::uint32_t i = 0; i <= segments; ++i) seg[i] = i * n;
  check(cudaMemcpyAsync(d.segments.get(), seg, 4 * (segments + 1), cudaMemcpyHostToDevice, d.stream), "offsets");
  std::size_t bytes = d.sort_temp_bytes;
  check(kernels::segmented_sort_desc(d.sort_temp.get(), &bytes, d.keys.get(), d.sorted.get(), segments, n,
                                     d.segments.get(), d.stream),
        "segmented sort");
  auto* h = static_cast<std::uint64_t*>(d.pin_keys.ensure(std::max<std::size_t>(8 * kk * segments, 8)));
  if (kk > 0)
    check(cudaMemcpy2DAsync(h, kk * 8, d.sorted.get(), std::size_t(n) * 8, kk * 8, segments, cudaMemcpyDeviceToHost,
                            d.stream),
          "top-k copy");
  check(cudaStreamSynchronize(d.stream), "search");
  return h;
}

// Sorts `segments` rows of `n` keys descending and merges the first k of
// each row into out[first + row]. Keys decode as (score, id).
void top_keys(Device& d, std::uint32_t segments, std::uint32_t n, std::size_t k, std::vector<TopK>& out,
              std::size_t first) {
  const std::size_t kk = std::min<std::size_t>(k, n);
  const std::uint64_t* h = sorted_heads(d, segments, n, kk);
  for (std::uint32_t s = 0; s < segments; ++s)
    for (std::size_t i = 0; i < kk; ++i) {
      const std::uint64_t key = h[s * kk + i];
      if (key == 0) break;
      out[first + s].offer({mcc::sort_key_value(key), mcc::sort_key_index(key)});
    }
}

// Stage 1's keys (d.keys, `rows` rows of `n`; index::shortlist_key): at
// least the m largest of each row offered to lists[row], selected on the
// device without a sort (kernels/search_kernels.h): a histogram per row of
// the keys' scores in bins of 2^shift, the floor bin per row found here
// (the highest bin with at least min(m, n) keys at or above it), and the
// keys at or above it copied back: the m largest and the others of the
// floor bin.
void shortlist_keys(Device& d, std::uint32_t rows, std::uint32_t n, std::size_t m, std::uint32_t shift,
                    std::vector<cpu::Shortlist>& lists) {
  const std::size_t kk = std::min<std::size_t>(m, n);
  const std::size_t bins = std::size_t(rows) * kernels::kSelectBins;
  check(kernels::launch_select_histogram(d.keys.get(), rows, n, shift, d.select_hist.get(), d.select_count.get(),
                                         d.stream),
        "selection kernel");
  auto* hist = static_cast<std::uint32_t*>(d.pin_hist.ensure(bins * 4 + std::size_t(kMaxProbes) * 8));
  check(cudaMemcpyAsync(hist, d.select_hist.get(), bins * 4, cudaMemcpyDeviceToHost, d.stream), "selection copy");
  check(cudaStreamSynchronize(d.stream), "search");
  auto* floor_bin = hist + bins;
  auto* count = floor_bin + rows;
  for (std::uint32_t r = 0; r < rows; ++r) {
    const std::uint32_t* h = hist + std::size_t(r) * kernels::kSelectBins;
    std::size_t above = 0;
    std::uint32_t b = kernels::kSelectBins;
    while (b > 0 && above < kk) above += h[--b];
    floor_bin[r] = b;  // every row has n >= kk keys: found
  }
  check(cudaMemcpyAsync(d.select_floor.get(), floor_bin, std::size_t(rows) * 4, cudaMemcpyHostToDevice, d.stream),
        "selection upload");
  check(kernels::launch_select_keys(d.keys.get(), rows, n, shift, d.select_floor.get(), d.select_count.get(),
                                    d.sorted.get(), d.stream),
        "selection kernel");
  check(cudaMemcpyAsync(count, d.select_count.get(), std::size_t(rows) * 4, cudaMemcpyDeviceToHost, d.stream),
        "selection copy");
  check(cudaStreamSynchronize(d.stream), "search");
  std::size_t total = 0;
  for (std::uint32_t r = 0; r < rows; ++r) total += count[r];
  auto* keys = static_cast<std::uint64_t*>(d.pin_keys.ensure(std::max<std::size_t>(total * 8, 8)));
  std::size_t at = 0;
  for (std::uint32_t r = 0; r < rows; ++r) {
    if (count[r])
      check(cudaMemcpyAsync(keys + at, d.sorted.get() + std::size_t(r) * n, std::size_t(count[r]) * 8,
                            cudaMemcpyDeviceToHost, d.stream),
            "selection copy");
    at += count[r];
  }
  check(cudaStreamSynchronize(d.stream), "search");
  at = 0;
  for (std::uint32_t r = 0; r < rows; ++r)
    for (std::uint32_t i = 0; i < count[r]; ++i) lists[r].offer(keys[at++]);
}

// The shortlisted items (entries or subjects) of a device, grouped: for
// each item, its local position and which probes of the batch listed it
// (bit p: probe p0 + p).
struct Listed {
  std::vector<std::uint32_t> item;
  std::vector<std::uint64_t> probes;
  std::uint64_t pairs = 0;  // (probe, item) pairs
};
// chosen[p]: probe p's shortlist (global keys); local(key) < count: on
// this device at that position.
template <class Local>
Listed group_listed(const std::vector<std::vector<std::uint32_t>>& chosen, std::size_t count, Local&& local) {
  std::vector<std::uint64_t> pairs;
  for (std::size_t p = 0; p < chosen.size(); ++p)
    for (std::uint32_t key : chosen[p]) {
      const std::size_t l = local(key);
      if (l < count) pairs.push_back(static_cast<std::uint64_t>(l) << 6 | p);
    }
  std::sort(pairs.begin(), pairs.end());
  Listed out;
  out.pairs = pairs.size();
  for (std::uint64_t x : pairs) {
    const auto l = static_cast<std::uint32_t>(x >> 6);
    if (out.item.empty() || out.item.back() != l) {
      out.item.push_back(l);
      out.probes.push_back(0);
    }
    out.probes.back() |= std::uint64_t(1) << (x & 63);
  }
  return out;
}

class CudaSearch final : public SearchBackend {
 public:
  CudaSearch(const Gallery::Data& g, const SubjectIndex& index, const std::vector<int>& ids, const ProgressFn& progress)
      : index_(index), position_of_(g.size(), 0xFFFFFFFFu) {
    for (std::size_t k = 0; k < index.subject_entries.size(); ++k)
      position_of_[index.subject_entries[k]] = static_cast<std::uint32_t>(k);
    // Whole subjects, split over the devices in proportion to the memory
    // each has free for gallery data: equal parts on equal idle devices,
    // and a smaller part, instead of a refusal, on a device that already
    // holds other data.
    const std::vector<GalleryPart> parts =
        split_gallery(g, index, gallery_shares(ids, probe_area_bytes() + kScratchBudget + kMemoryMargin));
    std::size_t total_bytes = 0, done = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto d = std::make_unique<Device>();
      d->id = ids[i];
      d->gallery.part = parts[i];
      // What progress counts: the cylinder arrays and the first-stage codes.
      total_bytes += parts[i].cylinders * mcc::kBytesPerCylinder + DeviceGallery::code_bytes(parts[i]);
      devices_.push_back(std::move(d));
    }
    for (auto& d : devices_) {
      try {
        setup(*d, g, progress, total_bytes, &done);
      } catch (const Error& e) {
        // (Out of memory names the device already; a refused argument is not the device's.)
        if (e.code() == ErrorCode::OutOfMemory || e.code() == ErrorCode::InvalidArgument) throw;
        throw device_failure(d->id, "", e);
      }
    }
  }

  std::vector<TopK> search(const std::vector<mcc::CylinderSetView>& probes, std::size_t k, float min_score,
                           std::size_t shortlist, std::uint64_t* comparisons) override {
    if (shortlist != 0) return search_two_stage(probes, k, min_score, shortlist, comparisons);
    std::vector<TopK> out(probes.size(), TopK(k));
    const std::vector<Batch> batches = template_batches(probes);
    for_each_device([&](Device& d) {
      std::vector<TopK> part(probes.size(), TopK(k));
      for (const Batch& b : batches) {
        const std::uint32_t np = b.probes();
        upload_probes(d, b.sets, b.positions);
        for (std::uint32_t t0 = 0; t0 < d.gallery.sets.count; t0 += d.tile) {
          const std::uint32_t n = std::min(d.tile, d.gallery.sets.count - t0);
          check(kernels::launch_score(d.probes.view(), d.probe_planes.get(), d.probe_counts.get(),
                                      d.gallery.sets.view(), t0, n, false, d.tables.get(), d.scores.get(), d.stream),
                "score kernel");
          check(kernels::launch_make_keys(d.scores.get(), np, n, d.gallery.entry_id.get() + t0, min_score,
                                          d.keys.get(), d.stream),
                "key kernel");
          top_keys(d, np, n, k, part, b.p0);
        }
      }
      std::lock_guard<std::mutex> g(merge_mutex_);
      for (std::size_t p = 0; p < probes.size(); ++p) out[p].merge(part[p]);
      *comparisons += static_cast<std::uint64_t>(probes.size()) * d.gallery.sets.count;
    });
    return out;
  }

  std::vector<TopK> search_subjects(const std::vector<std::vector<FingerView>>& probes, std::size_t k, float min_score,
                                    std::size_t shortlist, std::uint64_t* comparisons) override {
    const std::vector<Batch> batches = subject_batches(probes);
    if (shortlist != 0) return search_subjects_two_stage(probes, batches, k, min_score, shortlist, comparisons);
    std::vector<TopK> out(probes.size(), TopK(k));
    for_each_device([&](Device& d) {
      std::vector<TopK> part(probes.size(), TopK(k));
      std::uint64_t counted = 0;
      for (const Batch& b : batches) {
        upload_probes(d, b.sets, b.positions);
        upload(d, d.finger_offset, b.finger_offset.data(), b.finger_offset.size(), "finger offsets");
        const std::uint32_t np = b.probes();
        const DeviceGallery& dg = d.gallery;
        for (std::uint32_t s0 = 0; s0 < dg.part.subjects;) {
          // Whole subjects, at most subject_tile entries.
          std::uint32_t s1 = s0 + 1;
          while (s1 < dg.part.subjects && dg.h_subject_offset[s1 + 1] - dg.h_subject_offset[s0] <= d.subject_tile)
            ++s1;
          const std::uint32_t e0 = dg.h_subject_offset[s0], n = dg.h_subject_offset[s1] - e0;
          if (n > d.subject_tile) throw Error(ErrorCode::InvalidArgument, "search_subjects: a subject with too many entries");
          check(kernels::launch_score(d.probes.view(), d.probe_planes.get(), d.probe_counts.get(), dg.sets.view(),
                                      e0, n, true, d.tables.get(), d.scores.get(), d.stream),
                "score kernel");
          check(kernels::launch_fuse_subjects(d.scores.get(), n, d.finger_offset.get(), np,
                                              dg.subject_offset.get() + s0, e0, s1 - s0, d.fused.get(), d.stream),
                "fusion kernel");
          check(kernels::launch_make_keys(d.fused.get(), np, s1 - s0, dg.subject_rank.get() + s0, min_score,
                                          d.keys.get(), d.stream),
                "key kernel");
          top_keys(d, np, s1 - s0, k, part, b.p0);
          // Comparisons: compatible (probe finger, entry) pairs of the tile.
          for (std::uint32_t s = s0; s < s1; ++s)
            for (std::size_t p = b.p0; p < b.p1; ++p) counted += compatible_pairs(dg, s, probes[p]);
          s0 = s1;
        }
      }
      std::lock_guard<std::mutex> g(merge_mutex_);
      for (std::size_t p = 0; p < probes.size(); ++p) out[p].merge(part[p]);
      *comparisons += counted;
    });
    return out;
  }

 private:
  // Compatible (finger, entry) pairs of probe `fingers` against local
  // subject s of dg: the full comparisons the per-subject search makes.
  static std::uint64_t compatible_pairs(const DeviceGallery& dg, std::uint32_t s,
                                        const std::vector<FingerView>& fingers) {
    std::uint64_t by_pos[256] = {0};
    for (std::uint32_t e = dg.h_subject_offset[s]; e < dg.h_subject_offset[s + 1]; ++e) ++by_pos[dg.h_position[e]];
    const std::uint64_t all = dg.h_subject_offset[s + 1] - dg.h_subject_offset[s];
    std::uint64_t n = 0;
    for (const FingerView& f : fingers) n += f.position == 0 ? all : by_pos[f.position] + by_pos[0];
    return n;
  }

  // Per template, both stages on the devices, one probe batch at a time:
  // stage 1 on every device (each probe's M best keys of every tile,
  // merged into its shortlist), then stage 2 on every device over the
  // shortlisted entries it holds.
  std::vector<TopK> search_two_stage(const std::vector<mcc::CylinderSetView>& probes, std::size_t k, float min_score,
                                     std::size_t shortlist, std::uint64_t* comparisons) {
    std::vector<TopK> out(probes.size(), TopK(k));
    std::uint64_t counted = 0;
    for (const Batch& b : template_batches(probes)) {
      const std::uint32_t np = b.probes();
      const ProbeCodes codes(b.sets);
      std::vector<cpu::Shortlist> lists(np, cpu::Shortlist(shortlist));
      for_each_device([&](Device& d) {
        const DeviceGallery& dg = d.gallery;
        if (dg.sets.count == 0) return;  // (more devices than subjects)
        std::vector<cpu::Shortlist> part(np, cpu::Shortlist(shortlist));
        const mcc::PackedSetsView pv = upload_probe_codes(d, codes, b.positions);
        for (std::uint32_t t0 = 0; t0 < dg.sets.count; t0 += d.tile) {
          const std::uint32_t n = std::min(d.tile, dg.sets.count - t0);
          check(kernels::launch_code_keys(pv, dg.view(), dg.entry_id.get(), t0, n, d.keys.get(), d.stream),
                "stage-1 kernel");
          shortlist_keys(d, np, n, shortlist, select_shift(kMaxCodeScore), part);
        }
        std::lock_guard<std::mutex> g(merge_mutex_);
        for (std::uint32_t p = 0; p < np; ++p) lists[p].merge(part[p]);
      });
      std::vector<std::vector<std::uint32_t>> chosen(np);
      for (std::uint32_t p = 0; p < np; ++p) chosen[p] = lists[p].indices();
      for_each_device([&](Device& d) {
        const DeviceGallery& dg = d.gallery;
        const std::size_t first = dg.part.entry_begin;
        const Listed listed = group_listed(chosen, dg.part.entries, [&](std::uint32_t e) {
          return static_cast<std::size_t>(position_of_[e]) - first;  // wraps (>= entries) off this device
        });
        if (listed.item.empty()) return;
        upload_probes(d, b.sets, b.positions);
        std::vector<TopK> part(np, TopK(k));
        std::vector<std::uint32_t> ids;
        for (std::size_t i0 = 0; i0 < listed.item.size(); i0 += d.tile) {
          const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(d.tile, listed.item.size() - i0));
          ids.resize(n);
          for (std::uint32_t i = 0; i < n; ++i) ids[i] = index_.subject_entries[first + listed.item[i0 + i]];
          upload(d, d.list_entry, listed.item.data() + i0, n, "shortlist upload");
          upload(d, d.list_rows, listed.probes.data() + i0, n, "shortlist upload");
          upload(d, d.list_id, ids.data(), n, "shortlist upload");
          const kernels::EntryList list{d.list_entry.get(), d.list_rows.get(), 1};
          check(kernels::launch_score(d.probes.view(), d.probe_planes.get(), d.probe_counts.get(), dg.sets.view(), 0,
                                      n, false, d.tables.get(), d.scores.get(), d.stream, list),
                "score kernel");
          check(kernels::launch_make_keys(d.scores.get(), np, n, d.list_id.get(), min_score, d.keys.get(), d.stream),
                "key kernel");
          top_keys(d, np, n, k, part, 0);
        }
        std::lock_guard<std::mutex> g(merge_mutex_);
        for (std::uint32_t p = 0; p < np; ++p) out[b.p0 + p].merge(part[p]);
        counted += listed.pairs;  // each probe's shortlisted entries on this device
      });
    }
    *comparisons += counted;
    return out;
  }

  // Per subject, both stages on the devices, batch by batch as above:
  // stage 1 scores whole subjects; stage 2 scores the entries of the
  // shortlisted subjects, each (finger, entry) only for the probes that
  // listed the subject, and fuses per listed subject.
  std::vector<TopK> search_subjects_two_stage(const std::vector<std::vector<FingerView>>& probes,
                                              const std::vector<Batch>& batches, std::size_t k, float min_score,
                                              std::size_t shortlist, std::uint64_t* comparisons) {
    std::vector<TopK> out(probes.size(), TopK(k));
    std::uint64_t counted = 0;
    for (const Batch& b : batches) {
      const std::uint32_t np = b.probes();
      const ProbeCodes codes(b.sets);
      std::vector<cpu::Shortlist> lists(np, cpu::Shortlist(shortlist));
      for_each_device([&](Device& d) {
        const DeviceGallery& dg = d.gallery;
        if (dg.part.subjects == 0) return;  // (more devices than subjects)
        std::vector<cpu::Shortlist> part(np, cpu::Shortlist(shortlist));
        const mcc::PackedSetsView pv = upload_probe_codes(d, codes, b.positions);
        upload(d, d.finger_offset, b.finger_offset.data(), b.finger_offset.size(), "finger offsets");
        const std::uint32_t per_tile = std::max(d.tile, d.subject_tile);  // subjects: keys per probe row
        std::uint32_t most = 1;  // fingers of the batch's largest probe
        for (std::uint32_t p = 0; p < np; ++p) most = std::max(most, b.finger_offset[p + 1] - b.finger_offset[p]);
        const std::uint32_t shift = select_shift(kMaxCodeScore * most);
        for (std::uint32_t s0 = 0; s0 < dg.part.subjects; s0 += per_tile) {
          const std::uint32_t n = std::min(per_tile, dg.part.subjects - s0);
          check(kernels::launch_subject_code_keys(pv, d.finger_offset.get(), np, dg.view(), dg.subject_offset.get(),
                                                  dg.subject_rank.get(), s0, n, d.keys.get(), d.stream),
                "stage-1 kernel");
          shortlist_keys(d, np, n, shortlist, shift, part);
        }
        std::lock_guard<std::mutex> g(merge_mutex_);
        for (std::uint32_t p = 0; p < np; ++p) lists[p].merge(part[p]);
      });
      std::vector<std::vector<std::uint32_t>> chosen(np);
      for (std::uint32_t p = 0; p < np; ++p) chosen[p] = lists[p].indices();
      for_each_device([&](Device& d) {
        const DeviceGallery& dg = d.gallery;
        const std::uint32_t first = dg.part.first_subject;
        const Listed listed = group_listed(chosen, dg.part.subjects, [&](std::uint32_t rank) {
          return static_cast<std::size_t>(rank) - first;  // wraps (>= subjects) off this device
        });
        if (listed.item.empty()) return;
        upload_probes(d, b.sets, b.positions);
        upload(d, d.finger_offset, b.finger_offset.data(), b.finger_offset.size(), "finger offsets");
        const std::uint32_t fingers = b.finger_offset.back(), row_words = (fingers + 63) / 64;
        std::vector<TopK> part(np, TopK(k));
        std::uint64_t pairs = 0;
        std::vector<std::uint32_t> entries, offsets, ranks;
        std::vector<std::uint64_t> rows, masks;
        for (std::size_t j0 = 0; j0 < listed.item.size();) {
          // Whole listed subjects, at most subject_tile entries.
          entries.clear();
          offsets.assign(1, 0);
          ranks.clear();
          rows.clear();
          masks.clear();
          std::size_t j1 = j0;
          while (j1 < listed.item.size()) {
            const std::uint32_t s = listed.item[j1];
            const std::uint32_t e0 = dg.h_subject_offset[s], e1 = dg.h_subject_offset[s + 1];
            if (entries.size() + (e1 - e0) > d.subject_tile) {
              if (j1 == j0) throw Error(ErrorCode::InvalidArgument, "search_subjects: a subject with too many entries");
              break;
            }
            // The fingers of the probes that listed s score its entries.
            std::uint64_t row_mask[kMaxRowWords] = {0};
            for (std::uint32_t p = 0; p < np; ++p)
              if ((listed.probes[j1] >> p) & 1u) {
                for (std::uint32_t r = b.finger_offset[p]; r < b.finger_offset[p + 1]; ++r)
                  row_mask[r / 64] |= std::uint64_t(1) << (r % 64);
                pairs += compatible_pairs(dg, s, probes[b.p0 + p]);
              }
            for (std::uint32_t e = e0; e < e1; ++e) {
              entries.push_back(e);
              rows.insert(rows.end(), row_mask, row_mask + row_words);
            }
            offsets.push_back(static_cast<std::uint32_t>(entries.size()));
            ranks.push_back(first + s);
            masks.push_back(listed.probes[j1]);
            ++j1;
          }
          const auto n = static_cast<std::uint32_t>(entries.size()), ns = static_cast<std::uint32_t>(j1 - j0);
          upload(d, d.list_entry, entries.data(), n, "shortlist upload");
          upload(d, d.list_rows, rows.data(), rows.size(), "shortlist upload");
          upload(d, d.list_subject_offset, offsets.data(), offsets.size(), "shortlist upload");
          upload(d, d.list_rank, ranks.data(), ns, "shortlist upload");
          upload(d, d.list_subject_mask, masks.data(), ns, "shortlist upload");
          const kernels::EntryList list{d.list_entry.get(), d.list_rows.get(), row_words};
          check(kernels::launch_score(d.probes.view(), d.probe_planes.get(), d.probe_counts.get(), dg.sets.view(), 0,
                                      n, true, d.tables.get(), d.scores.get(), d.stream, list),
                "score kernel");
          check(kernels::launch_fuse_subjects(d.scores.get(), n, d.finger_offset.get(), np,
                                              d.list_subject_offset.get(), 0, ns, d.fused.get(), d.stream,
                                              d.list_subject_mask.get()),
                "fusion kernel");
          check(kernels::launch_make_keys(d.fused.get(), np, ns, d.list_rank.get(), min_score, d.keys.get(), d.stream),
                "key kernel");
          top_keys(d, np, ns, k, part, 0);
          j0 = j1;
        }
        std::lock_guard<std::mutex> g(merge_mutex_);
        for (std::uint32_t p = 0; p < np; ++p) out[b.p0 + p].merge(part[p]);
        counted += pairs;
      });
    }
    *comparisons += counted;
    return out;
  }

  // Runs f on every device, at once when there are several. A failure on a
  // device is reported with the device's number and name, after waiting for
  // the work already queued on its stream (which may still read the pinned
  // buffers that the next search refills).
  template <class F>
  void for_each_device(F&& f) {
    auto run = [&](Device& d) {
      std::lock_guard<std::mutex> g(d.mutex);
      try {
        check(cudaSetDevice(d.id), "cudaSetDevice");
        f(d);
      } catch (const Error& e) {
        cudaStreamSynchronize(d.stream);
        cudaGetLastError();
        if (e.code() == ErrorCode::InvalidArgument) throw;
        const DeviceFailure failure = device_failure(d.id, d.name, e);
        if (e.code() == ErrorCode::OutOfMemory) throw Error(e.code(), failure.what());  // (pinned host memory)
        throw failure;
      }
    };
    if (devices_.size() == 1) return run(*devices_[0]);
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors(devices_.size());
    for (std::size_t i = 0; i < devices_.size(); ++i)
      threads.emplace_back([&, i] {
        try {
          run(*devices_[i]);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      });
    for (auto& t : threads) t.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

  // Opens device d, sizes its tiles, checks that its gallery part and the
  // search scratch fit, allocates them and uploads the part. The steps run
  // in this order so that nothing is allocated for a part that does not
  // fit.
  void setup(Device& d, const Gallery::Data& g, const ProgressFn& progress, std::size_t total, std::size_t* done) {
    open_device(d);
    const GalleryPart& part = d.gallery.part;
    if (part.entries > 0xffffffffu)
      throw Error(ErrorCode::InvalidArgument, "CUDA backend: more than 2^32 entries on one device");
    size_tiles(d, part.entries);
    const Scratch scratch = scratch_sizes(d);
    require_memory(d, part, DeviceGallery::bytes(part) + scratch.bytes);
    d.gallery.allocate(part);
    allocate_scratch(d, scratch);
    check(cudaMemcpy(d.tables.get(), &mcc::score_tables(), sizeof(mcc::ScoreTables), cudaMemcpyHostToDevice), "tables");
    d.gallery.upload(g, index_, d.staging, d.stream, progress, total, done);
    check(cudaDeviceSynchronize(), "upload");
  }

  // Makes d current, reads its name and creates its stream.
  static void open_device(Device& d) {
    check(cudaSetDevice(d.id), "cudaSetDevice");
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, d.id), "cudaGetDeviceProperties");
    d.name = prop.name;
    check(cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking), "cudaStreamCreate");
  }

  // Tiles: per template 64 probes x tile entries; per subject 640 fingers.
  static void size_tiles(Device& d, std::size_t entries) {
    const std::size_t per_template = kScratchBudget / (kMaxProbes * (4 + 16));
    const std::size_t per_subject = kScratchBudget / (kMaxFingers * 4 + kMaxProbes * (4 + 16));
    d.tile = static_cast<std::uint32_t>(std::max<std::size_t>(1, std::min(entries, per_template)));
    d.subject_tile = static_cast<std::uint32_t>(std::max<std::size_t>(1, std::min(entries, per_subject)));
  }

  // Sizes of a device's search scratch, for its tiles.
  // A stage-2 tile's list arrays (two-stage searches): entries, their row
  // masks and ids, and per subject the tile's subjects.
  struct ListSizes {
    std::size_t entries = 0, rows = 0, ids = 0, subjects = 0;
    std::size_t bytes() const { return entries * 4 + rows * 8 + ids * 4 + (subjects + 1) * 4 + subjects * 12; }
  };
  static ListSizes list_sizes(const Device& d) {
    ListSizes l;
    l.entries = std::max(d.tile, d.subject_tile);
    l.rows = std::max(std::size_t(d.tile), std::size_t(d.subject_tile) * kMaxRowWords);
    l.ids = d.tile;
    l.subjects = d.subject_tile;
    return l;
  }
  struct Scratch {
    ListSizes lists;
    std::size_t scores = 0, keys = 0, sort_bytes = 0;
    std::size_t bytes = 0;  // device memory, with the probe area and the tables
  };
  static Scratch scratch_sizes(const Device& d) {
    Scratch s;
    s.scores = std::max(std::size_t(kMaxProbes) * d.tile, std::size_t(kMaxFingers) * d.subject_tile);
    s.keys = std::size_t(kMaxProbes) * std::max(d.tile, d.subject_tile);
    check(kernels::segmented_sort_desc(nullptr, &s.sort_bytes, nullptr, nullptr, kMaxProbes,
                                       std::max(d.tile, d.subject_tile), nullptr, nullptr),
          "sort sizing");
    s.lists = list_sizes(d);
    s.bytes = probe_area_bytes() + s.scores * 4 + std::size_t(kMaxProbes) * d.subject_tile * 4 + s.keys * 16 +
              s.sort_bytes + sizeof(mcc::ScoreTables) + (kMaxFingers + 1) * 8 + s.lists.bytes() +
              std::size_t(kMaxProbes) * (kernels::kSelectBins + 2) * 4;
    return s;
  }

  // Refuses (OutOfMemory, naming the device and the bytes) a part that
  // needs more than the device has free, less the margin.
  static void require_memory(const Device& d, const GalleryPart& part, std::size_t need) {
    std::size_t free_bytes = 0, total_bytes = 0;
    check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
    if (need + kMemoryMargin > free_bytes)
      throw Error(ErrorCode::OutOfMemory,
                  "CUDA backend: the gallery part for device " + std::to_string(d.id) + " (" + d.name + ") needs " +
                      std::to_string(need) + " bytes of device memory (" + std::to_string(part.entries) +
                      " templates, " + std::to_string(part.cylinders) + " cylinders, " +
                      std::to_string(DeviceGallery::code_bytes(part)) +
                      " bytes of first-stage codes, with search scratch), " +
                      std::to_string(free_bytes) + " bytes are free");
  }

  // The probe area (with its summaries), scores, keys, sort workspace and
  // tables.
  static void allocate_scratch(Device& d, const Scratch& s) {
    d.probes.allocate(kMaxFingers, kMaxProbeCylinders);
    d.probe_planes.allocate(kMaxProbeCylinders * mcc::kPlaneWords);
    d.probe_counts.allocate(kMaxProbeCylinders);
    d.finger_offset.allocate(kMaxProbes + 1);
    d.segments.allocate(kMaxFingers + 1);
    d.scores.allocate(s.scores);
    d.fused.allocate(std::size_t(kMaxProbes) * d.subject_tile);
    d.keys.allocate(s.keys);
    d.sorted.allocate(s.keys);
    d.sort_temp.allocate(std::max<std::size_t>(s.sort_bytes, 1));
    d.sort_temp_bytes = s.sort_bytes;
    d.tables.allocate(1);
    d.probe_code.allocate(std::size_t(kMaxFingers) * index::kCodeWords);
    d.probe_code_aux.allocate(kMaxFingers);
    d.list_entry.allocate(s.lists.entries);
    d.list_rows.allocate(s.lists.rows);
    d.list_id.allocate(s.lists.ids);
    d.list_subject_offset.allocate(s.lists.subjects + 1);
    d.list_rank.allocate(s.lists.subjects);
    d.list_subject_mask.allocate(s.lists.subjects);
    d.select_hist.allocate(std::size_t(kMaxProbes) * kernels::kSelectBins);
    d.select_floor.allocate(kMaxProbes);
    d.select_count.allocate(kMaxProbes);
  }

  const SubjectIndex& index_;
  // Per gallery entry: its position in index_.subject_entries (the devices
  // hold consecutive runs of it), 0xFFFFFFFF for removed entries.
  std::vector<std::uint32_t> position_of_;
  std::vector<std::unique_ptr<Device>> devices_;
  std::mutex merge_mutex_;
};

}  // namespace

std::unique_ptr<SearchBackend> make_cuda_search(const Gallery::Data& g, const SubjectIndex& index,
                                               const std::vector<int>& devices, const ProgressFn& progress,
                                               std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    if (why)
      *why = e != cudaSuccess ? cuda_status_words(e) + " (" + cuda_error_detail(e) + ")" : "no CUDA device found";
    cudaGetLastError();
    return nullptr;
  }
  std::vector<int> ids = devices.empty() ? std::vector<int>{0} : devices;
  for (int id : ids)
    if (id < 0 || id >= count) {
      if (why) *why = "device " + std::to_string(id) + " does not exist (" + std::to_string(count) + " devices)";
      return nullptr;
    }
  std::sort(ids.begin(), ids.end());
  if (std::unique(ids.begin(), ids.end()) != ids.end())
    throw Error(ErrorCode::InvalidArgument, "engine: a CUDA device is listed twice");
  return std::make_unique<CudaSearch>(g, index, ids, progress);
}

}  // namespace fpm::detail
