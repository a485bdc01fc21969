// The interface between the engine and a device backend (CUDA): searches
// over a gallery copied to device memory, returning top-K hits per probe
// exactly as the CPU path would (same scores, same order).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/top_k.hpp"
#include "fpmatch/engine.hpp"
#include "fpmatch/error.hpp"
#include "gallery/gallery_data.hpp"
#include "mcc/layout.hpp"

namespace fpm::detail {

// The engine's subject index: live entries grouped by subject, subjects in
// name order (their rank breaks ties between equal subject scores).
struct SubjectIndex {
  std::vector<std::uint32_t> subject_list;    // subject ids, by name
  std::vector<std::size_t> subject_offset;    // into subject_entries, per subject_list position (+1)
  std::vector<std::uint32_t> subject_entries; // entry indices
};

struct FingerView {
  mcc::CylinderSetView view;
  std::uint8_t position;
};

class DeviceSearch {
 public:
  virtual ~DeviceSearch() = default;
  // Per template: hits keyed by gallery entry index.
  virtual std::vector<TopK> search(const std::vector<mcc::CylinderSetView>& probes, std::size_t k, float min_score,
                                   std::uint64_t* comparisons) = 0;
  // Per subject: hits keyed by position in SubjectIndex::subject_list.
  virtual std::vector<TopK> search_subjects(const std::vector<std::vector<FingerView>>& probes, std::size_t k,
                                            float min_score, std::uint64_t* comparisons) = 0;
  virtual std::string description() const = 0;
};

// A device that failed (a fault, a device taken by another process; not a
// lack of memory): which one, so that Backend::Auto can carry on with the
// other devices. Never leaves the library: the engine rethrows it as an
// fpm::Error.
class DeviceFailure : public Error {
 public:
  DeviceFailure(int device, ErrorCode code, const std::string& message) : Error(code, message), device_(device) {}
  int device() const noexcept { return device_; }

 private:
  int device_;
};

// Copies the gallery (live entries, grouped by subject) to the devices,
// split by subject. Returns nullptr with the reason in *why when CUDA is not
// built or no listed device is usable; throws fpm::Error(OutOfMemory) when
// the gallery does not fit, naming the bytes needed and available, and
// DeviceFailure when a device fails. Searches throw DeviceFailure too.
std::unique_ptr<DeviceSearch> make_cuda_search(const Gallery::Data& g, const SubjectIndex& index,
                                               const std::vector<int>& devices, const ProgressFn& progress,
                                               std::string* why);

}  // namespace fpm::detail
