// Internal interface between the format dispatcher (formats.cpp) and the
// per-format codecs, one file each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fpmatch/error.hpp"
#include "fpmatch/formats.hpp"

namespace fpm::detail {

// Collects the recoverable oddities of one decode: a warning in lenient mode,
// a DecodeError in strict mode.
class Diagnostics {
 public:
  Diagnostics(bool strict, const char* format) : strict_(strict), format_(format) {}
  // `detail` says what is wrong; `accepted` what lenient decoding does about
  // it (appended to the warning only).
  // `line` (text formats only) goes into the DecodeError of strict mode.
  void recoverable(ErrorCode code, const std::string& field, std::size_t offset,
                   const std::string& detail, const std::string& accepted = "ignored",
                   std::size_t line = 0);
  std::vector<std::string> take() { return std::move(warnings_); }
  const char* format() const noexcept { return format_; }

 private:
  bool strict_;
  const char* format_;
  std::vector<std::string> warnings_;
};

// Minutiae of one view that repeat an earlier one of the same view: the same
// position and direction (type and quality may differ), compared in the
// canonical frame, which each decoder reaches by a one-to-one conversion of
// the record's own values. O(n log n).
struct RepeatedMinutiae {
  std::size_t count = 0;     // minutiae that repeat an earlier one
  std::size_t first = 0;     // the lowest index among them (when count > 0)
  std::size_t original = 0;  // the earlier minutia that one repeats
};
RepeatedMinutiae find_repeated_minutiae(const std::vector<Minutia>& minutiae);

DecodedRecord decode_iso2005(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt);
DecodedRecord decode_iso2011(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt);
DecodedRecord decode_ansi2004(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt);
DecodedRecord decode_ansi2009(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt);
DecodedRecord decode_xyt(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt);
DecodedRecord decode_an2k(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt);

std::vector<std::uint8_t> encode_iso2005(const std::vector<Template>& views, const EncodeOptions& opt);
std::vector<std::uint8_t> encode_ansi2004(const std::vector<Template>& views, const EncodeOptions& opt);
std::vector<std::uint8_t> encode_xyt(const std::vector<Template>& views, const EncodeOptions& opt);
std::vector<std::uint8_t> encode_an2k(const std::vector<Template>& views, const EncodeOptions& opt);

}  // namespace fpm::detail
