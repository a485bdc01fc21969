// Whole-file reads and atomic writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fpm::detail {

// Reads a whole file, refusing files larger than `limit` bytes.
std::vector<std::uint8_t> read_file_limited(const std::string& path, std::size_t limit);

}  // namespace fpm::detail
