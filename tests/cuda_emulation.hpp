// Runs CUDA kernels on CPU threads, for tests on machines without a GPU:
// host definitions of the CUDA built-ins that kernels/score_kernels.cuh
// uses, and a launcher that runs each block as one OS thread per CUDA thread
// (blocks one after another). Barriers are real barriers and the warp
// operations (ballot, shuffles) exchange values through per-warp barriers,
// so every thread runs the kernel's own code in an order CUDA allows; a
// barrier that not every thread reaches stops the test with a message
// instead of hanging. Shared memory starts filled with garbage, as on a
// device. What this cannot show: timing, occupancy, or hazards that only
// the hardware's scheduling would expose (compute-sanitizer racecheck on a
// device covers those).
//
// Include before the kernels' header; only one translation unit per test
// binary may include it. Launches share the globals blockIdx, blockDim and
// gridDim: one launch at a time per process.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

struct FpmEmuDim {
  unsigned x = 1, y = 1, z = 1;
};
inline thread_local FpmEmuDim threadIdx;
inline FpmEmuDim blockIdx, blockDim, gridDim;

namespace fpm_emu {

class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    const unsigned long generation = generation_;
    if (++arrived_ == n_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    if (!cv_.wait_for(lock, std::chrono::seconds(120), [&] { return generation_ != generation; })) {
      std::fprintf(stderr, "emulated kernel: a barrier was not reached by every thread (deadlock)\n");
      std::abort();
    }
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_, arrived_ = 0;
  unsigned long generation_ = 0;
};

struct Block {
  Block(unsigned threads, std::size_t shared_bytes)
      : block(static_cast<int>(threads)), shared(shared_bytes + 16, 0xa5) {
    for (unsigned w = 0; w < (threads + 31) / 32; ++w) warps.emplace_back(new Barrier(32));
  }
  Barrier block;
  std::vector<std::unique_ptr<Barrier>> warps;
  std::uint64_t exchange[32][32] = {};
  std::vector<unsigned char> shared;
};
inline Block* current = nullptr;  // the block being run

// Every lane of the calling thread's warp publishes `v`; returns lane src's.
inline Block& running_block();
inline std::uint64_t exchange(std::uint64_t v, int src) {
  running_block();
  const int w = static_cast<int>(threadIdx.x / 32), lane = static_cast<int>(threadIdx.x % 32);
  current->exchange[w][lane] = v;
  current->warps[w]->wait();
  const std::uint64_t r = current->exchange[w][src];
  current->warps[w]->wait();
  return r;
}

// Runs kernel<<<grid, threads, shared_bytes>>>(args...) and returns when
// every block is done.
template <class... Params, class... Args>
void launch(void (*kernel)(Params...), unsigned grid, unsigned threads, std::size_t shared_bytes, Args... args) {
  blockDim.x = threads;
  gridDim.x = grid;
  for (unsigned b = 0; b < grid; ++b) {
    Block block(threads, shared_bytes);
    current = &block;
    blockIdx.x = b;
    std::vector<std::thread> ts;
    ts.reserve(threads);
    for (unsigned t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        threadIdx.x = t;
        kernel(args...);
      });
    for (std::thread& t : ts) t.join();
    current = nullptr;
  }
}

// Runs a kernel that uses no barrier, warp operation or shared memory (a
// grid-stride loop) with every thread of every block in turn on the calling
// thread: much faster than launch(). A barrier or warp operation in it
// stops the test with a message.
template <class... Params, class... Args>
void launch_sequential(void (*kernel)(Params...), unsigned grid, unsigned threads, Args... args) {
  blockDim.x = threads;
  gridDim.x = grid;
  for (unsigned b = 0; b < grid; ++b) {
    blockIdx.x = b;
    for (unsigned t = 0; t < threads; ++t) {
      threadIdx.x = t;
      kernel(args...);
    }
  }
}

// The block being run by launch(); stops the test when there is none.
inline Block& running_block() {
  if (current == nullptr) {
    std::fprintf(stderr, "emulated kernel: a barrier or warp operation in a kernel run by launch_sequential\n");
    std::abort();
  }
  return *current;
}

}  // namespace fpm_emu

#define FPM_DYNAMIC_SHARED(name) unsigned char* const name = fpm_emu::current->shared.data()

inline void __syncthreads() { fpm_emu::running_block().block.wait(); }

inline unsigned __ballot_sync(unsigned, int pred) {
  fpm_emu::running_block();
  const int w = static_cast<int>(threadIdx.x / 32), lane = static_cast<int>(threadIdx.x % 32);
  fpm_emu::current->exchange[w][lane] = pred ? 1 : 0;
  fpm_emu::current->warps[w]->wait();
  unsigned mask = 0;
  for (int i = 0; i < 32; ++i) mask |= fpm_emu::current->exchange[w][i] ? 1u << i : 0u;
  fpm_emu::current->warps[w]->wait();
  return mask;
}

template <class T>
T __shfl_sync(unsigned, T v, int src) {
  return static_cast<T>(fpm_emu::exchange(static_cast<std::uint64_t>(v), src & 31));
}
template <class T>
T __shfl_down_sync(unsigned, T v, unsigned delta) {
  const unsigned lane = threadIdx.x % 32;
  return static_cast<T>(fpm_emu::exchange(static_cast<std::uint64_t>(v), lane + delta < 32 ? lane + delta : lane));
}
template <class T>
T __shfl_xor_sync(unsigned, T v, int mask) {
  return static_cast<T>(fpm_emu::exchange(static_cast<std::uint64_t>(v), static_cast<int>((threadIdx.x % 32) ^ mask) & 31));
}

inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __clz(int v) { return v == 0 ? 32 : __builtin_clz(static_cast<unsigned>(v)); }
inline unsigned __float_as_uint(float f) {
  unsigned u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
