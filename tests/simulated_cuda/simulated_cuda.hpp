// Simulated CUDA devices for tests without a GPU: host memory behind the
// CUDA runtime API of cuda_runtime_api.h (this folder), with the checks a
// device would make and a few a device would not:
//  * each device has a memory capacity; cudaMalloc beyond it fails with
//    cudaErrorMemoryAllocation and cudaMemGetInfo reports what is left;
//  * device memory starts as garbage, as on a device;
//  * every copy and every kernel's reads and writes must lie inside one
//    allocation of the device that runs them (a copy to another device's
//    memory, or past an allocation's end, is an error: a memcheck for the
//    host code that sets up the kernels);
//  * streams run their work only when the host synchronises with them
//    (cudaStreamSynchronize, cudaDeviceSynchronize, a blocking copy on the
//    legacy stream, a copy to pageable memory), so host code that reads a
//    result, or reuses a pinned buffer, before synchronising sees the wrong
//    data; pageable host memory is read when an asynchronous copy is issued,
//    pinned memory when it runs, as on a device;
//  * every allocation, pinned buffer and stream is counted, so that tests
//    can check that an engine leaves nothing behind;
//  * faults can be injected (inject_fault), so that the library's error
//    paths run: a call that fails once, or a device broken for good.
// The kernels (kernels.cpp here) are the library's own rank kernels run on
// the host; scores come from the CPU matcher (the per-pair code the score
// kernels share), or from the score kernel itself run on CPU threads
// (tests/cuda_emulation.hpp) when asked with use_score_kernel(true).
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "cuda_runtime_api.h"

namespace fpm_simcuda {

// One device per element, with that many bytes of memory (the accounting
// only: host memory is allocated as used). Throws std::logic_error while
// any allocation or stream is live.
void configure(const std::vector<std::size_t>& memory_per_device);
// The default, also taken at the first call: $FPM_SIMULATED_CUDA_DEVICES
// devices (1 when unset) of $FPM_SIMULATED_CUDA_MEMORY bytes each (a number
// with an optional K, M or G; 8G when unset).
void configure_from_environment();

struct Live {
  std::size_t device_allocations = 0, device_bytes = 0, pinned_buffers = 0, streams = 0;
  std::size_t queued_operations = 0;  // copies and kernels issued but not yet run, every stream
  std::vector<std::size_t> bytes_per_device;
};
// What is allocated (and queued) now, over every device.
Live live();

// Scores by the score kernel itself on CPU threads (slow: about 0.1 s per
// comparison) instead of by the CPU matcher.
void use_score_kernel(bool on);
bool score_kernel_used();

// Faults, for the error paths. The `nth` call (1: the next one) of kind
// `call` on `device` fails with `error`. A sticky fault also breaks the
// device: from then on every call on it fails with that error, as after an
// illegal address or an uncorrectable ECC error, which leave a device's
// context unusable until the process ends. The exceptions are the queries
// that need no context (cudaGetDeviceCount, cudaSetDevice, cudaGetDevice,
// cudaGetDeviceProperties) and the releases (cudaFree, cudaFreeHost,
// cudaStreamDestroy), which return the error but drop what they release, so
// that live() still tells what the library forgot to release. A kernel
// fault happens when the kernel runs, so it shows at the next
// synchronisation, as on a device; a launch fault is returned by the launch
// itself (a launch the device refuses, e.g. for want of resources).
// Call::Any counts every call on the device that creates or uses its
// context (a device taken by another process in exclusive mode fails the
// first of them with cudaErrorDevicesUnavailable).
enum class Call { Any, Malloc, Copy, Launch, Kernel, Synchronize };
void inject_fault(int device, Call call, int nth, cudaError_t error, bool sticky);
// Drops pending faults and repairs broken devices (configure() does too).
void clear_faults();

// For the simulated kernels: queues `op` on `stream` (nullptr: the legacy
// stream of the current device), which must belong to the current device.
// op runs on a later synchronisation; a non-success return is the error of
// that stream from then on (as a device reports an illegal address).
cudaError_t launch(cudaStream_t stream, std::function<cudaError_t(int device)> op);

// Whether [p, p + bytes) lies inside one allocation of `device`; prints
// what is wrong (naming `what`) when not.
bool device_range(int device, const void* p, std::size_t bytes, const char* what);

}  // namespace fpm_simcuda
