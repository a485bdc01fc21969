// The shard metadata file's reader and writer (layout: docs/scale-out.md,
// "Shard files"), for split_gallery and read_shard_info.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fpmatch/shard.hpp"

namespace fpm::detail {

// The header CRC-32C of a gallery file (its bytes 4092-4095): covers the
// header and, through the section CRCs in it, every byte of the file.
std::uint32_t gallery_header_crc(const std::string& path);

// Writes `s` to `path` atomically.
void write_shard_info(const std::string& path, const ShardInfo& s);
// Parses and verifies the bytes of a metadata file read from `path`.
ShardInfo parse_shard_info(const std::string& path, const std::vector<std::uint8_t>& bytes);

}  // namespace fpm::detail
