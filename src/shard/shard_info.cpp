// Shard metadata files: writing, reading and verifying them
// (docs/scale-out.md, "Shard files").
#include "shard/shard_info_file.hpp"

#include <cmath>
#include <cstring>
#include <fstream>

#include "fpmatch/error.hpp"
#include "util/atomic_file.hpp"
#include "util/crc32c.hpp"
#include "util/file_io.hpp"

namespace fpm {

namespace {

constexpr char kMagic[8] = {'F', 'P', 'M', 'S', 'H', 'A', 'R', 'D'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kFixedBytes = 96;  // everything before the index arrays
// The header CRC of a gallery file sits in its last four header bytes
// (docs/gallery-format.md).
constexpr std::size_t kGalleryHeaderBytes = 4096, kGalleryHeaderCrcAt = 4092;

void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put64(std::vector<std::uint8_t>& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint32_t get32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint64_t get64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

[[noreturn]] void refuse(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::Corrupt, "shard metadata '" + path + "' refused: " + what);
}

}  // namespace

std::string shard_file_name(std::uint32_t shard, std::uint32_t shards) {
  return "shard-" + std::to_string(shard) + "-of-" + std::to_string(shards) + ".fpg";
}

std::string shard_info_path(const std::string& shard_gallery_path) { return shard_gallery_path + ".shard"; }

namespace detail {

std::uint32_t gallery_header_crc(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::Io, "cannot open '" + path + "'");
  std::uint8_t header[kGalleryHeaderBytes];
  if (!f.read(reinterpret_cast<char*>(header), sizeof header))
    throw Error(ErrorCode::Corrupt, "gallery file '" + path + "' refused: shorter than its 4096-byte header");
  return get32(header + kGalleryHeaderCrcAt);
}

void write_shard_info(const std::string& path, const ShardInfo& s) {
  if (s.split_id.size() != 32) throw Error(ErrorCode::Internal, "shard metadata: a split id of 32 hex digits");
  std::vector<std::uint8_t> b(kMagic, kMagic + 8);
  put32(b, kVersion);
  put32(b, s.shard);
  put32(b, s.shards);
  put32(b, s.source_crc);
  put32(b, s.shard_crc);
  put32(b, 0);
  for (std::size_t i = 0; i < 32; i += 2)
    b.push_back(static_cast<std::uint8_t>(hex_digit(s.split_id[i]) * 16 + hex_digit(s.split_id[i + 1])));
  put64(b, s.source_entries);
  put64(b, s.source_live);
  put64(b, s.source_subjects);
  std::uint64_t w;
  std::memcpy(&w, &s.weight, 8);
  put64(b, w);
  put64(b, s.global_index.size());
  put64(b, s.subject_rank.size());
  for (std::uint64_t g : s.global_index) put64(b, g);
  for (std::uint64_t r : s.subject_rank) put64(b, r);
  put32(b, crc32c(0, b.data(), b.size()));
  AtomicFile f(path);
  f.write_at(0, b.data(), b.size());
  f.commit();
}

ShardInfo parse_shard_info(const std::string& path, const std::vector<std::uint8_t>& b) {
  if (b.size() < kFixedBytes + 4) refuse(path, "shorter than its fixed part (" + std::to_string(b.size()) + " bytes)");
  if (std::memcmp(b.data(), kMagic, 8) != 0) refuse(path, "not a shard metadata file (no FPMSHARD magic)");
  const std::uint8_t* p = b.data();
  if (get32(p + 8) != kVersion) refuse(path, "format version " + std::to_string(get32(p + 8)) + ", this library reads 1");
  if (get32(p + b.size() - 4) != crc32c(0, p, b.size() - 4)) refuse(path, "CRC mismatch (altered or damaged)");
  ShardInfo s;
  s.shard = get32(p + 12);
  s.shards = get32(p + 16);
  s.source_crc = get32(p + 20);
  s.shard_crc = get32(p + 24);
  if (get32(p + 28) != 0) refuse(path, "non-zero reserved bytes");
  static const char* digits = "0123456789abcdef";
  for (std::size_t i = 0; i < 16; ++i) {
    s.split_id.push_back(digits[p[32 + i] >> 4]);
    s.split_id.push_back(digits[p[32 + i] & 15]);
  }
  s.source_entries = get64(p + 48);
  s.source_live = get64(p + 56);
  s.source_subjects = get64(p + 64);
  const std::uint64_t w = get64(p + 72);
  std::memcpy(&s.weight, &w, 8);
  const std::uint64_t E = get64(p + 80), S = get64(p + 88);
  if (s.shards == 0 || s.shard >= s.shards)
    refuse(path, "shard " + std::to_string(s.shard) + " of " + std::to_string(s.shards));
  if (!(std::isfinite(s.weight) && s.weight > 0)) refuse(path, "a weight that is not a positive number");
  if (E > s.source_live || S > s.source_subjects || s.source_live > s.source_entries)
    refuse(path, "more entries or subjects than the source gallery has");
  if (b.size() != kFixedBytes + 8 * (E + S) + 4)
    refuse(path, std::to_string(b.size()) + " bytes where its counts need " + std::to_string(kFixedBytes + 8 * (E + S) + 4));
  const std::uint8_t* q = p + kFixedBytes;
  for (std::uint64_t i = 0; i < E; ++i, q += 8) {
    s.global_index.push_back(get64(q));
    if (s.global_index.back() >= s.source_entries || (i > 0 && s.global_index[i] <= s.global_index[i - 1]))
      refuse(path, "entry " + std::to_string(i) + ": source index not increasing or past the source's entries");
  }
  s.entries = E;
  s.subjects = S;
  for (std::uint64_t i = 0; i < S; ++i, q += 8) {
    s.subject_rank.push_back(get64(q));
    if (s.subject_rank.back() >= s.source_subjects || (i > 0 && s.subject_rank[i] <= s.subject_rank[i - 1]))
      refuse(path, "subject " + std::to_string(i) + ": rank not increasing or past the source's subjects");
  }
  return s;
}

}  // namespace detail

ShardInfo read_shard_info(const std::string& path) {
  const std::string meta = shard_info_path(path);
  // A shard's metadata is 104 bytes plus 8 per entry and subject: far below
  // this bound for any gallery a machine holds.
  const std::vector<std::uint8_t> bytes = detail::read_file_limited(meta, std::size_t(1) << 36);
  ShardInfo s = detail::parse_shard_info(meta, bytes);
  const std::uint32_t crc = detail::gallery_header_crc(path);
  if (crc != s.shard_crc)
    refuse(meta, "it belongs to another gallery file than '" + path + "' (header CRC " + std::to_string(crc) +
                     ", recorded " + std::to_string(s.shard_crc) + ")");
  return s;
}

Shard load_shard(const std::string& path, const ProgressFn& progress) {
  ShardInfo info = read_shard_info(path);
  Gallery g = Gallery::load(path, progress);
  // The file may have been replaced between the two reads: its CRC again.
  if (detail::gallery_header_crc(path) != info.shard_crc)
    throw Error(ErrorCode::Corrupt, "shard '" + path + "' changed while it was being loaded");
  if (g.size() != info.global_index.size() || g.live_size() != g.size() || g.subjects() != info.subject_rank.size())
    throw Error(ErrorCode::Corrupt, "shard '" + path + "' refused: " + std::to_string(g.size()) + " entries (" +
                                        std::to_string(g.live_size()) + " live) and " + std::to_string(g.subjects()) +
                                        " subjects, its metadata lists " + std::to_string(info.global_index.size()) +
                                        " and " + std::to_string(info.subject_rank.size()));
  return {std::move(g), std::move(info)};
}

void check_complete_split(const std::vector<ShardInfo>& shards) {
  if (shards.empty()) throw Error(ErrorCode::InvalidArgument, "a split of no shards");
  const ShardInfo& a = shards[0];
  std::uint64_t entries = 0, subjects = 0;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const ShardInfo& s = shards[i];
    const std::string who = "shard " + std::to_string(i) + ": ";
    if (s.split_id != a.split_id || s.source_crc != a.source_crc)
      throw Error(ErrorCode::InvalidArgument, who + "of another split (split id " + s.split_id + ", shard 0's is " +
                                                  a.split_id + ")");
    if (s.shards != shards.size())
      throw Error(ErrorCode::InvalidArgument, who + "of a split into " + std::to_string(s.shards) + " shards, not " +
                                                  std::to_string(shards.size()));
    if (s.shard != i)
      throw Error(ErrorCode::InvalidArgument, who + "its metadata says it is shard " + std::to_string(s.shard));
    entries += s.entries;
    subjects += s.subjects;
  }
  if (entries != a.source_live || subjects != a.source_subjects)
    throw Error(ErrorCode::InvalidArgument, "the shards hold " + std::to_string(entries) + " entries and " +
                                                std::to_string(subjects) + " subjects, the split gallery " +
                                                std::to_string(a.source_live) + " and " +
                                                std::to_string(a.source_subjects));
}

}  // namespace fpm
