// A progress bar on stderr for long runs, drawn only when stderr is a
// terminal (logs stay clean), at most five times a second.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace cli {

class Progress {
 public:
  explicit Progress(std::string label, bool quiet = false)
      : label_(std::move(label)), enabled_(!quiet && ::isatty(2)), start_(std::chrono::steady_clock::now()) {}
  ~Progress() { finish(); }
  void operator()(std::size_t done, std::size_t total) {
    if (!enabled_ || total == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const int width = 30, filled = static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * width);
    const double secs = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r%s [%s%s] %5.1f%% %zu/%zu %.0fs", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(), 100.0 * static_cast<double>(done) / static_cast<double>(total),
                 done, total, secs);
    drawn_ = true;
  }
  void finish() {
    if (drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
  }

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_{};
};

}  // namespace cli
