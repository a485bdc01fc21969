// Assertions on decode (and encode) failures: the code, the field and the byte
// offset; tables of corruptions a decoder must refuse.
#pragma once

#include <catch2/catch.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fpmatch/fpmatch.hpp"

namespace fpm_test {

inline fpm::DecodeError decode_error(const std::vector<std::uint8_t>& bytes, const fpm::DecodeOptions& opt = {}) {
  try {
    fpm::decode(bytes, opt);
  } catch (const fpm::DecodeError& e) {
    return e;
  }
  FAIL("decode succeeded where a DecodeError was expected");
  throw std::logic_error("unreachable");
}

inline fpm::DecodeOptions as(fpm::Format f, bool strict = false) {
  fpm::DecodeOptions o;
  o.format = f;
  o.strict = strict;
  return o;
}

inline void put16(std::vector<std::uint8_t>& b, std::size_t at, unsigned v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
inline void put32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

}  // namespace fpm_test

#define CHECK_DECODE_ERROR(bytes, opt, code_, field_, offset_)          \
  do {                                                                  \
    const fpm::DecodeError e_ = fpm_test::decode_error((bytes), (opt)); \
    INFO(e_.what());                                                    \
    CHECK(e_.code() == (code_));                                        \
    CHECK(e_.field() == (field_));                                      \
    CHECK(e_.offset() == (offset_));                                    \
  } while (0)

namespace fpm_test {

// One way to spoil a good record (`edit`, applied to a copy of it) and the
// error that decoding the spoilt copy must report.
struct Corruption {
  std::function<void(std::vector<std::uint8_t>&)> edit;
  fpm::ErrorCode code;
  std::string field;
  std::size_t offset;
};

// Each corruption, applied alone to `good`, makes decoding with `opt` fail
// with its code, field and offset. A table, so that a format's tests list
// what they spoil rather than repeat the copy-edit-check steps.
inline void check_corruptions_refused(const std::vector<std::uint8_t>& good, const fpm::DecodeOptions& opt,
                                      const std::vector<Corruption>& corruptions) {
  for (std::size_t i = 0; i < corruptions.size(); ++i) {
    const Corruption& c = corruptions[i];
    INFO("corruption " << i << " (" << c.field << ")");
    std::vector<std::uint8_t> b = good;
    c.edit(b);
    CHECK_DECODE_ERROR(b, opt, c.code, c.field, c.offset);
  }
}

// Every proper prefix of `good` is refused with a DecodeError: a cut record
// is never half-decoded.
inline void check_truncations_refused(const std::vector<std::uint8_t>& good, const fpm::DecodeOptions& opt) {
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    INFO("cut at " << cut);
    const std::vector<std::uint8_t> t(good.begin(), good.begin() + static_cast<long>(cut));
    CHECK_THROWS_AS(fpm::decode(t, opt), fpm::DecodeError);
  }
}

// The code of the fpm::Error that encoding `views` as `format` throws; the
// test fails where it encodes.
inline fpm::ErrorCode encode_error(const std::vector<fpm::Template>& views, fpm::Format format) {
  try {
    fpm::encode(views, format);
  } catch (const fpm::Error& e) {
    return e.code();
  }
  FAIL("encode succeeded where an fpm::Error was expected");
  throw std::logic_error("unreachable");
}

}  // namespace fpm_test
