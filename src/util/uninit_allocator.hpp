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
#include <type_traits>
#include <utility>

#include <sys/mman.h>

namespace fpm::detail {

template <class T>
struct UninitAllocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;
  static constexpr std::size_t kHugeFrom = std::size_t{32} << 20;  // bytes

  UninitAllocator() noexcept = default;
  template <class U>
  UninitAllocator(const UninitAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_alloc();
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
  // Value-initialisation (resize(n), vector(n)) leaves trivial types as they are.
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible<U>::value) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <class U>
  bool operator==(const UninitAllocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const UninitAllocator<U>&) const noexcept { return false; }
};

}  // namespace fpm::detail
