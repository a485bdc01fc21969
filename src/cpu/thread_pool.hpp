// A fixed set of worker threads, created once per engine. parallel_for()
// may be called from several threads at once: the jobs share the workers,
// and each caller also works on its own job until it is done.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace fpm::detail {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned workers);  // extra threads besides the callers; may be 0
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned workers() const { return static_cast<unsigned>(threads_.size()); }
  // Runs f(i) for every i in [0, tasks); returns when all have finished. An
  // exception thrown by f is rethrown here (the first one; the remaining
  // tasks of the job are skipped).
  void parallel_for(std::size_t tasks, const std::function<void(std::size_t)>& f);

 private:
  struct Job {
    const std::function<void(std::size_t)>* f;
    std::size_t tasks;
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> finished{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    std::atomic<bool> failed{false};
  };
  static void work_on(Job& job);
  void stop_all();  // stops and joins the workers
  void worker_loop();

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::deque<std::shared_ptr<Job>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace fpm::detail
