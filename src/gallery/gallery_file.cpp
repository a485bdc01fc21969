// The gallery file (docs/gallery-format.md): a 4096-byte header, then the
// sections of Gallery::Data exactly as they lie in memory (and on a GPU),
// each 4096-byte aligned and covered by a CRC-32C. Sections are read with
// pread into their final arrays in one pass that also checksums them: one
// copy per section, bounded by reading the file once. (A memory map would
// turn a file truncated while loading into SIGBUS; pread turns it into an
// error.)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "fpmatch/error.hpp"
#include "gallery/gallery_data.hpp"
#include "mcc/content_hash.hpp"
#include "util/atomic_file.hpp"
#include "util/crc32c.hpp"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the gallery file is little-endian; big-endian hosts are not supported"
#endif

namespace fpm {

namespace {

constexpr char kMagic[8] = {'F', 'P', 'M', 'G', 'A', 'L', 'R', 'Y'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::uint32_t kHeaderBytes = 4096;
constexpr std::uint64_t kAlign = 4096;
constexpr std::size_t kMaxSections = 16;
constexpr std::size_t kChunk = 64u << 20;

enum SectionId : std::uint32_t {
  kEntryOffsets = 1, kEntrySubject, kEntryPosition, kEntryFlags, kEntryHash,
  kCylBits, kCylValid, kCylX, kCylY, kCylTheta, kSubjectNames,
};
const char* section_name(std::uint32_t id) {
  static const char* names[] = {"?", "entry_offsets", "entry_subject", "entry_position", "entry_flags", "entry_hash",
                                "cylinder_bits", "cylinder_validity", "cylinder_x", "cylinder_y", "cylinder_theta",
                                "subject_names"};
  return id >= 1 && id <= kSubjectNames ? names[id] : "unknown";
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

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::Corrupt, "gallery file '" + path + "' refused: " + what);
}

}  // namespace

Gallery::Layout Gallery::layout() noexcept {
  return {kFormatVersion, mcc::kNs, mcc::kNd, mcc::kBytesPerCylinder, mcc::kMaxCylinders};
}

void Gallery::save(const std::string& path, const ProgressFn& progress) const {
  const Data& d = *d_;
  const std::vector<unsigned char> names = names_blob(d.subject_names);
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
  if (version != kFormatVersion)
    corrupt(path, "gallery format version " + std::to_string(version) + "; this library reads version " +
                      std::to_string(kFormatVersion));
  if (get32(header + kHeaderBytes - 4) != detail::crc32c(0, header, kHeaderBytes - 4))
    corrupt(path, "header checksum mismatch: the header is damaged");
  if (get32(header + 12) != kHeaderBytes) corrupt(path, "unexpected header size");
  if (get32(header + 16) != ((mcc::kNd << 16) | mcc::kNs) || get32(header + 20) != mcc::kBytesPerCylinder)
    corrupt(path, "written with another cylinder layout (Ns/Nd/bytes per cylinder)");
  if (get32(header + 24) != mcc::kMaxCylinders) corrupt(path, "written with another cylinder limit");
  const std::uint32_t count = get32(header + 28);
  const std::uint64_t E = get64(header + 32), C = get64(header + 40), S = get64(header + 48);
  if (count != kSubjectNames) corrupt(path, "unexpected section count " + std::to_string(count));
  // Sizes must follow from the counts; bound them by the file size first so
  // that absurd counts fail here rather than in an allocation.
  if (S > E) corrupt(path, "more subjects than entries in the header");
  if (E > in.size() || C > in.size() / mcc::kBytesPerCylinder + 1 ||
      kHeaderBytes + E * 22 + C * static_cast<std::uint64_t>(mcc::kBytesPerCylinder) > in.size())
    corrupt(path, "truncated: the header declares " + std::to_string(E) + " entries and " + std::to_string(C) +
                      " cylinders, more than the " + std::to_string(in.size()) + "-byte file can hold");
  const std::uint64_t expected[] = {0, (E + 1) * 8, E * 4, E, E, E * 8, C * mcc::kCylinderWords * 8,
                                    C * mcc::kValidityWords * 8, C * 4, C * 4, C * 4, 0};
  std::vector<SectionEntry> secs(count);
  std::uint64_t prev_end = kHeaderBytes, total = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const unsigned char* e = header + 64 + 32 * i;
    SectionEntry s{get32(e), get32(e + 4), get64(e + 8), get64(e + 16)};
    const std::string name = section_name(i + 1);
    if (s.id != i + 1) corrupt(path, "section table entry " + std::to_string(i) + " has id " + std::to_string(s.id));
    if (s.offset % kAlign != 0 || s.offset < prev_end)
      corrupt(path, "section '" + name + "' starts at a bad offset " + std::to_string(s.offset));
    if (s.id != kSubjectNames && s.bytes != expected[s.id])
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

  Gallery g;
  Data& d = *g.d_;
  d.offset.resize(E + 1);
  d.subject.resize(E);
  d.position.resize(E);
  d.flags.resize(E);
  d.hash.resize(E);
  d.bits.resize(C * mcc::kCylinderWords);
  d.valid.resize(C * mcc::kValidityWords);
  d.x.resize(C);
  d.y.resize(C);
  d.theta.resize(C);
  std::vector<unsigned char> names(secs[kSubjectNames - 1].bytes);
  void* dest[] = {nullptr, d.offset.data(), d.subject.data(), d.position.data(), d.flags.data(), d.hash.data(),
                  d.bits.data(), d.valid.data(), d.x.data(), d.y.data(), d.theta.data(), names.data()};
  std::uint64_t done = 0;
  for (const SectionEntry& s : secs) {
    auto* p = static_cast<unsigned char*>(dest[s.id]);
    std::uint32_t crc = 0;
    for (std::uint64_t off = 0; off < s.bytes; off += kChunk) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, s.bytes - off));
      in.read(s.offset + off, p + off, n);
      crc = detail::crc32c(crc, p + off, n);
      done += n;
      if (progress) progress(done, total);
    }
    if (crc != s.crc)
      corrupt(path, std::string("section '") + section_name(s.id) + "' checksum mismatch: the file is damaged");
  }

  // Structure: everything later code indexes with must be in range.
  if (d.offset[0] != 0 || d.offset[E] != C) corrupt(path, "entry offsets do not span the cylinders");
  for (std::uint64_t e = 0; e < E; ++e) {
    if (d.offset[e + 1] < d.offset[e] || d.offset[e + 1] - d.offset[e] > static_cast<std::uint64_t>(mcc::kMaxCylinders))
      corrupt(path, "entry " + std::to_string(e) + " has a bad cylinder range");
    if (d.subject[e] >= S) corrupt(path, "entry " + std::to_string(e) + " names subject " + std::to_string(d.subject[e]));
    if (d.position[e] > 10) corrupt(path, "entry " + std::to_string(e) + " has finger position " + std::to_string(d.position[e]));
    if (d.flags[e] > Data::kRemoved) corrupt(path, "entry " + std::to_string(e) + " has unknown flags");
  }
  for (std::uint64_t c = 0; c < C; ++c) {
    if (!std::isfinite(d.x[c]) || !std::isfinite(d.y[c]) || !(d.theta[c] >= 0.0f) || !(d.theta[c] < 6.2831855f) ||
        d.x[c] < 0 || d.y[c] < 0 || d.x[c] > 16383 || d.y[c] > 16383)
      corrupt(path, "cylinder " + std::to_string(c) + " has an invalid minutia");
    const std::uint64_t* v = d.valid.data() + c * mcc::kValidityWords;
    const std::uint64_t* b = d.bits.data() + c * mcc::kCylinderWords;
    // The matchers rely on both: a cylinder's bits lie inside its valid
    // cells, and those inside the disc (the AVX-512 path skips counts that
    // these containments make known).
    for (int w = 0; w < mcc::kWordsPerLayer; ++w)
      if (v[w] & ~mcc::disc_mask_word(w)) corrupt(path, "cylinder " + std::to_string(c) + " has valid cells outside its disc");
    for (int k = 0; k < mcc::kNd; ++k)
      for (int w = 0; w < mcc::kWordsPerLayer; ++w)
        if (b[k * mcc::kWordsPerLayer + w] & ~v[w]) corrupt(path, "cylinder " + std::to_string(c) + " has bits outside its valid cells");
  }
  for (std::uint64_t e = 0; e < E; ++e) {
    const mcc::CylinderSetView view = d.view(e);
    if (mcc::content_hash(view.n, view.bits, view.valid, view.x, view.y, view.theta) != d.hash[e])
      corrupt(path, "entry " + std::to_string(e) + " does not match its content hash");
  }
  // Subject names.
  if (get32(names.data()) != S) corrupt(path, "subject name count disagrees with the header");
  std::size_t p = 4;
  d.subject_names.reserve(S);
  for (std::uint64_t s = 0; s < S; ++s) {
    if (p >= names.size()) corrupt(path, "subject names end early");
    const std::size_t len = names[p++];
    if (len == 0 || p + len > names.size()) corrupt(path, "subject name " + std::to_string(s) + " is empty or runs past its section");
    d.subject_names.emplace_back(reinterpret_cast<const char*>(names.data() + p), len);
    p += len;
  }
  if (p != names.size()) corrupt(path, "bytes after the last subject name");
  d.rebuild_subject_index();
  if (d.subject_index.size() != d.subject_names.size()) corrupt(path, "a subject id appears twice");
  return g;
}

}  // namespace fpm
