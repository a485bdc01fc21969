// A growable array of plain values with the part of std::vector's interface
// the gallery uses, and one addition: its elements may live in a read-only
// mapping of a file (a loaded gallery file) instead of memory it owns. Then
// loading copies nothing, and the first growth moves the elements into owned
// memory, as a vector moves on reallocation. Elements of a mapped array must
// not be written in place (the gallery copies the one array it changes in
// place, the entry flags, when it loads). New elements are not
// value-initialised.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>

#include "util/uninit_allocator.hpp"

namespace fpm::detail {

template <class T>
class PodArray {
  static_assert(std::is_trivially_copyable<T>::value, "PodArray holds plain values");

 public:
  PodArray() = default;
  PodArray(std::initializer_list<T> init) { assign(init.begin(), init.end()); }
  PodArray(const PodArray& o) { assign(o.begin(), o.end()); }  // always into owned memory
  PodArray(PodArray&& o) noexcept { swap(o); }
  PodArray& operator=(const PodArray& o) {
    if (this != &o) PodArray(o).swap(*this);
    return *this;
  }
  PodArray& operator=(PodArray&& o) noexcept {
    PodArray(std::move(o)).swap(*this);
    return *this;
  }
  ~PodArray() { release(); }

  void swap(PodArray& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
    std::swap(mapping_, o.mapping_);
  }

  // Uses the n elements at p, which lie inside `mapping` (kept alive while
  // they are used), instead of owned memory.
  void adopt(T* p, std::size_t n, std::shared_ptr<void> mapping) {
    release();
    ptr_ = p;
    size_ = cap_ = n;
    mapping_ = std::move(mapping);
  }

  std::size_t size() const noexcept { return size_; }
  T* data() noexcept { return ptr_; }
  const T* data() const noexcept { return ptr_; }
  T* begin() noexcept { return ptr_; }
  T* end() noexcept { return ptr_ + size_; }
  const T* begin() const noexcept { return ptr_; }
  const T* end() const noexcept { return ptr_ + size_; }
  T& operator[](std::size_t i) noexcept { return ptr_[i]; }
  const T& operator[](std::size_t i) const noexcept { return ptr_[i]; }
  T& back() noexcept { return ptr_[size_ - 1]; }
  const T& back() const noexcept { return ptr_[size_ - 1]; }

  void clear() noexcept { size_ = 0; }
  void reserve(std::size_t n) {
    if (n > cap_) move_to(n);
  }
  // New elements are left uninitialised.
  void resize(std::size_t n) {
    if (n > cap_) move_to(std::max(n, cap_ + cap_ / 2));
    size_ = n;
  }
  void push_back(T v) {  // by value: v may be one of our elements
    if (size_ == cap_) move_to(std::max<std::size_t>(8, cap_ * 2));
    ptr_[size_++] = v;
  }
  // Appends [first, last); pos must be end() (the only insertion used).
  template <class It>
  void insert(const T* pos, It first, It last) {
    assert(pos == end());
    (void)pos;
    const std::size_t n = static_cast<std::size_t>(std::distance(first, last));
    if (size_ + n > cap_) {
      // The new block takes the old elements and the new ones before the old
      // block goes: [first, last) may lie in it.
      const std::size_t cap = std::max(size_ + n, cap_ * 2);
      T* p = UninitAllocator<T>().allocate(cap);
      if (size_) std::memcpy(static_cast<void*>(p), ptr_, size_ * sizeof(T));
      std::copy(first, last, p + size_);
      release();
      ptr_ = p;
      cap_ = cap;
    } else {
      std::copy(first, last, ptr_ + size_);
    }
    size_ += n;
  }
  template <class It>
  void assign(It first, It last) {
    clear();
    insert(end(), first, last);
  }

 private:
  // Moves the elements into owned memory of capacity n (>= size_).
  void move_to(std::size_t n) {
    T* p = UninitAllocator<T>().allocate(n);
    if (size_) std::memcpy(static_cast<void*>(p), ptr_, size_ * sizeof(T));
    release();
    ptr_ = p;
    cap_ = n;
  }
  void release() noexcept {
    if (mapping_)
      mapping_.reset();
    else if (ptr_)
      UninitAllocator<T>().deallocate(ptr_, cap_);
    ptr_ = nullptr;
    cap_ = 0;
  }

  T* ptr_ = nullptr;
  std::size_t size_ = 0, cap_ = 0;
  std::shared_ptr<void> mapping_;  // non-null: ptr_ lies in this mapping, owned by no one here
};

}  // namespace fpm::detail
