#include "cpu/thread_pool.hpp"

#include <string>

#include "fpmatch/error.hpp"

namespace fpm::detail {

ThreadPool::ThreadPool(unsigned workers, OnStartFailure on_failure) {
  // A thread the system cannot start (EAGAIN: thread or memory limits) is,
  // by the caller's choice, done without or an error after the ones already
  // started are stopped; left to std::thread it would end the process in
  // std::terminate.
  try {
    threads_.reserve(workers);
    for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { worker_loop(); });
  } catch (const std::exception& e) {
    if (on_failure == OnStartFailure::DoWithout) return;
    const std::size_t started = threads_.size();
    stop_all();
    throw Error(ErrorCode::OutOfMemory, "cannot start " + std::to_string(workers) + " worker threads (" +
                                            std::to_string(started) + " started): " + e.what());
  }
}

void ThreadPool::stop_all() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

ThreadPool::~ThreadPool() { stop_all(); }

void ThreadPool::work_on(Job& job) {
  for (;;) {
    const std::size_t i = job.next.fetch_add(1);
    if (i >= job.tasks) return;
    if (!job.failed.load(std::memory_order_relaxed)) {
      try {
        (*job.f)(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(job.error_mutex);
        if (!job.error) job.error = std::current_exception();
        job.failed = true;
      }
    }
    job.finished.fetch_add(1);
  }
}

void ThreadPool::worker_loop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] {
        if (stop_) return true;
        for (auto& j : jobs_)
          if (j->next.load() < j->tasks) return true;
        return false;
      });
      if (stop_) return;
      for (auto& j : jobs_)
        if (j->next.load() < j->tasks) {
          job = j;
          break;
        }
    }
    if (!job) continue;
    work_on(*job);
    if (job->finished.load() == job->tasks) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_all();
    }
  }
}

void ThreadPool::parallel_for(std::size_t tasks, const std::function<void(std::size_t)>& f) {
  if (tasks == 0) return;
  auto job = std::make_shared<Job>();
  job->f = &f;
  job->tasks = tasks;
  if (!threads_.empty() && tasks > 1) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(job);
    }
    wake_.notify_all();
  }
  work_on(*job);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return job->finished.load() == job->tasks; });
    for (auto it = jobs_.begin(); it != jobs_.end(); ++it)
      if (*it == job) {
        jobs_.erase(it);
        break;
      }
  }
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace fpm::detail
