// The allocator behind a gallery's arrays (PodArray): new elements are left
// uninitialised (zero-filling gigabytes that are then overwritten costs as
// much as writing them), and blocks of many megabytes are aligned to and
// advised for transparent huge pages (a 9 GB gallery otherwise takes over
// two million page faults on first touch).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

#include <sys/mman.h>

namespace fpm::detail {

template <class T>
struct UninitAllocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;
  static constexpr std::size_t kHugeFrom = std::size_t{32} << 20;  // bytes

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugeFrom) return std::allocator<T>().allocate(n);
    void* p = nullptr;
    if (::posix_memalign(&p, kHugePage, (bytes + kHugePage - 1) / kHugePage * kHugePage) != 0) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
    ::madvise(p, bytes, MADV_HUGEPAGE);  // advice only: no huge pages is fine
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < kHugeFrom)
      std::allocator<T>().deallocate(p, n);
    else
      std::free(p);
  }
};

}  // namespace fpm::detail
