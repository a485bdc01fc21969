// A file written in place of `path` only when complete: data goes to a
// temporary file in the same folder, which commit() flushes and renames over
// the target. Destroyed without commit, the temporary file is removed and the
// target is untouched.
//
// A process killed while writing cannot remove its temporary file, so the
// name says who wrote it: PATH.tmp.<host>.<pidns>.<pid>.<random> (host name
// with bytes other than [A-Za-z0-9._-] written %XX, the inode of the
// writer's pid namespace or 0 where unknown, its pid, mkstemp's six
// characters). One is stale when it was written on this host, in this pid
// namespace, by a pid that no longer runs (kill(pid, 0) fails with ESRCH);
// constructing an AtomicFile for PATH removes the stale ones of PATH first.
// Names too long for that form (a final component over 255 bytes) fall back
// to PATH.tmp.<random>, which nothing ever recognises as stale.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fpm::detail {

class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);  // throws Error(Io)
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write_at(std::uint64_t offset, const void* data, std::size_t size);  // throws Error(Io)
  void commit();                                                            // throws Error(Io)

  const std::string& temporary_path() const noexcept { return tmp_; }

  // A temporary file of an AtomicFile for some path, found next to it.
  struct Temporary {
    enum class State {
      Stale,         // this host and pid namespace, its writer no longer runs
      Running,       // this host and pid namespace, its writer (pid) runs
      OtherHost,     // written on another host or in another pid namespace
      Unrecognised,  // PATH.tmp.* without a writer in its name (older versions, the fallback)
    };
    std::string path;
    std::uint64_t bytes = 0;
    State state = State::Unrecognised;
    std::string host;       // as written in the name (%-encoded), empty when unrecognised
    std::uint64_t pid = 0;  // 0 when unrecognised
  };
  // The temporary files of `path` in its folder (regular files only, by
  // name), sorted by name. Never throws: an unreadable folder gives none.
  static std::vector<Temporary> temporaries(const std::string& path);
  // Removes the stale ones; returns the paths removed (failures are skipped).
  static std::vector<std::string> remove_stale_temporaries(const std::string& path);

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace fpm::detail
