// Host side of the CUDA backend: the gallery on the devices. Live entries
// grouped by subject (SubjectIndex), split over the devices by whole
// subjects in proportion to the memory each has free, and each device's
// part packed and uploaded once: the per-entry tables directly, the
// cylinder arrays through a double-buffered pinned staging buffer, with
// progress reported per chunk.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cuda/device_memory.hpp"
#include "engine/device_search.hpp"
#include "fpmatch/gallery.hpp"
#include "gallery/gallery_data.hpp"
#include "mcc/packed_sets.hpp"

namespace fpm::detail::gpu {

// The pinned upload buffer per device. Builds may set a smaller one (the
// tests' simulated devices do, so that their uploads run over many chunks).
#ifndef FPM_CUDA_STAGING_BYTES
#define FPM_CUDA_STAGING_BYTES (std::size_t(64) << 20)
#endif
constexpr std::size_t kStagingBytes = FPM_CUDA_STAGING_BYTES;

// Cylinder sets on a device, structure of arrays.
struct DeviceSets {
  DeviceArray<std::uint64_t> offset, hash, bits, valid;
  DeviceArray<std::uint8_t> position;
  DeviceArray<float> x, y, theta;
  std::uint32_t count = 0;
  int max_cylinders = 0;

  void allocate(std::size_t sets, std::size_t cylinders);
  // What the kernels read (device pointers).
  mcc::PackedSetsView view() const;
  // Device bytes of `sets` sets of `cylinders` cylinders in all.
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
  Uploader(Pinned& staging, cudaStream_t stream, std::size_t* done, std::size_t total, const ProgressFn& progress);
  // Further put()s go to `dst` onwards (the previous destination's data is
  // flushed first).
  void begin(void* dst);
  void put(const void* src, std::size_t bytes);
  // Everything put so far is on the device.
  void finish();

 private:
  static constexpr std::size_t kHalf = kStagingBytes / 2;

  // Waits for the copy in flight, if any (its half may then be refilled).
  void complete();
  // Copies the current half's bytes to the destination, and switches halves.
  void issue();

  unsigned char* half_[2] = {nullptr, nullptr};
  cudaStream_t stream_;
  std::size_t* done_;
  std::size_t total_;
  const ProgressFn& progress_;
  unsigned char* dst_ = nullptr;
  std::size_t used_ = 0, in_flight_ = 0;
  int cur_ = 0;
};

// One device's part of the gallery: subjects [first_subject, first_subject
// + subjects) of the index, their entries [entry_begin, entry_begin +
// entries) of SubjectIndex::subject_entries.
struct GalleryPart {
  std::uint32_t first_subject = 0, subjects = 0;
  std::size_t entry_begin = 0, entries = 0;
  std::size_t cylinders = 0;
  int max_cylinders = 1;  // at least 1: sizes the kernels' shared memory
};

// Each device's share of the gallery (summing to 1): its free memory less
// `fixed` (what an engine takes besides the gallery: probe area, scratch,
// margin), as a fraction of all devices'; equal parts when none has any.
// A failed query throws the DeviceFailure of that device.
std::vector<double> gallery_shares(const std::vector<int>& ids, std::size_t fixed);

// Whole subjects, in index order, split by `share` (one part per device):
// each device takes subjects until its cumulative share of the entries is
// reached, the last device the rest.
std::vector<GalleryPart> split_gallery(const Gallery::Data& g, const SubjectIndex& index,
                                       const std::vector<double>& share);

// A gallery part in device memory, with the host copies the per-subject
// search needs.
struct DeviceGallery {
  GalleryPart part;
  DeviceSets sets;
  DeviceArray<std::uint32_t> entry_id, subject_offset, subject_rank;
  // The entries' first-stage codes (index::kCodeWords words each) and their
  // auxiliary values, in device order: stage 1 of two-stage searches.
  DeviceArray<std::uint64_t> code;
  DeviceArray<std::uint32_t> code_aux;
  std::vector<std::uint32_t> h_subject_offset;  // device entries per local subject, +1
  std::vector<std::uint8_t> h_position;

  // Device bytes of a part.
  static std::size_t bytes(const GalleryPart& p);
  // Device bytes of a part's first-stage codes (in bytes(), and in what
  // upload() reports as progress).
  static std::size_t code_bytes(const GalleryPart& p);
  // The sets with their codes (what stage 1 reads).
  mcc::PackedSetsView view() const;
  // Allocates the arrays of `p` on the current device.
  void allocate(const GalleryPart& p);
  // Packs and copies the part: the per-entry tables, then the cylinder
  // arrays and the first-stage codes through `staging` on `stream`, adding
  // the bytes of those copied to *done (out of `total` over every device)
  // and reporting them.
  void upload(const Gallery::Data& g, const SubjectIndex& index, Pinned& staging, cudaStream_t stream,
              const ProgressFn& progress, std::size_t total, std::size_t* done);
};

}  // namespace fpm::detail::gpu
