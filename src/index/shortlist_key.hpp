// A stage-1 candidate of the two-stage search (docs/two-stage.md) as one
// sortable key, the same on host and device: a larger key is a higher
// stage-1 score, then a smaller index (entry index or subject rank), so
// that a shortlist never depends on the order in which threads, tiles or
// devices saw the candidates. Every key is nonzero (index < 0xffffffff).
#pragma once

#include <cstdint>

#include "mcc/hd.hpp"

namespace fpm::index {

FPM_HD_INLINE std::uint64_t shortlist_key(std::uint32_t score, std::uint32_t index) {
  return (static_cast<std::uint64_t>(score) << 32) | (0xFFFFFFFFu - index);
}
FPM_HD_INLINE std::uint32_t shortlist_index(std::uint64_t key) {
  return 0xFFFFFFFFu - static_cast<std::uint32_t>(key & 0xFFFFFFFFu);
}

}  // namespace fpm::index
