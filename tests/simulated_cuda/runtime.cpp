// The CUDA runtime API of cuda_runtime_api.h on simulated devices (see
// simulated_cuda.hpp for what is checked). One mutex guards the device
// table, the allocations and the stream queues; queued work runs outside it.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "simulated_cuda.hpp"

struct CUstream_st {
  int device = 0;
  std::deque<std::function<cudaError_t()>> queue;
  cudaError_t error = cudaSuccess;  // sticky: the first failure of queued work
  std::mutex running;               // one drain at a time keeps the stream's order
};

namespace fpm_simcuda {

namespace {

struct Allocation {
  int device;  // -1: pinned host memory
  std::size_t bytes;
};

struct Device {
  std::size_t capacity = 0, used = 0;
  std::unique_ptr<CUstream_st> legacy;  // the legacy default stream
  cudaError_t broken = cudaSuccess;     // a sticky fault's error: every later call fails with it
};

struct Fault {
  int device;
  Call call;
  int remaining;  // calls of its kind until it fails one
  cudaError_t error;
  bool sticky;
};

std::mutex mu;
bool configured = false;
std::vector<Device> devices;
std::map<const unsigned char*, Allocation> allocations;  // device and pinned, by start
std::set<CUstream_st*> streams;                         // created by cudaStreamCreateWithFlags
std::vector<Fault> faults;
bool kernel_scores = false;
thread_local int current_device = 0;
thread_local cudaError_t last_error = cudaSuccess;

constexpr unsigned char kGarbage = 0xa5;

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  std::size_t scale = 1;
  if (*end == 'K' || *end == 'k') scale = std::size_t(1) << 10;
  if (*end == 'M' || *end == 'm') scale = std::size_t(1) << 20;
  if (*end == 'G' || *end == 'g') scale = std::size_t(1) << 30;
  return static_cast<std::size_t>(n) * scale;
}

void reset_locked(const std::vector<std::size_t>& memory) {
  devices.clear();
  devices.resize(memory.size());
  for (std::size_t i = 0; i < memory.size(); ++i) {
    devices[i].capacity = memory[i];
    devices[i].legacy = std::make_unique<CUstream_st>();
    devices[i].legacy->device = static_cast<int>(i);
  }
  faults.clear();
  configured = true;
}

void reset_from_environment_locked() {
  reset_locked(std::vector<std::size_t>(env_size("FPM_SIMULATED_CUDA_DEVICES", 1),
                                        env_size("FPM_SIMULATED_CUDA_MEMORY", std::size_t(8) << 30)));
}

void ensure_configured_locked() {
  if (!configured) reset_from_environment_locked();
}

void require_idle_locked() {
  if (!allocations.empty() || !streams.empty())
    throw std::logic_error("simulated CUDA: configure() while allocations or streams are live");
}

cudaError_t fail(cudaError_t e) {
  last_error = e;
  return e;
}

cudaError_t broken_locked(int device) {
  return device >= 0 && device < static_cast<int>(devices.size()) ? devices[device].broken : cudaSuccess;
}

// What a call of kind `c` on `device` meets: the device's error when it is
// broken, else the error of an injected fault whose call this is (Call::Any
// faults count every call; c == Call::Any: a call that only those count).
// Kernel faults are taken by launch() instead.
cudaError_t fault_locked(int device, Call c) {
  if (const cudaError_t b = broken_locked(device)) return b;
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (it->device != device || it->call == Call::Kernel || (it->call != c && it->call != Call::Any)) continue;
    if (--it->remaining > 0) continue;
    const Fault f = *it;
    faults.erase(it);
    if (f.sticky) devices[device].broken = f.error;
    return f.error;
  }
  return cudaSuccess;
}

// The allocation holding [p, p + bytes), or nullptr.
const std::pair<const unsigned char* const, Allocation>* find_locked(const void* p, std::size_t bytes) {
  const auto* c = static_cast<const unsigned char*>(p);
  auto it = allocations.upper_bound(c);
  if (it == allocations.begin()) return nullptr;
  --it;
  if (c + bytes > it->first + it->second.bytes || c >= it->first + std::max<std::size_t>(it->second.bytes, 1))
    return nullptr;
  return &*it;
}

bool on_device_locked(int device, const void* p, std::size_t bytes) {
  if (bytes == 0) return true;
  const auto* a = find_locked(p, bytes);
  return a != nullptr && a->second.device == device;
}
bool pinned_locked(const void* p, std::size_t bytes) {
  const auto* a = find_locked(p, bytes == 0 ? 1 : bytes);
  return a != nullptr && a->second.device == -1;
}
// Host memory that is not device memory (pinned or pageable).
bool host_locked(const void* p, std::size_t bytes) {
  if (bytes == 0) return true;
  const auto* a = find_locked(p, 1);
  return a == nullptr || (a->second.device == -1 && find_locked(p, bytes) != nullptr);
}

CUstream_st* resolve_locked(cudaStream_t s) {
  ensure_configured_locked();
  if (s != nullptr) return streams.count(s) ? s : nullptr;
  if (current_device < 0 || current_device >= static_cast<int>(devices.size())) return nullptr;
  return devices[current_device].legacy.get();
}

// Runs the stream's queued work, in order; returns its sticky error.
cudaError_t drain(CUstream_st* s) {
  std::lock_guard<std::mutex> order(s->running);
  for (;;) {
    std::function<cudaError_t()> op;
    {
      std::lock_guard<std::mutex> g(mu);
      if (const cudaError_t b = broken_locked(s->device)) {  // a broken device runs nothing more
        s->queue.clear();
        return b;
      }
      if (s->queue.empty()) return s->error;
      op = std::move(s->queue.front());
      s->queue.pop_front();
    }
    const cudaError_t e = op();
    if (e != cudaSuccess) {
      std::lock_guard<std::mutex> g(mu);
      if (s->error == cudaSuccess) s->error = e;
    }
  }
}

// Every stream of `device` (-1: of every device), legacy ones included.
std::vector<CUstream_st*> streams_of_locked(int device) {
  std::vector<CUstream_st*> out;
  for (std::size_t i = 0; i < devices.size(); ++i)
    if (device < 0 || static_cast<int>(i) == device) out.push_back(devices[i].legacy.get());
  for (CUstream_st* s : streams)
    if (device < 0 || s->device == device) out.push_back(s);
  return out;
}

cudaError_t drain_device(int device) {
  std::vector<CUstream_st*> list;
  {
    std::lock_guard<std::mutex> g(mu);
    list = streams_of_locked(device);
  }
  cudaError_t first = cudaSuccess;
  for (CUstream_st* s : list) {
    const cudaError_t e = drain(s);
    if (first == cudaSuccess) first = e;
  }
  return first;
}

void complain(const std::string& what) { std::fprintf(stderr, "simulated CUDA: %s\n", what.c_str()); }

// One copy of `width` bytes per row, `height` rows, issued to `stream`.
cudaError_t copy_rows(void* dst, std::size_t dpitch, const void* src, std::size_t spitch, std::size_t width,
                      std::size_t height, cudaMemcpyKind kind, cudaStream_t stream, const char* api) {
  if (width == 0 || height == 0) return cudaSuccess;
  if (dpitch < width || spitch < width) return fail(cudaErrorInvalidValue);
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  const std::size_t dspan = (height - 1) * dpitch + width, sspan = (height - 1) * spitch + width;
  CUstream_st* st = nullptr;
  bool read_now = false, sync_now = false;
  {
    std::lock_guard<std::mutex> g(mu);
    st = resolve_locked(stream);
    if (st == nullptr) return fail(cudaErrorInvalidResourceHandle);
    const int dev = st->device;
    if (const cudaError_t f = fault_locked(dev, Call::Copy)) return fail(f);
    bool ok = false;
    switch (kind) {
      case cudaMemcpyHostToDevice:
        ok = on_device_locked(dev, d, dspan) && host_locked(s, sspan);
        read_now = !pinned_locked(s, sspan);  // pageable memory is staged at once
        break;
      case cudaMemcpyDeviceToHost:
        ok = on_device_locked(dev, s, sspan) && host_locked(d, dspan);
        sync_now = !pinned_locked(d, dspan);  // to pageable memory: returns when done
        break;
      case cudaMemcpyDeviceToDevice:
        ok = on_device_locked(dev, s, sspan) && on_device_locked(dev, d, dspan);
        break;
      default:
        ok = false;
    }
    if (!ok) {
      complain(std::string(api) + ": a range outside the allocations of device " + std::to_string(dev) +
               " (or the wrong kind of copy)");
      return fail(cudaErrorInvalidValue);
    }
    std::function<cudaError_t()> op;
    if (read_now) {
      auto staged = std::make_shared<std::vector<unsigned char>>(sspan);
      std::memcpy(staged->data(), s, sspan);
      op = [=] {
        for (std::size_t r = 0; r < height; ++r) std::memcpy(d + r * dpitch, staged->data() + r * spitch, width);
        return cudaSuccess;
      };
    } else {
      op = [=] {
        for (std::size_t r = 0; r < height; ++r) std::memcpy(d + r * dpitch, s + r * spitch, width);
        return cudaSuccess;
      };
    }
    st->queue.push_back(std::move(op));
  }
  if (sync_now) {
    const cudaError_t e = drain(st);
    if (e != cudaSuccess) return fail(e);
  }
  return cudaSuccess;
}

}  // namespace

void inject_fault(int device, Call call, int nth, cudaError_t error, bool sticky) {
  std::lock_guard<std::mutex> g(mu);
  ensure_configured_locked();
  if (device < 0 || device >= static_cast<int>(devices.size()) || nth < 1 || error == cudaSuccess)
    throw std::logic_error("simulated CUDA: inject_fault with no such device, call or error");
  faults.push_back({device, call, nth, error, sticky});
}

void clear_faults() {
  std::lock_guard<std::mutex> g(mu);
  faults.clear();
  for (Device& d : devices) d.broken = cudaSuccess;
}

void configure(const std::vector<std::size_t>& memory_per_device) {
  std::lock_guard<std::mutex> g(mu);
  require_idle_locked();
  reset_locked(memory_per_device);
}

void configure_from_environment() {
  std::lock_guard<std::mutex> g(mu);
  require_idle_locked();
  reset_from_environment_locked();
}

Live live() {
  std::lock_guard<std::mutex> g(mu);
  ensure_configured_locked();
  Live l;
  l.bytes_per_device.assign(devices.size(), 0);
  for (const auto& a : allocations)
    if (a.second.device >= 0) {
      ++l.device_allocations;
      l.device_bytes += a.second.bytes;
      l.bytes_per_device[a.second.device] += a.second.bytes;
    } else {
      ++l.pinned_buffers;
    }
  l.streams = streams.size();
  for (CUstream_st* st : streams_of_locked(-1)) l.queued_operations += st->queue.size();
  return l;
}

void use_score_kernel(bool on) {
  std::lock_guard<std::mutex> g(mu);
  kernel_scores = on;
}
bool score_kernel_used() {
  std::lock_guard<std::mutex> g(mu);
  return kernel_scores;
}

cudaError_t launch(cudaStream_t stream, std::function<cudaError_t(int)> op) {
  std::lock_guard<std::mutex> g(mu);
  CUstream_st* s = resolve_locked(stream);
  if (s == nullptr || s->device != current_device) return fail(cudaErrorInvalidResourceHandle);
  const int device = s->device;
  if (const cudaError_t f = fault_locked(device, Call::Launch)) return fail(f);
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (it->device != device || it->call != Call::Kernel || --it->remaining > 0) continue;
    // This kernel fails when it runs; a sticky fault breaks the device then.
    const Fault f = *it;
    faults.erase(it);
    s->queue.push_back([f] {
      if (f.sticky) {
        std::lock_guard<std::mutex> g(mu);
        devices[f.device].broken = f.error;
      }
      return f.error;
    });
    return cudaSuccess;
  }
  s->queue.push_back([op = std::move(op), device] { return op(device); });
  return cudaSuccess;
}

bool device_range(int device, const void* p, std::size_t bytes, const char* what) {
  std::lock_guard<std::mutex> g(mu);
  if (on_device_locked(device, p, bytes)) return true;
  complain(std::string("kernel on device ") + std::to_string(device) + ": " + what + " (" + std::to_string(bytes) +
           " bytes) is not inside one of the device's allocations");
  return false;
}

}  // namespace fpm_simcuda

using namespace fpm_simcuda;

cudaError_t cudaGetDeviceCount(int* count) {
  std::lock_guard<std::mutex> g(mu);
  ensure_configured_locked();
  *count = static_cast<int>(devices.size());
  return devices.empty() ? fail(cudaErrorNoDevice) : cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  std::lock_guard<std::mutex> g(mu);
  ensure_configured_locked();
  if (device < 0 || device >= static_cast<int>(devices.size())) return fail(cudaErrorInvalidDevice);
  current_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  *device = current_device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  std::lock_guard<std::mutex> g(mu);
  ensure_configured_locked();
  if (device < 0 || device >= static_cast<int>(devices.size())) return fail(cudaErrorInvalidDevice);
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "simulated device %d", device);
  prop->totalGlobalMem = devices[device].capacity;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 1;
  prop->sharedMemPerBlockOptin = 227 * 1024;
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(std::size_t* free_bytes, std::size_t* total_bytes) {
  std::lock_guard<std::mutex> g(mu);
  ensure_configured_locked();
  if (current_device >= static_cast<int>(devices.size())) return fail(cudaErrorInvalidDevice);
  if (const cudaError_t f = fault_locked(current_device, Call::Any)) return fail(f);
  const Device& d = devices[current_device];
  *free_bytes = d.capacity - d.used;
  *total_bytes = d.capacity;
  return cudaSuccess;
}

cudaError_t cudaMalloc(void** ptr, std::size_t bytes) {
  std::lock_guard<std::mutex> g(mu);
  ensure_configured_locked();
  if (current_device >= static_cast<int>(devices.size())) return fail(cudaErrorInvalidDevice);
  Device& d = devices[current_device];
  *ptr = nullptr;
  if (const cudaError_t f = fault_locked(current_device, Call::Malloc)) return fail(f);
  if (bytes == 0) return cudaSuccess;
  if (bytes > d.capacity - d.used) return fail(cudaErrorMemoryAllocation);
  void* p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (p == nullptr) return fail(cudaErrorMemoryAllocation);
  std::memset(p, kGarbage, bytes);
  allocations[static_cast<unsigned char*>(p)] = {current_device, bytes};
  d.used += bytes;
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  if (ptr == nullptr) return cudaSuccess;
  int device = -1;
  {
    std::lock_guard<std::mutex> g(mu);
    auto it = allocations.find(static_cast<unsigned char*>(ptr));
    if (it == allocations.end() || it->second.device < 0) return fail(cudaErrorInvalidValue);
    device = it->second.device;
    if (const cudaError_t b = broken_locked(device)) {  // dropped, so that live() counts only what is forgotten
      devices[device].used -= it->second.bytes;
      allocations.erase(it);
      std::free(ptr);
      return fail(b);
    }
  }
  drain_device(device);  // cudaFree synchronises with the device
  std::lock_guard<std::mutex> g(mu);
  auto it = allocations.find(static_cast<unsigned char*>(ptr));
  devices[device].used -= it->second.bytes;
  allocations.erase(it);
  std::free(ptr);
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void** ptr, std::size_t bytes) {
  std::lock_guard<std::mutex> g(mu);
  ensure_configured_locked();
  *ptr = nullptr;
  if (const cudaError_t b = broken_locked(current_device)) return fail(b);
  void* p = std::aligned_alloc(64, (std::max<std::size_t>(bytes, 1) + 63) / 64 * 64);
  if (p == nullptr) return fail(cudaErrorMemoryAllocation);
  std::memset(p, kGarbage, bytes);
  allocations[static_cast<unsigned char*>(p)] = {-1, bytes};
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFreeHost(void* ptr) {
  if (ptr == nullptr) return cudaSuccess;
  {
    std::lock_guard<std::mutex> g(mu);
    auto it = allocations.find(static_cast<unsigned char*>(ptr));
    if (it == allocations.end() || it->second.device >= 0) return fail(cudaErrorInvalidValue);
  }
  drain_device(-1);  // cudaFreeHost synchronises
  std::lock_guard<std::mutex> g(mu);
  allocations.erase(static_cast<unsigned char*>(ptr));
  std::free(ptr);
  const cudaError_t b = broken_locked(current_device);
  return b == cudaSuccess ? b : fail(b);
}

cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  // The legacy stream: its earlier work first, then the copy, then return.
  CUstream_st* legacy = nullptr;
  {
    std::lock_guard<std::mutex> g(mu);
    legacy = resolve_locked(nullptr);
    if (legacy == nullptr) return fail(cudaErrorInvalidDevice);
  }
  cudaError_t e = copy_rows(dst, bytes, src, bytes, bytes, 1, kind, nullptr, "cudaMemcpy");
  if (e != cudaSuccess) return e;
  e = drain(legacy);
  return e == cudaSuccess ? e : fail(e);
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
  return copy_rows(dst, bytes, src, bytes, bytes, 1, kind, stream, "cudaMemcpyAsync");
}

cudaError_t cudaMemcpy2DAsync(void* dst, std::size_t dpitch, const void* src, std::size_t spitch, std::size_t width,
                              std::size_t height, cudaMemcpyKind kind, cudaStream_t stream) {
  return copy_rows(dst, dpitch, src, spitch, width, height, kind, stream, "cudaMemcpy2DAsync");
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  std::lock_guard<std::mutex> g(mu);
  ensure_configured_locked();
  if (current_device >= static_cast<int>(devices.size())) return fail(cudaErrorInvalidDevice);
  if (const cudaError_t f = fault_locked(current_device, Call::Any)) return fail(f);
  auto* s = new CUstream_st;
  s->device = current_device;
  streams.insert(s);
  *stream = s;
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  {
    std::lock_guard<std::mutex> g(mu);
    if (stream == nullptr || !streams.count(stream)) return fail(cudaErrorInvalidResourceHandle);
  }
  drain(stream);  // queued work still completes (none on a broken device)
  std::lock_guard<std::mutex> g(mu);
  const cudaError_t b = broken_locked(stream->device);
  streams.erase(stream);
  delete stream;
  return b == cudaSuccess ? b : fail(b);
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  CUstream_st* s = nullptr;
  {
    std::lock_guard<std::mutex> g(mu);
    s = resolve_locked(stream);
    if (s == nullptr) return fail(cudaErrorInvalidResourceHandle);
    if (const cudaError_t f = fault_locked(s->device, Call::Synchronize)) return fail(f);
  }
  const cudaError_t e = drain(s);
  return e == cudaSuccess ? e : fail(e);
}

cudaError_t cudaDeviceSynchronize() {
  {
    std::lock_guard<std::mutex> g(mu);
    ensure_configured_locked();
    if (const cudaError_t f = fault_locked(current_device, Call::Synchronize)) return fail(f);
  }
  const cudaError_t e = drain_device(current_device);
  return e == cudaSuccess ? e : fail(e);
}

cudaError_t cudaGetLastError() {
  const cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorDevicesUnavailable: return "cudaErrorDevicesUnavailable";
    case cudaErrorECCUncorrectable: return "cudaErrorECCUncorrectable";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchOutOfResources: return "cudaErrorLaunchOutOfResources";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorDevicesUnavailable: return "CUDA-capable device(s) is/are busy or unavailable";
    case cudaErrorECCUncorrectable: return "uncorrectable ECC error encountered";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unknown error";
}
