// A fixed set of worker threads, created once per engine or per job (the
// library's one way of starting threads, but for one host thread per CUDA
// device). parallel_for()
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
  // What to do when the system cannot start a thread (EAGAIN: thread or
  // memory limits): an engine's pool is an error (fpm::Error(OutOfMemory));
  // a one-off job's pool goes on with the threads it has (the caller of
  // parallel_for always works too, so every task is done).
  enum class OnStartFailure { Throw, DoWithout };
  // `workers`: extra threads besides the callers; may be 0.
  explicit ThreadPool(unsigned workers, OnStartFailure on_failure = OnStartFailure::Throw);
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
