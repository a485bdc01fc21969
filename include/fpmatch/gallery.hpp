// fpmatch: a gallery of enrolled templates.
//
// An entry is (subject id, finger position 0-10, encoded template). The
// gallery keeps every entry's cylinders packed in structure-of-arrays form,
// exactly as a GPU holds them (layout: docs/gallery-format.md), and saves to
// and loads from one file. Entries are numbered in the order they were added;
// removing one leaves a hole (its index is never reused) until compact().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fpmatch/export.h"
#include "fpmatch/matcher.hpp"

namespace fpm {

struct GalleryEntryInfo {
  std::string subject;
  std::uint8_t position = 0;  // finger position code, 0 = unknown
  std::size_t cylinders = 0;
  bool removed = false;
};

struct GalleryMemory {
  std::size_t entries = 0;          // live entries
  std::size_t cylinders = 0;        // cylinders of live entries
  std::size_t bytes = 0;            // bytes held in memory for all entries, removed ones included
  double bytes_per_entry = 0;       // bytes / live entries
  std::size_t first_stage_bytes = 0;  // of `bytes`, the first-stage codes (docs/two-stage.md)
};

// A temporary file of a save of a gallery file, found next to it: a save in
// progress, or one killed before its end (docs/gallery-format.md, "Writing").
struct GalleryTemporaryFile {
  enum class State {
    Stale,         // written on this host by a process that no longer runs: the next save removes it
    InUse,         // written on this host by a process that still runs (a save in progress)
    OtherHost,     // written on another host or in another pid namespace: never removed
    Unrecognised,  // no writer in its name (older fpmatch, over-long names): never removed
  };
  std::string path;
  std::uint64_t bytes = 0;
  State state = State::Unrecognised;
  std::string host;       // the writer's host as written in the name (%-encoded); empty when unrecognised
  std::uint64_t pid = 0;  // the writer's pid; 0 when unrecognised
};

// Progress of long operations: called with (done, total) now and then.
using ProgressFn = std::function<void(std::size_t done, std::size_t total)>;

class FPM_API Gallery {
 public:
  Gallery();
  ~Gallery();
  Gallery(Gallery&&) noexcept;
  Gallery& operator=(Gallery&&) noexcept;
  Gallery(const Gallery&);
  Gallery& operator=(const Gallery&);

  // Adds an entry; returns its index. Throws fpm::Error(InvalidArgument) for
  // an empty or over-long (255 bytes) subject id, one holding a control
  // character (a byte below 0x20, or 0x7f; bytes of UTF-8 are fine), or a
  // position above 10.
  std::size_t add(const std::string& subject, std::uint8_t position, const EncodedTemplate& t);
  // Encodes and adds every view of a record with its own finger position.
  std::size_t add(const std::string& subject, const Template& t);
  // Marks an entry removed (searches skip it). Throws for an unknown index.
  void remove(std::size_t index);
  // Removes every entry of a subject; returns how many.
  std::size_t remove_subject(const std::string& subject);
  // Repacks without the removed entries; indices of later entries shift.
  void compact();
  // Reserves room for that many more entries and cylinders (avoids repeated
  // reallocation of multi-gigabyte arrays while enrolling).
  void reserve(std::size_t entries, std::size_t cylinders);

  std::size_t size() const noexcept;       // entries ever added and not compacted away
  std::size_t live_size() const noexcept;  // entries not removed
  std::size_t subjects() const noexcept;   // distinct subject ids with a live entry
  GalleryEntryInfo entry(std::size_t index) const;
  // A copy of an entry's cylinders as an EncodedTemplate (e.g. to use it as a probe).
  EncodedTemplate encoded(std::size_t index) const;
  GalleryMemory memory() const noexcept;

  // Writes the gallery to `path` atomically (temporary file, flush, rename).
  // First removes the stale temporary files of earlier saves of `path`
  // (see temporary_files).
  void save(const std::string& path, const ProgressFn& progress = {}) const;
  // The temporary files of saves of `path` in its folder, sorted by name;
  // removes nothing. Never throws (an unreadable folder gives none).
  static std::vector<GalleryTemporaryFile> temporary_files(const std::string& path);
  // Reads a gallery file, verifying the header, every section checksum and
  // the structure (offsets, indices, cylinder bits within their validity).
  // A truncated, altered or wrong-version file, or one with bytes this
  // library's writer never writes (trailing bytes, non-zero reserved or
  // padding bytes, control characters in subject ids), is refused with
  // fpm::Error(Corrupt) naming what is wrong; nothing is half-loaded.
  // Unreadable files give fpm::Error(Io); a file that cannot be mapped for
  // lack of address space (a process memory limit) Error(OutOfMemory).
  static Gallery load(const std::string& path, const ProgressFn& progress = {});
  // What load() did beyond reading the file, in one sentence for the user,
  // or empty: e.g. that the file (format version 1, or another definition
  // of the code) held no usable first-stage codes, so they were computed
  // from the cylinders, and saving the gallery stores them.
  const std::string& load_note() const noexcept;

  // The layout this library writes and reads.
  struct Layout {
    std::uint32_t file_format_version;
    int spatial_cells;       // Ns: cells per side of a cylinder layer
    int directional_layers;  // Nd
    int bytes_per_cylinder;
    int max_cylinders;       // per template
    int first_stage_code_bytes;               // per template (docs/two-stage.md)
    std::uint32_t first_stage_code_version;   // the code's definition
  };
  static Layout layout() noexcept;

  struct Data;  // the library's own layout (src/gallery/gallery_data.hpp)

 private:
  friend struct detail::Access;
  std::unique_ptr<Data> d_;
};

}  // namespace fpm
