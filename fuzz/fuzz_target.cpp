// One libFuzzer executable per decoder; FPM_FUZZ_TARGET names the target
// function (set by fuzz/CMakeLists.txt).
#include <cstddef>
#include <cstdint>

#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fpm_fuzz::FPM_FUZZ_TARGET(data, size);
}
