// A shared mutex that lets a waiting writer in first: once add()/remove()
// asks for the lock, searches that arrive later wait behind it, so the
// writer waits only for the searches already running, never for a stream
// of new ones. std::shared_mutex makes no such promise (glibc's prefers
// readers: under continuous search load a writer waited minutes).
// Meets the SharedMutex requirements, for std::unique_lock/std::shared_lock.
// Not recursive: a thread holding it shared must not lock it again.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace fpm::detail {

class WriterPreferringMutex {
 public:
  void lock() {
    std::unique_lock<std::mutex> l(m_);
    ++writers_waiting_;
    writer_cv_.wait(l, [this] { return !writer_active_ && readers_ == 0; });
    --writers_waiting_;
    writer_active_ = true;
  }
  void unlock() {
    {
      std::lock_guard<std::mutex> l(m_);
      writer_active_ = false;
    }
    // Waiting writers go first; readers re-check and wait again if one does.
    writer_cv_.notify_one();
    reader_cv_.notify_all();
  }
  void lock_shared() {
    std::unique_lock<std::mutex> l(m_);
    reader_cv_.wait(l, [this] { return !writer_active_ && writers_waiting_ == 0; });
    ++readers_;
  }
  void unlock_shared() {
    bool last = false;
    {
      std::lock_guard<std::mutex> l(m_);
      last = --readers_ == 0;
    }
    if (last) writer_cv_.notify_one();
  }

 private:
  std::mutex m_;
  std::condition_variable writer_cv_, reader_cv_;
  std::size_t readers_ = 0;          // searches holding the lock
  std::size_t writers_waiting_ = 0;  // add/remove calls waiting for it
  bool writer_active_ = false;
};

}  // namespace fpm::detail
