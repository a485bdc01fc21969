// The device backend (CUDA) as the engine sees it: a SearchBackend over a
// gallery copied to device memory, and the failures that let Backend::Auto
// carry on without a device.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/search_backend.hpp"
#include "engine/top_k.hpp"
#include "fpmatch/engine.hpp"
#include "fpmatch/error.hpp"
#include "gallery/gallery_data.hpp"
#include "mcc/layout.hpp"

namespace fpm::detail {

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
std::unique_ptr<SearchBackend> make_cuda_search(const Gallery::Data& g, const SubjectIndex& index,
                                               const std::vector<int>& devices, const ProgressFn& progress,
                                               std::string* why);

}  // namespace fpm::detail
