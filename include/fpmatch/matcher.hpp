// fpmatch: comparing two fingerprints (MCC with LSS-R).
//
// encode_cylinders() turns a Template into the cylinder form the matcher compares, once
// per template; match() compares two encoded templates and returns a score
// in [0, 1] (the LSS-R global score: 0 = nothing in common, 1 = identical
// local structures). Scores are comparable across calls, machines and the
// CPU/GPU paths; calibration.hpp maps them to false match rates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "fpmatch/export.h"
#include "fpmatch/template.hpp"

namespace fpm {

namespace detail {
struct Access;  // the library's own access to the layouts behind these classes
}

class FPM_API EncodedTemplate {
 public:
  // An empty template: no cylinders; matches nothing (score 0).
  EncodedTemplate();
  // Valid cylinders kept (minutiae whose neighbourhood is informative enough;
  // at most 128, the highest-quality ones when a template has more).
  std::size_t cylinders() const noexcept;
  // Minutiae in the template it was encoded from.
  std::size_t source_minutiae() const noexcept;
  // Bytes of the encoded layout (236 per cylinder).
  std::size_t bytes() const noexcept;
  const TemplateInfo& info() const noexcept;

  struct Data;  // the library's own layout (src/mcc/encoded.hpp)

 private:
  friend struct detail::Access;
  explicit EncodedTemplate(std::shared_ptr<const Data> d) : d_(std::move(d)) {}
  std::shared_ptr<const Data> d_;
};

// How encode() treats minutiae of low recorded quality. fpmatch's one
// extension of the published method (docs/matcher.md has the figures): a
// minutia whose quality is 1 to min_quality - 1 on the ISO 0-100 scale is
// left out (it gets no cylinder and does not contribute to others), unless
// more than max_dropped_percent of the template's minutiae are that low, in
// which case the quality values do not single out a few doubtful minutiae
// (other extractors use other scales) and every minutia is kept. Quality 0
// (not reported) and 254/255 (ISO 2011: not computed / failed) never count
// as low. min_quality = 0 gives the published method.
struct CylinderOptions {
  std::uint8_t min_quality = 55;
  std::uint8_t max_dropped_percent = 40;
};

// Builds the MCC cylinders of a template (deterministic: the same template
// gives the same bits on every run and machine).
FPM_API EncodedTemplate encode_cylinders(const Template& t, const CylinderOptions& options = {});

// Encodes many templates on `threads` threads (0: all cores; at most
// kMaxEngineThreads, more is InvalidArgument; threads the system cannot
// start are done without), results in
// input order. `progress`, if given, is called now and then with (done, total).
FPM_API std::vector<EncodedTemplate> encode_cylinders_all(
    const std::vector<Template>& templates, const CylinderOptions& options = {}, int threads = 0,
    const std::function<void(std::size_t, std::size_t)>& progress = {});

// The names of fpmatch 0.1, deprecated: fpm::encode also names the record
// writer of formats.hpp.
[[deprecated("use fpm::encode_cylinders")]] inline EncodedTemplate encode(const Template& t,
                                                                       const CylinderOptions& options = {}) {
  return encode_cylinders(t, options);
}
[[deprecated("use fpm::encode_cylinders_all")]] inline std::vector<EncodedTemplate> encode_all(
    const std::vector<Template>& templates, const CylinderOptions& options = {}, int threads = 0,
    const std::function<void(std::size_t, std::size_t)>& progress = {}) {
  return encode_cylinders_all(templates, options, threads, progress);
}

// How the CPU computes cylinder popcounts. All levels give identical scores.
enum class SimdLevel : std::uint8_t { Auto = 0, Scalar = 1, Avx2 = 2, Avx512 = 3 };
FPM_API SimdLevel best_simd_level() noexcept;  // what this CPU supports best
FPM_API bool simd_level_supported(SimdLevel level) noexcept;
FPM_API const char* simd_level_name(SimdLevel level) noexcept;

// A matcher owns the scratch memory one comparison needs, so that comparing
// allocates nothing. One Matcher per thread; a Matcher is not thread-safe.
// Calls with the same probe one after another (one probe against many
// candidates) prepare the probe once: the matcher keeps the last probe's
// per-cylinder summaries, and a reference to that probe while it does.
class FPM_API Matcher {
 public:
  // Throws fpm::Error(InvalidArgument) when the CPU lacks `level`.
  explicit Matcher(SimdLevel level = SimdLevel::Auto);
  ~Matcher();
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  float match(const EncodedTemplate& probe, const EncodedTemplate& candidate);
  SimdLevel level() const noexcept;

 private:
  friend struct detail::Access;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience: compares with a thread-local Matcher at the best SIMD level.
FPM_API float match(const EncodedTemplate& probe, const EncodedTemplate& candidate);

}  // namespace fpm
