// Host side of the CUDA backend: the gallery packed per device (live entries
// grouped by subject, devices holding whole subjects), uploaded once through
// a double-buffered pinned staging buffer; scratch, pinned buffers and a
// stream per device, allocated once; searches tiled over the device gallery,
// top-K selected on the device, tiles and devices merged on the host.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>

#include "cuda/device_query.hpp"
#include "engine/device_search.hpp"
#include "fpmatch/error.hpp"
#include "mcc/tables.hpp"
#include "search_kernels.h"

namespace fpm::detail {

namespace {

constexpr std::uint32_t kMaxProbes = 64;    // probes per launch (per template); also per-subject probes
constexpr std::uint32_t kMaxFingers = 640;  // probe fingers per launch (per subject)
// Scores and keys per device, and the pinned upload buffer. Builds may set
// smaller ones (the tests' simulated devices do, so that their searches run
// over many tiles and their uploads over many chunks).
#ifndef FPM_CUDA_SCRATCH_BYTES
#define FPM_CUDA_SCRATCH_BYTES (std::size_t(2) << 30)
#endif
#ifndef FPM_CUDA_STAGING_BYTES
#define FPM_CUDA_STAGING_BYTES (std::size_t(64) << 20)
#endif
constexpr std::size_t kScratchBudget = FPM_CUDA_SCRATCH_BYTES;
constexpr std::size_t kStagingBytes = FPM_CUDA_STAGING_BYTES;
constexpr std::size_t kMemoryMargin = std::size_t(256) << 20;

// The library's error for a CUDA error: out of memory; a request the
// runtime calls invalid (a fault of this library: Internal); anything else
// is a device or driver that cannot be used, or no longer: taken by another
// process in exclusive mode, no driver, a fault that leaves the device's
// context unusable (illegal address, uncorrectable ECC error, ...).
ErrorCode error_code(cudaError_t e) {
  switch (e) {
    case cudaErrorMemoryAllocation: return ErrorCode::OutOfMemory;
    case cudaErrorInvalidValue:
    case cudaErrorInvalidResourceHandle:
    case cudaErrorLaunchOutOfResources: return ErrorCode::Internal;
    default: return ErrorCode::Unavailable;
  }
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw Error(error_code(e), std::string("CUDA backend: ") + what + ": " + cudaGetErrorString(e));
  }
}
void check(int e, const char* what) { check(static_cast<cudaError_t>(e), what); }

// `e`, met on device `id` (named `name` where known), as the failure of
// that device.
DeviceFailure device_failure(int id, const std::string& name, const Error& e) {
  return DeviceFailure(id, e.code(),
                       "device " + std::to_string(id) + (name.empty() ? "" : " (" + name + ")") + ": " + e.what());
}

template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() { release(); }
  void allocate(std::size_t count) {
    release();
    if (count) check(cudaMalloc(reinterpret_cast<void**>(&p_), count * sizeof(T)), "cudaMalloc");
    n_ = count;
  }
  void release() {
    if (p_) cudaFree(p_);
    p_ = nullptr;
    n_ = 0;
  }
  T* get() const { return p_; }
  std::size_t size() const { return n_; }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

class Pinned {
 public:
  ~Pinned() {
    if (p_) cudaFreeHost(p_);
  }
  void* ensure(std::size_t bytes) {
    if (bytes > bytes_) {
      if (p_) cudaFreeHost(p_);
      p_ = nullptr;
      check(cudaMallocHost(&p_, bytes), "cudaMallocHost");
      bytes_ = bytes;
    }
    return p_;
  }

 private:
  void* p_ = nullptr;
  std::size_t bytes_ = 0;
};

// Cylinder sets on a device, structure of arrays.
struct DeviceSets {
  DeviceArray<std::uint64_t> offset, hash, bits, valid;
  DeviceArray<std::uint8_t> position;
  DeviceArray<float> x, y, theta;
  std::uint32_t count = 0;
  int max_cylinders = 0;

  void allocate(std::size_t sets, std::size_t cylinders) {
    offset.allocate(sets + 1);
    hash.allocate(std::max<std::size_t>(sets, 1));
    position.allocate(std::max<std::size_t>(sets, 1));
    bits.allocate(std::max<std::size_t>(cylinders, 1) * mcc::kCylinderWords);
    valid.allocate(std::max<std::size_t>(cylinders, 1) * mcc::kValidityWords);
    x.allocate(std::max<std::size_t>(cylinders, 1));
    y.allocate(std::max<std::size_t>(cylinders, 1));
    theta.allocate(std::max<std::size_t>(cylinders, 1));
  }
  kernels::PackedSets view() const {
    kernels::PackedSets v;
    v.offset = offset.get();
    v.hash = hash.get();
    v.position = position.get();
    v.bits = bits.get();
    v.valid = valid.get();
    v.x = x.get();
    v.y = y.get();
    v.theta = theta.get();
    v.count = count;
    v.max_cylinders = max_cylinders;
    return v;
  }
  static std::size_t bytes(std::size_t sets, std::size_t cylinders) {
    return (sets + 1) * 8 + sets * 9 + cylinders * mcc::kBytesPerCylinder;
  }
};

// Streams host data into device arrays in chunks through pinned memory,
// double-buffered: the staging buffer's two halves take turns, so that the
// host packs one half while the other is being copied. A half is refilled
// only after the stream has been synchronised past its copy (the wait before
// the next copy is issued), which is what makes the reuse safe: pinned
// memory is read when the copy runs, not when it is issued. Progress counts
// bytes whose copy has completed.
class Uploader {
 public:
  Uploader(Pinned& staging, cudaStream_t stream, std::size_t* done, std::size_t total, const ProgressFn& progress)
      : stream_(stream), done_(done), total_(total), progress_(progress) {
    auto* buf = static_cast<unsigned char*>(staging.ensure(kStagingBytes));
    half_[0] = buf;
    half_[1] = buf + kHalf;
  }
  // Further put()s go to `dst` onwards (the previous destination's data is
  // flushed first).
  void begin(void* dst) {
    issue();
    dst_ = static_cast<unsigned char*>(dst);
  }
  void put(const void* src, std::size_t bytes) {
    const auto* s = static_cast<const unsigned char*>(src);
    while (bytes > 0) {
      const std::size_t n = std::min(bytes, kHalf - used_);
      std::memcpy(half_[cur_] + used_, s, n);
      used_ += n;
      s += n;
      bytes -= n;
      if (used_ == kHalf) issue();
    }
  }
  // Everything put so far is on the device.
  void finish() {
    issue();
    complete();
  }

 private:
  static constexpr std::size_t kHalf = kStagingBytes / 2;

  // Waits for the copy in flight, if any (its half may then be refilled).
  void complete() {
    if (in_flight_ == 0) return;
    check(cudaStreamSynchronize(stream_), "upload");
    *done_ += in_flight_;
    in_flight_ = 0;
    if (progress_) progress_(*done_, total_);
  }
  // Copies the current half's bytes to the destination, and switches halves.
  void issue() {
    if (used_ == 0) return;
    complete();
    check(cudaMemcpyAsync(dst_, half_[cur_], used_, cudaMemcpyHostToDevice, stream_), "upload");
    dst_ += used_;
    in_flight_ = used_;
    used_ = 0;
    cur_ ^= 1;
  }

  unsigned char* half_[2] = {nullptr, nullptr};
  cudaStream_t stream_;
  std::size_t* done_;
  std::size_t total_;
  const ProgressFn& progress_;
  unsigned char* dst_ = nullptr;
  std::size_t used_ = 0, in_flight_ = 0;
  int cur_ = 0;
};

struct Device {
  int id = 0;
  std::string name;
  cudaStream_t stream = nullptr;
  std::mutex mutex;  // one search at a time per device
  DeviceSets gallery;
  DeviceArray<std::uint32_t> entry_id, subject_offset, subject_rank;
  std::vector<std::uint32_t> h_subject_offset;  // device entries per local subject, +1
  std::vector<std::uint8_t> h_position;
  std::uint32_t first_subject = 0, subjects = 0;
  DeviceSets probes;
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

// Packs probe sets (views into host memory) into the device probe arrays.
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
      const std::uint32_t bits = static_cast<std::uint32_t>(key >> 32);
      float score;
      std::memcpy(&score, &bits, 4);
      out[first + s].offer({score, 0xffffffffu - static_cast<std::uint32_t>(key)});
    }
}

class CudaSearch final : public DeviceSearch {
 public:
  CudaSearch(const Gallery::Data& g, const SubjectIndex& index, const std::vector<int>& ids, const ProgressFn& progress)
      : index_(index) {
    const std::size_t S = index.subject_list.size();
    // Whole subjects, split over the devices in proportion to the memory
    // each has free for gallery data: equal parts on equal idle devices,
    // and a smaller part, instead of a refusal, on a device that already
    // holds other data.
    const std::vector<double> share = gallery_shares(ids);
    const std::size_t total_entries = index.subject_entries.size();
    std::size_t s = 0;
    std::size_t total_bytes = 0, done = 0;
    double before = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto d = std::make_unique<Device>();
      d->id = ids[i];
      d->first_subject = static_cast<std::uint32_t>(s);
      before += share[i];
      const auto target = static_cast<std::size_t>(static_cast<double>(total_entries) * before);
      while (s < S && (index.subject_offset[s] < target || i + 1 == ids.size())) ++s;
      d->subjects = static_cast<std::uint32_t>(s - d->first_subject);
      devices_.push_back(std::move(d));
    }
    for (auto& d : devices_) {
      const std::size_t e0 = index.subject_offset[d->first_subject], e1 = index.subject_offset[d->first_subject + d->subjects];
      std::size_t cyl = 0;
      for (std::size_t k = e0; k < e1; ++k) {
        const std::uint32_t e = index.subject_entries[k];
        cyl += g.offset[e + 1] - g.offset[e];
      }
      total_bytes += cyl * mcc::kBytesPerCylinder;  // what progress counts: the cylinder arrays
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

  std::string description() const override {
    std::string s = "cuda:";
    for (const auto& d : devices_) s += " [" + std::to_string(d->id) + "] " + d->name;
    return s;
  }

  std::vector<TopK> search(const std::vector<mcc::CylinderSetView>& probes, std::size_t k, float min_score,
                           std::uint64_t* comparisons) override {
    std::vector<TopK> out(probes.size(), TopK(k));
    for_each_device([&](Device& d) {
      std::vector<TopK> part(probes.size(), TopK(k));
      for (std::size_t p0 = 0; p0 < probes.size(); p0 += kMaxProbes) {
        const std::size_t np = std::min<std::size_t>(kMaxProbes, probes.size() - p0);
        std::vector<const mcc::CylinderSetView*> sets;
        for (std::size_t i = 0; i < np; ++i) sets.push_back(&probes[p0 + i]);
        upload_probes(d, sets, std::vector<std::uint8_t>(np, 0));
        for (std::uint32_t t0 = 0; t0 < d.gallery.count; t0 += d.tile) {
          const std::uint32_t n = std::min(d.tile, d.gallery.count - t0);
          check(kernels::launch_score(d.probes.view(), d.gallery.view(), t0, n, false, d.tables.get(),
                                      d.scores.get(), d.stream),
                "score kernel");
          check(kernels::launch_make_keys(d.scores.get(), static_cast<std::uint32_t>(np), n, d.entry_id.get() + t0,
                                          min_score, d.keys.get(), d.stream),
                "key kernel");
          top_keys(d, static_cast<std::uint32_t>(np), n, k, part, p0);
        }
      }
      std::lock_guard<std::mutex> g(merge_mutex_);
      for (std::size_t p = 0; p < probes.size(); ++p) out[p].merge(part[p]);
      *comparisons += static_cast<std::uint64_t>(probes.size()) * d.gallery.count;
    });
    return out;
  }

  std::vector<TopK> search_subjects(const std::vector<std::vector<FingerView>>& probes, std::size_t k, float min_score,
                                    std::uint64_t* comparisons) override {
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
        for (std::uint32_t s0 = 0; s0 < d.subjects;) {
          // Whole subjects, at most subject_tile entries.
          std::uint32_t s1 = s0 + 1;
          while (s1 < d.subjects && d.h_subject_offset[s1 + 1] - d.h_subject_offset[s0] <= d.subject_tile) ++s1;
          const std::uint32_t e0 = d.h_subject_offset[s0], n = d.h_subject_offset[s1] - e0;
          if (n > d.subject_tile) throw Error(ErrorCode::InvalidArgument, "search_subjects: a subject with too many entries");
          check(kernels::launch_score(d.probes.view(), d.gallery.view(), e0, n, true, d.tables.get(), d.scores.get(),
                                      d.stream),
                "score kernel");
          check(kernels::launch_fuse_subjects(d.scores.get(), n, d.finger_offset.get(), np,
                                              d.subject_offset.get() + s0, e0, s1 - s0, d.fused.get(), d.stream),
                "fusion kernel");
          check(kernels::launch_make_keys(d.fused.get(), np, s1 - s0, d.subject_rank.get() + s0, min_score,
                                          d.keys.get(), d.stream),
                "key kernel");
          top_keys(d, np, s1 - s0, k, part, p0);
          // Comparisons: compatible (probe finger, entry) pairs of the tile.
          std::uint64_t by_pos[11] = {0};
          for (std::uint32_t e = e0; e < e0 + n; ++e) ++by_pos[d.h_position[e]];
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
  // Each device's part of the gallery (summing to 1): its free memory less
  // what an engine takes besides the gallery (probe area, scratch, margin),
  // as a fraction of all devices'; equal parts when none has any.
  static std::vector<double> gallery_shares(const std::vector<int>& ids) {
    const std::size_t fixed = DeviceSets::bytes(kMaxFingers, std::size_t(kMaxFingers) * mcc::kMaxCylinders) +
                              kScratchBudget + kMemoryMargin;
    std::vector<double> share(ids.size(), 0.0);
    double sum = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      std::size_t free_bytes = 0, total_bytes = 0;
      try {
        check(cudaSetDevice(ids[i]), "memory query");
        check(cudaMemGetInfo(&free_bytes, &total_bytes), "memory query");
      } catch (const Error& e) {
        throw device_failure(ids[i], "", e);
      }
      share[i] = free_bytes > fixed ? static_cast<double>(free_bytes - fixed) : 0.0;
      sum += share[i];
    }
    for (double& v : share) v = sum > 0 ? v / sum : 1.0 / static_cast<double>(ids.size());
    return share;
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

  void setup(Device& d, const Gallery::Data& g, const ProgressFn& progress, std::size_t total, std::size_t* done) {
    check(cudaSetDevice(d.id), "cudaSetDevice");
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, d.id), "cudaGetDeviceProperties");
    d.name = prop.name;
    check(cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking), "cudaStreamCreate");
    const std::size_t e0 = index_.subject_offset[d.first_subject];
    const std::size_t e1 = index_.subject_offset[d.first_subject + d.subjects];
    const std::size_t E = e1 - e0;
    std::size_t C = 0;
    int max_n = 1;
    for (std::size_t k = e0; k < e1; ++k) {
      const std::uint32_t e = index_.subject_entries[k];
      const std::size_t n = g.offset[e + 1] - g.offset[e];
      C += n;
      max_n = std::max(max_n, static_cast<int>(n));
    }
    if (E > 0xffffffffu) throw Error(ErrorCode::InvalidArgument, "CUDA backend: more than 2^32 entries on one device");
    // Tiles: per template 64 probes x tile entries; per subject 640 fingers.
    const std::size_t per_template = kScratchBudget / (kMaxProbes * (4 + 16));
    const std::size_t per_subject = kScratchBudget / (kMaxFingers * 4 + kMaxProbes * (4 + 16));
    d.tile = static_cast<std::uint32_t>(std::max<std::size_t>(1, std::min(E, per_template)));
    d.subject_tile = static_cast<std::uint32_t>(std::max<std::size_t>(1, std::min(E, per_subject)));
    const std::size_t score_count = std::max(std::size_t(kMaxProbes) * d.tile, std::size_t(kMaxFingers) * d.subject_tile);
    const std::size_t key_count = std::size_t(kMaxProbes) * std::max(d.tile, d.subject_tile);
    std::size_t sort_bytes = 0;
    check(kernels::segmented_sort_desc(nullptr, &sort_bytes, nullptr, nullptr, kMaxProbes,
                                       std::max(d.tile, d.subject_tile), nullptr, nullptr),
          "sort sizing");
    const std::size_t need = DeviceSets::bytes(E, C) + E * 4 + (d.subjects + 1) * 4 + d.subjects * 4 +
                             DeviceSets::bytes(kMaxFingers, std::size_t(kMaxFingers) * mcc::kMaxCylinders) +
                             score_count * 4 + std::size_t(kMaxProbes) * d.subject_tile * 4 + key_count * 16 +
                             sort_bytes + sizeof(mcc::ScoreTables) + (kMaxFingers + 1) * 8;
    std::size_t free_bytes = 0, total_bytes = 0;
    check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
    if (need + kMemoryMargin > free_bytes)
      throw Error(ErrorCode::OutOfMemory,
                  "CUDA backend: the gallery part for device " + std::to_string(d.id) + " (" + prop.name + ") needs " +
                      std::to_string(need) + " bytes of device memory (" + std::to_string(E) + " templates, " +
                      std::to_string(C) + " cylinders, with search scratch), " + std::to_string(free_bytes) +
                      " bytes are free");

    d.gallery.allocate(E, C);
    d.gallery.count = static_cast<std::uint32_t>(E);
    d.gallery.max_cylinders = max_n;
    d.entry_id.allocate(std::max<std::size_t>(E, 1));
    d.subject_offset.allocate(d.subjects + 1);
    d.subject_rank.allocate(std::max<std::uint32_t>(d.subjects, 1));
    d.probes.allocate(kMaxFingers, std::size_t(kMaxFingers) * mcc::kMaxCylinders);
    d.finger_offset.allocate(kMaxProbes + 1);
    d.segments.allocate(kMaxFingers + 1);
    d.scores.allocate(score_count);
    d.fused.allocate(std::size_t(kMaxProbes) * d.subject_tile);
    d.keys.allocate(key_count);
    d.sorted.allocate(key_count);
    d.sort_temp.allocate(std::max<std::size_t>(sort_bytes, 1));
    d.sort_temp_bytes = sort_bytes;
    d.tables.allocate(1);
    check(cudaMemcpy(d.tables.get(), &mcc::score_tables(), sizeof(mcc::ScoreTables), cudaMemcpyHostToDevice), "tables");

    // Host-side per-entry tables, then the cylinder arrays through staging.
    std::vector<std::uint64_t> offset(E + 1), hash(E);
    std::vector<std::uint32_t> ids(E);
    d.h_position.resize(E);
    std::size_t c = 0;
    for (std::size_t k = 0; k < E; ++k) {
      const std::uint32_t e = index_.subject_entries[e0 + k];
      offset[k] = c;
      hash[k] = g.hash[e];
      ids[k] = e;
      d.h_position[k] = g.position[e];
      c += g.offset[e + 1] - g.offset[e];
    }
    offset[E] = c;
    d.h_subject_offset.resize(d.subjects + 1);
    std::vector<std::uint32_t> ranks(d.subjects);
    for (std::uint32_t s = 0; s <= d.subjects; ++s)
      d.h_subject_offset[s] = static_cast<std::uint32_t>(index_.subject_offset[d.first_subject + s] - e0);
    for (std::uint32_t s = 0; s < d.subjects; ++s) ranks[s] = d.first_subject + s;
    auto copy = [&](void* dst, const void* src, std::size_t bytes) {
      if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "upload");
    };
    copy(d.gallery.offset.get(), offset.data(), (E + 1) * 8);
    copy(d.gallery.hash.get(), hash.data(), E * 8);
    copy(d.gallery.position.get(), d.h_position.data(), E);
    copy(d.entry_id.get(), ids.data(), E * 4);
    copy(d.subject_offset.get(), d.h_subject_offset.data(), (d.subjects + 1) * 4);
    copy(d.subject_rank.get(), ranks.data(), d.subjects * 4);
    Uploader up(d.staging, d.stream, done, total, progress);
    struct Field {
      void* dst;
      const unsigned char* src;
      std::size_t per_cylinder;
    };
    const Field fields[] = {
        {d.gallery.bits.get(), reinterpret_cast<const unsigned char*>(g.bits.data()), mcc::kCylinderWords * 8},
        {d.gallery.valid.get(), reinterpret_cast<const unsigned char*>(g.valid.data()), mcc::kValidityWords * 8},
        {d.gallery.x.get(), reinterpret_cast<const unsigned char*>(g.x.data()), 4},
        {d.gallery.y.get(), reinterpret_cast<const unsigned char*>(g.y.data()), 4},
        {d.gallery.theta.get(), reinterpret_cast<const unsigned char*>(g.theta.data()), 4},
    };
    for (const Field& f : fields) {
      up.begin(f.dst);
      for (std::size_t k = 0; k < E; ++k) {
        const std::uint32_t e = index_.subject_entries[e0 + k];
        up.put(f.src + g.offset[e] * f.per_cylinder, (g.offset[e + 1] - g.offset[e]) * f.per_cylinder);
      }
    }
    up.finish();
    check(cudaDeviceSynchronize(), "upload");
  }

  const SubjectIndex& index_;
  std::vector<std::unique_ptr<Device>> devices_;
  std::mutex merge_mutex_;
};

}  // namespace

std::unique_ptr<DeviceSearch> make_cuda_search(const Gallery::Data& g, const SubjectIndex& index,
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
