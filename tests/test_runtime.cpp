// Version, runtime information and the CUDA self-test (skipped visibly
// where no CUDA device is usable).
#include <catch2/catch.hpp>

#include "fpmatch/fpmatch.hpp"
#include "support.hpp"

TEST_CASE("runtime: version macros match the library", "[runtime]") {
  CHECK(std::string(fpm::version()) == FPM_VERSION_STRING);
  const fpm::RuntimeInfo info = fpm::runtime_info();
  CHECK(info.version == FPM_VERSION_STRING);
  CHECK_FALSE(info.cuda_status.empty());
}

TEST_CASE("runtime: CUDA self-test kernel runs on every device", "[runtime][cuda]") {
  const fpm::RuntimeInfo info = fpm::runtime_info();
  if (!info.cuda_built) fpm_test::skip("CUDA backend not built");
  if (info.devices.empty()) fpm_test::skip("no usable CUDA device: " + info.cuda_status);
  for (const auto& d : info.devices) {
    std::string why;
    CHECK(fpm::cuda_self_test(d.index, &why));
    INFO(why);
  }
}

TEST_CASE("runtime: the self-test fails cleanly without a device", "[runtime]") {
  std::string why;
  CHECK_FALSE(fpm::cuda_self_test(-1, &why));
  CHECK_FALSE(why.empty());
}
