// Runs a work loop on the calling thread and on extra threads, for loops
// that pull their items from a shared counter (so any number of threads
// finishes all items). A thread the system cannot start (EAGAIN: thread or
// memory limits) is done without: the threads started and the caller do
// the work. Left to std::thread, the failure would end the process in
// std::terminate.
#pragma once

#include <system_error>
#include <thread>
#include <vector>

namespace fpm::detail {

template <class Work>
void run_threads(unsigned extra, Work& work) {
  std::vector<std::thread> pool;
  pool.reserve(extra);
  for (unsigned t = 0; t < extra; ++t) {
    try {
      pool.emplace_back([&work] { work(); });
    } catch (const std::system_error&) {
      break;
    }
  }
  work();
  for (auto& t : pool) t.join();
}

}  // namespace fpm::detail
