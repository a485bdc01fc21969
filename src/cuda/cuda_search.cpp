// Host side of the CUDA backend: the searches. Each device holds its part
// of the gallery (device_gallery.hpp), and scratch, pinned buffers and a
// stream, allocated once; searches are tiled over the device gallery,
// top-K selected on the device, tiles and devices merged on the host.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>

#include "cuda/device_gallery.hpp"
#include "cuda/device_memory.hpp"
#include "cuda/device_query.hpp"
#include "engine/device_search.hpp"
#include "fpmatch/error.hpp"
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

// Device bytes of the probe area: the largest probe batch and its
// summaries (planes and counts per cylinder, kernels/search_kernels.h).
std::size_t probe_area_bytes() {
  return DeviceSets::bytes(kMaxFingers, kMaxProbeCylinders) + kMaxProbeCylinders * (mcc::kPlaneWords * 8 + 4);
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
  Pinned staging, pin_keys, pin_small, pin_segments;  // pin_small: probes (copied asynchronously)
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

// Sorts `segments` rows of `n` keys descending and merges the first k of
// each row into out[first + row]. Keys decode as (score, id).
void top_keys(Device& d, std::uint32_t segments, std::uint32_t n, std::size_t k, std::vector<TopK>& out,
              std::size_t first) {
  auto* seg = static_cast<std::uint32_t*>(d.pin_segments.ensure(4 * (kMaxFingers + 1)));
  for (std::uint32_t i = 0; i <= segments; ++i) seg[i] = i * n;
  check(cudaMemcpyAsync(d.segments.get(), seg, 4 * (segments + 1), cudaMemcpyHostToDevice, d.stream), "offsets");
  std::size_t bytes = d.sort_temp_bytes;
  check(kernels::segmented_sort_desc(d.sort_temp.get(), &bytes, d.keys.get(), d.sorted.get(), segments, n,
                                     d.segments.get(), d.stream),
        "segmented sort");
  const std::size_t kk = std::min<std::size_t>(k, n);
  auto* h = static_cast<std::uint64_t*>(d.pin_keys.ensure(8 * kk * segments));
  check(cudaMemcpy2DAsync(h, kk * 8, d.sorted.get(), std::size_t(n) * 8, kk * 8, segments, cudaMemcpyDeviceToHost,
                          d.stream),
        "top-k copy");
  check(cudaStreamSynchronize(d.stream), "search");
  for (std::uint32_t s = 0; s < segments; ++s)
    for (std::size_t i = 0; i < kk; ++i) {
      const std::uint64_t key = h[s * kk + i];
      if (key == 0) break;
      out[first + s].offer({mcc::sort_key_value(key), mcc::sort_key_index(key)});
    }
}

class CudaSearch final : public SearchBackend {
 public:
  CudaSearch(const Gallery::Data& g, const SubjectIndex& index, const std::vector<int>& ids, const ProgressFn& progress)
      : index_(index) {
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
      total_bytes += parts[i].cylinders * mcc::kBytesPerCylinder;  // what progress counts: the cylinder arrays
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
    refuse_two_stage(shortlist);
    std::vector<TopK> out(probes.size(), TopK(k));
    for_each_device([&](Device& d) {
      std::vector<TopK> part(probes.size(), TopK(k));
      for (std::size_t p0 = 0; p0 < probes.size(); p0 += kMaxProbes) {
        const std::size_t np = std::min<std::size_t>(kMaxProbes, probes.size() - p0);
        std::vector<const mcc::CylinderSetView*> sets;
        for (std::size_t i = 0; i < np; ++i) sets.push_back(&probes[p0 + i]);
        upload_probes(d, sets, std::vector<std::uint8_t>(np, 0));
        for (std::uint32_t t0 = 0; t0 < d.gallery.sets.count; t0 += d.tile) {
          const std::uint32_t n = std::min(d.tile, d.gallery.sets.count - t0);
          check(kernels::launch_score(d.probes.view(), d.probe_planes.get(), d.probe_counts.get(),
                                      d.gallery.sets.view(), t0, n, false, d.tables.get(), d.scores.get(), d.stream),
                "score kernel");
          check(kernels::launch_make_keys(d.scores.get(), static_cast<std::uint32_t>(np), n,
                                          d.gallery.entry_id.get() + t0, min_score, d.keys.get(), d.stream),
                "key kernel");
          top_keys(d, static_cast<std::uint32_t>(np), n, k, part, p0);
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
    refuse_two_stage(shortlist);
    std::vector<TopK> out(probes.size(), TopK(k));
    for_each_device([&](Device& d) {
      std::vector<TopK> part(probes.size(), TopK(k));
      std::uint64_t counted = 0;
      std::size_t p0 = 0;
      while (p0 < probes.size()) {
        // As many probes as fit in one launch.
        std::size_t p1 = p0, fingers = 0;
        while (p1 < probes.size() && p1 - p0 < kMaxProbes && fingers + probes[p1].size() <= kMaxFingers)
          fingers += probes[p1++].size();
        if (p1 == p0) throw Error(ErrorCode::InvalidArgument, "search_subjects: a probe with more than 640 fingers");
        std::vector<const mcc::CylinderSetView*> sets;
        std::vector<std::uint8_t> pos;
        std::vector<std::uint32_t> foff(1, 0);
        for (std::size_t p = p0; p < p1; ++p) {
          for (const FingerView& f : probes[p]) {
            sets.push_back(&f.view);
            pos.push_back(f.position);
          }
          foff.push_back(static_cast<std::uint32_t>(sets.size()));
        }
        upload_probes(d, sets, pos);
        check(cudaMemcpyAsync(d.finger_offset.get(), foff.data(), 4 * foff.size(), cudaMemcpyHostToDevice, d.stream),
              "finger offsets");
        const std::uint32_t np = static_cast<std::uint32_t>(p1 - p0);
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
          top_keys(d, np, s1 - s0, k, part, p0);
          // Comparisons: compatible (probe finger, entry) pairs of the tile.
          std::uint64_t by_pos[11] = {0};
          for (std::uint32_t e = e0; e < e0 + n; ++e) ++by_pos[dg.h_position[e]];
          for (std::size_t p = p0; p < p1; ++p)
            for (const FingerView& f : probes[p]) counted += f.position == 0 ? n : by_pos[f.position] + by_pos[0];
          s0 = s1;
        }
        p0 = p1;
      }
      std::lock_guard<std::mutex> g(merge_mutex_);
      for (std::size_t p = 0; p < probes.size(); ++p) out[p].merge(part[p]);
      *comparisons += counted;
    });
    return out;
  }

 private:
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
  struct Scratch {
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
    s.bytes = probe_area_bytes() + s.scores * 4 + std::size_t(kMaxProbes) * d.subject_tile * 4 + s.keys * 16 +
              s.sort_bytes + sizeof(mcc::ScoreTables) + (kMaxFingers + 1) * 8;
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
                      " templates, " + std::to_string(part.cylinders) + " cylinders, with search scratch), " +
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
  }

  const SubjectIndex& index_;
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
