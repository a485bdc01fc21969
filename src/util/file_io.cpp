#include "util/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "fpmatch/error.hpp"
#include "fpmatch/formats.hpp"
#include "util/atomic_file.hpp"

namespace fpm {

namespace {
[[noreturn]] void io_error(const std::string& what, const std::string& path, int err) {
  throw Error(ErrorCode::Io, what + " '" + path + "': " + std::strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};
}  // namespace

namespace detail {

std::vector<std::uint8_t> read_file_limited(const std::string& path, std::size_t limit) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) io_error("cannot open", path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) io_error("cannot stat", path, errno);
  if (S_ISDIR(st.st_mode)) throw Error(ErrorCode::Io, "'" + path + "' is a directory");
  std::vector<std::uint8_t> out;
  if (S_ISREG(st.st_mode)) {
    if (static_cast<std::uint64_t>(st.st_size) > limit)
      // A property of the input, not of the call: OutOfRange, like any
      // other value beyond what a record may hold.
      throw Error(ErrorCode::OutOfRange, "'" + path + "' is " + std::to_string(st.st_size) +
                                                  " bytes, more than the " + std::to_string(limit) +
                                                  "-byte limit for this kind of file");
    out.reserve(static_cast<std::size_t>(st.st_size));
  }
  std::uint8_t buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error("cannot read", path, errno);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > limit)
      throw Error(ErrorCode::InvalidArgument, "'" + path + "' is larger than the " + std::to_string(limit) +
                                                  "-byte limit for this kind of file");
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

}  // namespace detail

std::vector<std::uint8_t> read_file(const std::string& path) {
  return detail::read_file_limited(path, std::numeric_limits<std::size_t>::max());
}

// The one atomic writer of the library (util/atomic_file.hpp): the gallery
// writer uses it too.
void write_file_atomic(const std::string& path, const std::uint8_t* data, std::size_t size) {
  if (data == nullptr && size != 0) throw Error(ErrorCode::InvalidArgument, "write_file_atomic: null data");
  detail::AtomicFile file(path);
  if (size != 0) file.write_at(0, data, size);
  file.commit();
}

}  // namespace fpm
