#include "util/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>

#include "fpmatch/error.hpp"

namespace fpm::detail {

namespace {

[[noreturn]] void io_error(const std::string& what, const std::string& path, int err) {
  throw Error(ErrorCode::Io, what + " '" + path + "': " + std::strerror(err));
}

constexpr std::size_t kNameMax = 255;  // bytes of one path component (NAME_MAX on Linux)

bool plain_host_byte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

// This host's name as it goes into a temporary file's name: bytes other
// than [A-Za-z0-9._-] written %XX (so '/' never appears and the encoding is
// one-to-one); empty when the system gives none.
std::string host_tag() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  std::string out;
  for (const char* p = buf; *p; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (plain_host_byte(c)) {
      out += static_cast<char>(c);
    } else {
      static const char hex[] = "0123456789ABCDEF";
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The inode of this process's pid namespace (pids are only comparable
// within one), 0 where the system does not say.
std::uint64_t pid_namespace() {
  struct stat st;
  if (::stat("/proc/self/ns/pid", &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_ino);
}

// A decimal number of at most `max` (digits only), or false.
bool parse_number(const std::string& s, std::uint64_t max, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

bool valid_host_tag(const std::string& s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (plain_host_byte(c)) continue;
    if (c != '%' || i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
      return false;
    i += 2;
  }
  return true;
}

// The folder part of `path` as a prefix ("" or ending in '/'), and the name.
void split(const std::string& path, std::string& dir_prefix, std::string& base) {
  const std::size_t slash = path.rfind('/');
  dir_prefix = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  base = slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
  remove_stale_temporaries(path);  // debris of saves that were killed
  std::string dir_prefix, base;
  split(path, dir_prefix, base);
  const std::string tagged = ".tmp." + host_tag() + "." + std::to_string(pid_namespace()) + "." +
                             std::to_string(static_cast<long long>(::getpid())) + ".XXXXXX";
  tmp_ = path + (base.size() + tagged.size() <= kNameMax ? tagged : std::string(".tmp.XXXXXX"));
  fd_ = ::mkstemp(&tmp_[0]);
  if (fd_ < 0) io_error("cannot create a temporary file next to", path, errno);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write_at(std::uint64_t offset, const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error("cannot write", path_, errno);
    }
    p += n;
    offset += static_cast<std::uint64_t>(n);
    size -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd_, 0666 & ~mask) != 0) io_error("cannot set permissions of", path_, errno);
  if (::fsync(fd_) != 0) io_error("cannot flush", path_, errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) io_error("cannot close", path_, errno);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) io_error("cannot rename a temporary file onto", path_, errno);
  committed_ = true;
  const std::size_t slash = path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::vector<AtomicFile::Temporary> AtomicFile::temporaries(const std::string& path) {
  std::vector<Temporary> out;
  std::string dir_prefix, base;
  split(path, dir_prefix, base);
  if (base.empty()) return out;
  const std::string prefix = base + ".tmp.";
  DIR* dir = ::opendir(dir_prefix.empty() ? "." : dir_prefix.c_str());
  if (!dir) return out;
  const std::string own_host = host_tag();
  const std::uint64_t own_ns = pid_namespace();
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    Temporary t;
    t.path = dir_prefix + name;
    struct stat st;
    if (::lstat(t.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // gone, or not a file of ours
    t.bytes = static_cast<std::uint64_t>(st.st_size);
    // <host>.<pidns>.<pid>.<random>, read from the right (a host name may hold dots).
    const std::string rest = name.substr(prefix.size());
    const std::size_t d3 = rest.rfind('.');
    const std::size_t d2 = d3 == std::string::npos || d3 == 0 ? std::string::npos : rest.rfind('.', d3 - 1);
    const std::size_t d1 = d2 == std::string::npos || d2 == 0 ? std::string::npos : rest.rfind('.', d2 - 1);
    if (d1 != std::string::npos) {
      const std::string host = rest.substr(0, d1), ns = rest.substr(d1 + 1, d2 - d1 - 1),
                        pid = rest.substr(d2 + 1, d3 - d2 - 1), random = rest.substr(d3 + 1);
      const bool random_ok = random.size() == 6 && std::all_of(random.begin(), random.end(), [](char c) {
                               return std::isalnum(static_cast<unsigned char>(c)) != 0;
                             });
      std::uint64_t n = 0, p = 0;
      if (valid_host_tag(host) && random_ok && parse_number(ns, ~std::uint64_t{0}, n) &&
          parse_number(pid, static_cast<std::uint64_t>(INT_MAX), p)) {
        if (p >= 1) {  // never kill(0) or kill(-1): those signal process groups
          t.host = host;
          t.pid = p;
          if (own_host.empty() || host != own_host || own_ns == 0 || n != own_ns) {
            t.state = Temporary::State::OtherHost;
          } else {
            const bool gone = ::kill(static_cast<pid_t>(p), 0) != 0 && errno == ESRCH;
            t.state = gone ? Temporary::State::Stale : Temporary::State::Running;
          }
        }
      }
    }
    out.push_back(std::move(t));
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const Temporary& a, const Temporary& b) { return a.path < b.path; });
  return out;
}

std::vector<std::string> AtomicFile::remove_stale_temporaries(const std::string& path) {
  std::vector<std::string> removed;
  for (const Temporary& t : temporaries(path))
    if (t.state == Temporary::State::Stale && ::unlink(t.path.c_str()) == 0) removed.push_back(t.path);
  return removed;
}

}  // namespace fpm::detail
