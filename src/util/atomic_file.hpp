// A file written in place of `path` only when complete: data goes to a
// temporary file in the same folder, which commit() flushes and renames over
// the target. Destroyed without commit, the temporary file is removed and the
// target is untouched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace fpm::detail {

class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);  // throws Error(Io)
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write_at(std::uint64_t offset, const void* data, std::size_t size);  // throws Error(Io)
  void commit();                                                            // throws Error(Io)

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace fpm::detail
