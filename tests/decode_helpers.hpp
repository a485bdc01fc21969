// Assertions on decode failures: the code, the field and the byte offset.
#pragma once

#include <catch2/catch.hpp>
#include <functional>
#include <stdexcept>

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
