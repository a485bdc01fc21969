// Which entries a score launch compares (the stage 2 of a two-stage
// search, docs/two-stage.md): without a list, entries e_begin .. e_begin +
// entry_count - 1 of the device gallery; with one, block i scores entry
// entry[i], and only the probe rows whose bit is set in its row mask (the
// probes, or probe fingers, that shortlisted it); the other rows get -1,
// like incompatible finger positions. Plain data: shared by the kernels, the
// host code that launches them and the tests.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mcc/hd.hpp"

namespace fpm::kernels {

struct EntryList {
  const std::uint32_t* entry = nullptr;  // device positions, one per block; null: no list
  const std::uint64_t* rows = nullptr;   // row_words words per block: bit r = probe row r scores it
  std::uint32_t row_words = 0;

  // The device entry of block `block`.
  FPM_HD_INLINE std::uint32_t at(std::uint32_t block, std::uint32_t e_begin) const {
    return entry ? entry[block] : e_begin + block;
  }
  // Whether probe row `row` scores the entry of block `block`.
  FPM_HD_INLINE bool scores(std::uint32_t block, std::uint32_t row) const {
    return rows == nullptr || ((rows[std::size_t(block) * row_words + row / 64] >> (row % 64)) & 1u) != 0;
  }
};

}  // namespace fpm::kernels
