// The gallery file (docs/gallery-format.md): a 4096-byte header, then the
// sections of Gallery::Data exactly as they lie in memory (and on a GPU),
// each 4096-byte aligned and covered by a CRC-32C. Loading maps the file
// read-only and uses the sections where they lie: nothing is copied but the
// entry flags (one byte per entry, the only array changed in place), and
// the checks (checksums, structure, content hashes) run over the
// mapping on all cores, so a load costs about one read of the file. The
// contract of any mapping applies: the file must not be truncated or
// rewritten in place while a gallery loaded from it lives (save() never
// does: it writes a new file and renames it over the old one).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <thread>

#include "fpmatch/error.hpp"
#include "gallery/gallery_data.hpp"
#include "index/first_stage_code.hpp"
#include "mcc/content_hash.hpp"
#include "cpu/thread_pool.hpp"
#include "util/atomic_file.hpp"
#include "util/crc32c.hpp"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the gallery file is little-endian; big-endian hosts are not supported"
#endif

namespace fpm {

namespace {

constexpr char kMagic[8] = {'F', 'P', 'M', 'G', 'A', 'L', 'R', 'Y'};
// Version 2 added the first-stage codes (section 12); version 1 files still
// load, their codes computed from the cylinders (Gallery::load_note).
constexpr std::uint32_t kFormatVersion = 2;
constexpr std::uint32_t kOldestFormatVersion = 1;
constexpr std::uint32_t kHeaderBytes = 4096;
constexpr std::uint64_t kAlign = 4096;
constexpr std::size_t kMaxSections = 16;
constexpr std::size_t kChunk = 64u << 20;      // save: bytes per write
constexpr std::size_t kLoadPiece = 4u << 20;   // load: bytes per checksum task

enum SectionId : std::uint32_t {
  kEntryOffsets = 1, kEntrySubject, kEntryPosition, kEntryFlags, kEntryHash,
  kCylBits, kCylValid, kCylX, kCylY, kCylTheta, kSubjectNames, kFirstStageCodes,
};
// The first-stage code section: this prefix (code version, words per code,
// 8 zero bytes), then every entry's code words, then every entry's
// auxiliary value.
constexpr std::uint64_t kCodePrefixBytes = 16;
std::uint64_t code_section_bytes(std::uint64_t entries) {
  return kCodePrefixBytes + entries * (index::kCodeWords * 8 + 4);
}
const char* section_name(std::uint32_t id) {
  static const char* names[] = {"?", "entry_offsets", "entry_subject", "entry_position", "entry_flags", "entry_hash",
                                "cylinder_bits", "cylinder_validity", "cylinder_x", "cylinder_y", "cylinder_theta",
                                "subject_names", "first_stage_codes"};
  return id >= 1 && id <= kFirstStageCodes ? names[id] : "unknown";
}

struct SectionRef {
  std::uint32_t id;
  const void* data;  // for saving
  std::uint64_t bytes;
};


void put32(unsigned char* p, std::uint32_t v) { std::memcpy(p, &v, 4); }
void put64(unsigned char* p, std::uint64_t v) { std::memcpy(p, &v, 8); }
std::uint32_t get32(const unsigned char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
std::uint64_t get64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
std::uint64_t align_up(std::uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

std::vector<unsigned char> names_blob(const std::vector<std::string>& names) {
  std::vector<unsigned char> b(4);
  put32(b.data(), static_cast<std::uint32_t>(names.size()));
  for (const auto& n : names) {
    b.push_back(static_cast<unsigned char>(n.size()));
    b.insert(b.end(), n.begin(), n.end());
  }
  return b;
}

// The first-stage code section of d, in one buffer (a few hundred bytes
// per entry; written like the other sections).
std::vector<unsigned char> codes_blob(const Gallery::Data& d) {
  const std::uint64_t E = d.size();
  std::vector<unsigned char> b(code_section_bytes(E), 0);
  put32(b.data(), index::kCodeVersion);
  put32(b.data() + 4, index::kCodeWords);
  if (E) {
    std::memcpy(b.data() + kCodePrefixBytes, d.code.data(), E * index::kCodeWords * 8);
    std::memcpy(b.data() + kCodePrefixBytes + E * index::kCodeWords * 8, d.code_aux.data(), E * 4);
  }
  return b;
}

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::Corrupt, "gallery file '" + path + "' refused: " + what);
}

std::string hex_byte(unsigned char c) {
  static const char digits[] = "0123456789abcdef";
  return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

}  // namespace

std::vector<GalleryTemporaryFile> Gallery::temporary_files(const std::string& path) {
  std::vector<GalleryTemporaryFile> out;
  try {
    for (const detail::AtomicFile::Temporary& t : detail::AtomicFile::temporaries(path)) {
      GalleryTemporaryFile f;
      f.path = t.path;
      f.bytes = t.bytes;
      f.host = t.host;
      f.pid = t.pid;
      using S = detail::AtomicFile::Temporary::State;
      f.state = t.state == S::Stale     ? GalleryTemporaryFile::State::Stale
                : t.state == S::Running ? GalleryTemporaryFile::State::InUse
                : t.state == S::OtherHost ? GalleryTemporaryFile::State::OtherHost
                                          : GalleryTemporaryFile::State::Unrecognised;
      out.push_back(std::move(f));
    }
  } catch (...) {  // (only an allocation can fail)
    return {};
  }
  return out;
}

Gallery::Layout Gallery::layout() noexcept {
  return {kFormatVersion, mcc::kNs, mcc::kNd, mcc::kBytesPerCylinder, mcc::kMaxCylinders,
          index::kCodeWords * 8 + 4, index::kCodeVersion};
}

void Gallery::save(const std::string& path, const ProgressFn& progress) const {
  const Data& d = *d_;
  const std::vector<unsigned char> names = names_blob(d.subject_names);
  const std::vector<unsigned char> codes = codes_blob(d);
  const std::uint64_t E = d.size(), C = d.x.size();
  const SectionRef sections[] = {
      {kEntryOffsets, d.offset.data(), (E + 1) * 8},
      {kEntrySubject, d.subject.data(), E * 4},
      {kEntryPosition, d.position.data(), E},
      {kEntryFlags, d.flags.data(), E},
      {kEntryHash, d.hash.data(), E * 8},
      {kCylBits, d.bits.data(), C * mcc::kCylinderWords * 8},
      {kCylValid, d.valid.data(), C * mcc::kValidityWords * 8},
      {kCylX, d.x.data(), C * 4},
      {kCylY, d.y.data(), C * 4},
      {kCylTheta, d.theta.data(), C * 4},
      {kSubjectNames, names.data(), names.size()},
      {kFirstStageCodes, codes.data(), codes.size()},
  };
  const std::size_t count = sizeof(sections) / sizeof(sections[0]);
  std::uint64_t total = 0;
  for (const auto& s : sections) total += s.bytes;

  detail::AtomicFile file(path);
  unsigned char header[kHeaderBytes] = {};
  std::memcpy(header, kMagic, 8);
  put32(header + 8, kFormatVersion);
  put32(header + 12, kHeaderBytes);
  put32(header + 16, (mcc::kNd << 16) | mcc::kNs);
  put32(header + 20, mcc::kBytesPerCylinder);
  put32(header + 24, mcc::kMaxCylinders);
  put32(header + 28, static_cast<std::uint32_t>(count));
  put64(header + 32, E);
  put64(header + 40, C);
  put64(header + 48, d.subject_names.size());
  std::uint64_t at = kHeaderBytes, done = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const SectionRef& s = sections[i];
    std::uint32_t crc = 0;
    for (std::uint64_t off = 0; off < s.bytes; off += kChunk) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, s.bytes - off));
      const auto* p = static_cast<const unsigned char*>(s.data) + off;
      crc = detail::crc32c(crc, p, n);
      file.write_at(at + off, p, n);
      done += n;
      if (progress) progress(done, total);
    }
    unsigned char* e = header + 64 + 32 * i;
    put32(e, s.id);
    put32(e + 4, crc);
    put64(e + 8, at);
    put64(e + 16, s.bytes);
    at = align_up(at + s.bytes);
  }
  // The file ends at the last section's aligned end, so truncation shows.
  const unsigned char zero = 0;
  file.write_at(at - 1, &zero, 1);
  put32(header + kHeaderBytes - 4, detail::crc32c(0, header, kHeaderBytes - 4));
  file.write_at(0, header, kHeaderBytes);
  file.commit();
}

namespace {

class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw Error(ErrorCode::Io, "cannot open '" + path + "': " + std::strerror(errno));
    struct stat st;
    if (::fstat(fd_, &st) != 0) throw Error(ErrorCode::Io, "cannot stat '" + path + "': " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw Error(ErrorCode::Io, "'" + path + "' is not a regular file");
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  ~Reader() { ::close(fd_); }
  std::uint64_t size() const { return size_; }
  // The whole file mapped read-only, unmapped when the last user lets go.
  // (Read-only: no commit charge, so a gallery larger than RAM plus swap
  // still maps, and a stray write would fault rather than go unnoticed.)
  std::shared_ptr<void> map() const {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) {
      // ENOMEM: no address space left (a process memory limit), not a bad file.
      const int e = errno;
      throw Error(e == ENOMEM ? ErrorCode::OutOfMemory : ErrorCode::Io,
                  "cannot map '" + path_ + "': " + std::strerror(e));
    }
    ::madvise(p, size_, MADV_WILLNEED);  // start reading ahead of the checksum pass on a cold cache
    const std::size_t n = size_;
    return std::shared_ptr<void>(p, [n](void* q) { ::munmap(q, n); });
  }
  void read(std::uint64_t offset, void* out, std::size_t n) const {
    auto* p = static_cast<unsigned char*>(out);
    while (n > 0) {
      const ssize_t r = ::pread(fd_, p, n, static_cast<off_t>(offset));
      if (r < 0) {
        if (errno == EINTR) continue;
        throw Error(ErrorCode::Io, "cannot read '" + path_ + "': " + std::strerror(errno));
      }
      if (r == 0) corrupt(path_, "the file ended while reading (it shrank?)");
      p += r;
      offset += static_cast<std::uint64_t>(r);
      n -= static_cast<std::size_t>(r);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

struct SectionEntry {
  std::uint32_t id, crc;
  std::uint64_t offset, bytes;
};

// What is wrong with cylinder c of a loaded gallery, or null when nothing is.
const char* cylinder_problem(const Gallery::Data& d, std::uint64_t c) {
  if (!std::isfinite(d.x[c]) || !std::isfinite(d.y[c]) || !(d.theta[c] >= 0.0f) || !(d.theta[c] < 6.2831855f) ||
      d.x[c] < 0 || d.y[c] < 0 || d.x[c] > 16383 || d.y[c] > 16383)
    return "has an invalid minutia";
  // The matchers rely on both: a cylinder's bits lie inside its valid cells,
  // and those inside the disc (the AVX-512 path skips counts that these
  // containments make known).
  const std::uint64_t* v = d.valid.data() + c * mcc::kValidityWords;
  const std::uint64_t* b = d.bits.data() + c * mcc::kCylinderWords;
  std::uint64_t outside_disc = 0, outside_valid = 0;
  for (int w = 0; w < mcc::kWordsPerLayer; ++w) {
    outside_disc |= v[w] & ~mcc::kDiscMask[w];
    for (int k = 0; k < mcc::kNd; ++k) outside_valid |= b[k * mcc::kWordsPerLayer + w] & ~v[w];
  }
  if (outside_disc) return "has valid cells outside its disc";
  if (outside_valid) return "has bits outside its valid cells";
  return nullptr;
}

// mcc::content_hash of entries [e0, e1) into out[0, e1 - e0): the same
// values, with four entries' multiply chains interleaved (the chain's
// latency, not the multiplier, would otherwise bound the time). Four lanes
// each take the next entry when theirs is done; the whole-word segments
// (bits, then validity) run interleaved, the short rest on its own.
void content_hashes(const Gallery::Data& d, std::uint64_t e0, std::uint64_t e1, std::uint64_t* out) {
  for (std::uint64_t e = e0; e < e1; ++e) out[e - e0] = mcc::content_hash_seed(d.offset[e + 1] - d.offset[e]);
  for (int phase = 0; phase < 2; ++phase) {
    const std::uint64_t W = phase == 0 ? mcc::kCylinderWords : mcc::kValidityWords;
    const std::uint64_t* const words = phase == 0 ? d.bits.data() : d.valid.data();
    std::uint64_t next = e0, entry[4] = {}, left[4] = {}, h[4] = {};
    const std::uint64_t* p[4] = {};
    bool active[4] = {};
    const auto take = [&](int q) {
      if (active[q]) out[entry[q] - e0] = h[q];
      active[q] = false;
      while (next < e1 && !active[q]) {
        const std::uint64_t e = next++;
        left[q] = (d.offset[e + 1] - d.offset[e]) * W;
        if (left[q] == 0) continue;  // nothing to hash
        entry[q] = e;
        p[q] = words + d.offset[e] * W;
        h[q] = out[e - e0];
        active[q] = true;
      }
    };
    for (int q = 0; q < 4; ++q) take(q);
    while (active[0] && active[1] && active[2] && active[3]) {
      const std::uint64_t m = std::min(std::min(left[0], left[1]), std::min(left[2], left[3]));
      for (std::uint64_t i = 0; i < m; ++i)
        for (int q = 0; q < 4; ++q) h[q] = mcc::hash_word(h[q], p[q][i]);
      for (int q = 0; q < 4; ++q) {
        p[q] += m;
        left[q] -= m;
        if (left[q] == 0) take(q);
      }
    }
    for (int q = 0; q < 4; ++q)
      if (active[q]) {
        h[q] = mcc::hash_words(h[q], p[q], left[q] * 8);
        out[entry[q] - e0] = h[q];
        active[q] = false;
        while (next < e1) {  // the block's last entries, one by one
          const std::uint64_t e = next++;
          out[e - e0] = mcc::hash_words(out[e - e0], words + d.offset[e] * W, (d.offset[e + 1] - d.offset[e]) * W * 8);
        }
      }
  }
  for (std::uint64_t e = e0; e < e1; ++e) {
    const std::uint64_t c = d.offset[e], n = (d.offset[e + 1] - c) * 4;
    std::uint64_t h = mcc::hash_words(out[e - e0], d.x.data() + c, n);
    h = mcc::hash_words(h, d.y.data() + c, n);
    out[e - e0] = mcc::hash_words(h, d.theta.data() + c, n);
  }
}

}  // namespace

Gallery Gallery::load(const std::string& path, const ProgressFn& progress) {
  Reader in(path);
  if (in.size() < kHeaderBytes)
    corrupt(path, "truncated: " + std::to_string(in.size()) + " bytes, less than the " +
                      std::to_string(kHeaderBytes) + "-byte header");
  unsigned char header[kHeaderBytes];
  in.read(0, header, kHeaderBytes);
  if (std::memcmp(header, kMagic, 8) != 0) corrupt(path, "not an fpmatch gallery file (bad magic)");
  const std::uint32_t version = get32(header + 8);
  if (version < kOldestFormatVersion || version > kFormatVersion)
    corrupt(path, "gallery format version " + std::to_string(version) + "; this library reads versions " +
                      std::to_string(kOldestFormatVersion) + " to " + std::to_string(kFormatVersion));
  const std::uint32_t sections_expected = version == 1 ? kSubjectNames : kFirstStageCodes;
  if (get32(header + kHeaderBytes - 4) != detail::crc32c(0, header, kHeaderBytes - 4))
    corrupt(path, "header checksum mismatch: the header is damaged");
  if (get32(header + 12) != kHeaderBytes) corrupt(path, "unexpected header size");
  if (get32(header + 16) != ((mcc::kNd << 16) | mcc::kNs) || get32(header + 20) != mcc::kBytesPerCylinder)
    corrupt(path, "written with another cylinder layout (Ns/Nd/bytes per cylinder)");
  if (get32(header + 24) != mcc::kMaxCylinders) corrupt(path, "written with another cylinder limit");
  const std::uint32_t count = get32(header + 28);
  const std::uint64_t E = get64(header + 32), C = get64(header + 40), S = get64(header + 48);
  if (count != sections_expected)
    corrupt(path, "unexpected section count " + std::to_string(count) + " (format version " + std::to_string(version) +
                      " has " + std::to_string(sections_expected) + ")");
  // Sizes must follow from the counts; bound them by the file size first so
  // that absurd counts fail here rather than in an allocation.
  if (S > E) corrupt(path, "more subjects than entries in the header");
  if (E > in.size() || C > in.size() / mcc::kBytesPerCylinder + 1 ||
      kHeaderBytes + E * 22 + C * static_cast<std::uint64_t>(mcc::kBytesPerCylinder) > in.size())
    corrupt(path, "truncated: the header declares " + std::to_string(E) + " entries and " + std::to_string(C) +
                      " cylinders, more than the " + std::to_string(in.size()) + "-byte file can hold");
  const std::uint64_t expected[] = {0, (E + 1) * 8, E * 4, E, E, E * 8, C * mcc::kCylinderWords * 8,
                                    C * mcc::kValidityWords * 8, C * 4, C * 4, C * 4, 0, 0};
  std::vector<SectionEntry> secs(count);
  std::uint64_t prev_end = kHeaderBytes, total = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const unsigned char* e = header + 64 + 32 * i;
    SectionEntry s{get32(e), get32(e + 4), get64(e + 8), get64(e + 16)};
    const std::string name = section_name(i + 1);
    if (s.id != i + 1) corrupt(path, "section table entry " + std::to_string(i) + " has id " + std::to_string(s.id));
    if (s.offset % kAlign != 0 || s.offset < prev_end)
      corrupt(path, "section '" + name + "' starts at a bad offset " + std::to_string(s.offset));
    if (s.id == kFirstStageCodes) {
      // Its size follows from the words per code its prefix names (codes of
      // another definition may have another size; they are recomputed).
      if (s.bytes < kCodePrefixBytes || s.offset > in.size() || s.bytes > in.size() - s.offset)
        corrupt(path, "truncated or impossible section 'first_stage_codes' (" + std::to_string(s.bytes) + " bytes)");
      unsigned char prefix[kCodePrefixBytes];
      in.read(s.offset, prefix, sizeof prefix);
      const std::uint64_t words = get32(prefix + 4);
      if (words == 0 || words > 4096)
        corrupt(path, "section 'first_stage_codes' names " + std::to_string(words) + " words per code");
      if (s.bytes != kCodePrefixBytes + E * (words * 8 + 4))
        corrupt(path, "section 'first_stage_codes' holds " + std::to_string(s.bytes) + " bytes where the counts need " +
                          std::to_string(kCodePrefixBytes + E * (words * 8 + 4)));
    } else if (s.id != kSubjectNames && s.bytes != expected[s.id])
      corrupt(path, "section '" + name + "' holds " + std::to_string(s.bytes) + " bytes where the counts need " +
                        std::to_string(expected[s.id]));
    if (s.id == kSubjectNames && (s.bytes < 4 || s.bytes > 4 + S * 256))
      corrupt(path, "section 'subject_names' has an impossible size " + std::to_string(s.bytes));
    if (s.offset > in.size() || s.bytes > in.size() - s.offset)
      corrupt(path, "truncated: section '" + name + "' ends at byte " + std::to_string(s.offset + s.bytes) +
                        ", the file has " + std::to_string(in.size()));
    prev_end = s.offset + s.bytes;
    total += s.bytes;
    secs[i] = s;
  }

  // The sections stay where the file's mapping puts them.
  // Checksums: every section in pieces spread over all cores; a section's
  // CRC is then combined from its pieces' in order.
  const std::shared_ptr<void> mapping = in.map();
  auto* const base = static_cast<unsigned char*>(mapping.get());
  struct Piece {
    std::uint32_t section;  // index into secs
    std::uint64_t offset;   // within the section
    std::size_t bytes;
    std::uint32_t crc;
  };
  std::vector<Piece> pieces;
  for (std::uint32_t i = 0; i < count; ++i)
    for (std::uint64_t off = 0; off < secs[i].bytes; off += kLoadPiece)
      pieces.push_back({i, off, static_cast<std::size_t>(std::min<std::uint64_t>(kLoadPiece, secs[i].bytes - off)), 0});
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  detail::ThreadPool pool(hw - 1);
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<std::uint64_t> done{0};
  pool.parallel_for(pieces.size(), [&](std::size_t k) {
    Piece& piece = pieces[k];
    piece.crc = detail::crc32c(0, base + secs[piece.section].offset + piece.offset, piece.bytes);
    const std::uint64_t now = done += piece.bytes;
    if (progress && std::this_thread::get_id() == caller) progress(now, total);
  });
  if (progress) progress(total, total);
  for (std::uint32_t i = 0, k = 0; i < count; ++i) {
    std::uint32_t crc = 0;
    for (; k < pieces.size() && pieces[k].section == i; ++k)
      crc = pieces[k].offset == 0 ? pieces[k].crc : detail::crc32c_combine(crc, pieces[k].crc, pieces[k].bytes);
    if (crc != secs[i].crc)
      corrupt(path, std::string("section '") + section_name(secs[i].id) + "' checksum mismatch: the file is damaged");
  }

  Gallery g;
  Data& d = *g.d_;
  const auto at = [&](std::uint32_t id) { return base + secs[id - 1].offset; };
  d.offset.adopt(reinterpret_cast<std::uint64_t*>(at(kEntryOffsets)), E + 1, mapping);
  d.subject.adopt(reinterpret_cast<std::uint32_t*>(at(kEntrySubject)), E, mapping);
  d.position.adopt(at(kEntryPosition), E, mapping);
  d.flags.assign(at(kEntryFlags), at(kEntryFlags) + E);  // the one array changed in place (remove)
  d.hash.adopt(reinterpret_cast<std::uint64_t*>(at(kEntryHash)), E, mapping);
  d.bits.adopt(reinterpret_cast<std::uint64_t*>(at(kCylBits)), C * mcc::kCylinderWords, mapping);
  d.valid.adopt(reinterpret_cast<std::uint64_t*>(at(kCylValid)), C * mcc::kValidityWords, mapping);
  d.x.adopt(reinterpret_cast<float*>(at(kCylX)), C, mapping);
  d.y.adopt(reinterpret_cast<float*>(at(kCylY)), C, mapping);
  d.theta.adopt(reinterpret_cast<float*>(at(kCylTheta)), C, mapping);
  const unsigned char* const names = at(kSubjectNames);
  const std::uint64_t names_bytes = secs[kSubjectNames - 1].bytes;

  // Structure: everything later code indexes with must be in range.
  if (d.offset[0] != 0 || d.offset[E] != C) corrupt(path, "entry offsets do not span the cylinders");
  for (std::uint64_t e = 0; e < E; ++e) {
    if (d.offset[e + 1] < d.offset[e] || d.offset[e + 1] - d.offset[e] > static_cast<std::uint64_t>(mcc::kMaxCylinders))
      corrupt(path, "entry " + std::to_string(e) + " has a bad cylinder range");
    if (d.subject[e] >= S) corrupt(path, "entry " + std::to_string(e) + " names subject " + std::to_string(d.subject[e]));
    if (d.position[e] > 10) corrupt(path, "entry " + std::to_string(e) + " has finger position " + std::to_string(d.position[e]));
    if (d.flags[e] > Data::kRemoved) corrupt(path, "entry " + std::to_string(e) + " has unknown flags");
  }
  // Cylinders and content hashes, in blocks of entries over all cores (small
  // blocks: the hashes read what the cylinder checks brought into cache).
  // The first failure in file order is reported, as a serial check would.
  constexpr std::uint64_t kBlock = 64;
  const std::uint64_t blocks = (E + kBlock - 1) / kBlock;
  constexpr std::uint64_t kNone = ~std::uint64_t{0};
  std::vector<std::uint64_t> bad_cylinder(blocks, kNone), bad_entry(blocks, kNone);
  std::vector<const char*> why(blocks, nullptr);
  pool.parallel_for(blocks, [&](std::size_t blk) {
    const std::uint64_t e0 = blk * kBlock, e1 = std::min(E, e0 + kBlock);
    for (std::uint64_t c = d.offset[e0]; c < d.offset[e1]; ++c)
      if (const char* problem = cylinder_problem(d, c)) {
        bad_cylinder[blk] = c;
        why[blk] = problem;
        return;
      }
    std::uint64_t h[kBlock];
    content_hashes(d, e0, e1, h);
    for (std::uint64_t e = e0; e < e1; ++e)
      if (h[e - e0] != d.hash[e]) {
        bad_entry[blk] = e;
        return;
      }
  });
  for (std::uint64_t blk = 0; blk < blocks; ++blk)
    if (bad_cylinder[blk] != kNone) corrupt(path, "cylinder " + std::to_string(bad_cylinder[blk]) + " " + std::string(why[blk]));
  for (std::uint64_t blk = 0; blk < blocks; ++blk)
    if (bad_entry[blk] != kNone)
      corrupt(path, "entry " + std::to_string(bad_entry[blk]) + " does not match its content hash");
  // First-stage codes: used in place when the file holds this library's
  // code definition, else computed from the cylinders once they are checked.
  bool compute_codes = true;
  std::uint32_t file_code_version = 0;
  if (count >= kFirstStageCodes) {
    const unsigned char* const c = at(kFirstStageCodes);
    file_code_version = get32(c);
    if (get32(c + 8) != 0 || get32(c + 12) != 0) corrupt(path, "section 'first_stage_codes': reserved bytes are not zero");
    if (file_code_version == index::kCodeVersion) {
      if (get32(c + 4) != static_cast<std::uint32_t>(index::kCodeWords))
        corrupt(path, "section 'first_stage_codes': " + std::to_string(get32(c + 4)) + " words per code, code version " +
                          std::to_string(index::kCodeVersion) + " has " + std::to_string(index::kCodeWords));
      d.code.adopt(reinterpret_cast<std::uint64_t*>(const_cast<unsigned char*>(c) + kCodePrefixBytes),
                   E * index::kCodeWords, mapping);
      d.code_aux.adopt(
          reinterpret_cast<std::uint32_t*>(const_cast<unsigned char*>(c) + kCodePrefixBytes + E * index::kCodeWords * 8),
          E, mapping);
      compute_codes = false;
      // Each code against its set-bit count, in blocks over all cores; the
      // first inconsistent entry in file order is reported.
      std::vector<std::uint64_t> bad_code(blocks, kNone);
      pool.parallel_for(blocks, [&](std::size_t blk) {
        for (std::uint64_t e = blk * kBlock, e1 = std::min(E, e + kBlock); e < e1; ++e)
          if (!index::code_consistent(d.code.data() + e * index::kCodeWords, d.code_aux[e])) {
            bad_code[blk] = e;
            return;
          }
      });
      for (std::uint64_t blk = 0; blk < blocks; ++blk)
        if (bad_code[blk] != kNone)
          corrupt(path, "section 'first_stage_codes': the code of entry " + std::to_string(bad_code[blk]) +
                            " is inconsistent");
    } else if (file_code_version == 0) {
      corrupt(path, "section 'first_stage_codes': code version 0");
    }
  }
  // Subject names.
  if (get32(names) != S) corrupt(path, "subject name count disagrees with the header");
  std::size_t p = 4;
  d.subject_names.reserve(S);
  for (std::uint64_t s = 0; s < S; ++s) {
    if (p >= names_bytes) corrupt(path, "subject names end early");
    const std::size_t len = names[p++];
    if (len == 0 || p + len > names_bytes) corrupt(path, "subject name " + std::to_string(s) + " is empty or runs past its section");
    const char* const name = reinterpret_cast<const char*>(names + p);
    if (const std::size_t at = Data::control_byte(name, len); at != std::string::npos)
      corrupt(path, "subject name " + std::to_string(s) + " holds a control character (byte " + std::to_string(at) +
                        " is " + hex_byte(static_cast<unsigned char>(name[at])) + ")");
    d.subject_names.emplace_back(name, len);
    p += len;
  }
  if (p != names_bytes) corrupt(path, "bytes after the last subject name");
  d.rebuild_subject_index();
  if (d.subject_index.size() != d.subject_names.size()) corrupt(path, "a subject id appears twice");
  if (compute_codes) {
    // The cylinders are checked: their codes can be computed (in blocks
    // over all cores; the same codes as add() makes).
    d.code.resize(E * index::kCodeWords);
    d.code_aux.resize(E);
    pool.parallel_for(blocks, [&](std::size_t blk) {
      const std::uint64_t e0 = blk * kBlock, e1 = std::min(E, e0 + kBlock);
      for (std::uint64_t e = e0; e < e1; ++e)
        d.code_aux[e] = index::make_code(d.view(e), d.code.data() + e * index::kCodeWords);
    });
    if (E > 0)
      d.load_note = count < kFirstStageCodes
                        ? "first-stage codes computed on load: the file (format version " + std::to_string(version) +
                              ") holds none; save the gallery to store them"
                        : "first-stage codes computed on load: the file holds code version " +
                              std::to_string(file_code_version) + ", this library uses version " +
                              std::to_string(index::kCodeVersion) + "; save the gallery to store them";
  }
  // Last, what the writer alone guarantees: nothing it leaves zero is set,
  // no gaps, no bytes beyond the end. (Checked after everything that makes
  // the content safe to use, so that a refusal here never hides a problem
  // of those, and the fuzz corpus still reaches them.)
  const auto reserved = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i)
      if (header[i] != 0)
        corrupt(path, "reserved header byte " + std::to_string(i) + " is " + hex_byte(header[i]) + ", not zero");
  };
  reserved(56, 64);
  for (std::uint32_t i = 0; i < count; ++i) {
    const unsigned char* e = header + 64 + 32 * i;
    for (int k = 24; k < 32; ++k)
      if (e[k] != 0)
        corrupt(path, "section table entry " + std::to_string(i) + " ('" + section_name(i + 1) + "'): reserved byte " +
                          std::to_string(k) + " is " + hex_byte(e[k]) + ", not zero");
  }
  reserved(64 + 32 * std::size_t{count}, kHeaderBytes - 4);
  // Each section starts where the one before it ends, rounded up to 4096.
  std::uint64_t end = kHeaderBytes;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (secs[i].offset != align_up(end))
      corrupt(path, std::string("section '") + section_name(secs[i].id) + "' starts at byte " +
                        std::to_string(secs[i].offset) + "; the one before it ends at " + std::to_string(end) +
                        ", so it must start at " + std::to_string(align_up(end)));
    end = secs[i].offset + secs[i].bytes;
  }
  // The file ends where the last section's padding does: a cut in the
  // padding, and anything appended, show.
  if (in.size() < align_up(end))
    corrupt(path, "truncated: the file has " + std::to_string(in.size()) +
                      " bytes, the padding after the last section ends at byte " + std::to_string(align_up(end)));
  if (in.size() > align_up(end))
    corrupt(path, "trailing bytes: " + std::to_string(in.size() - align_up(end)) +
                      " bytes after the end of the last section's padding (byte " + std::to_string(align_up(end)) + ")");
  // The padding after each section (no checksum covers it) is zeros.
  for (std::uint32_t i = 0; i < count; ++i)
    for (std::uint64_t b = secs[i].offset + secs[i].bytes; b < align_up(secs[i].offset + secs[i].bytes); ++b)
      if (base[b] != 0)
        corrupt(path, std::string("byte ") + std::to_string(b) + " in the padding after section '" +
                          section_name(secs[i].id) + "' is " + hex_byte(base[b]) + ", not zero");
  return g;
}

}  // namespace fpm
