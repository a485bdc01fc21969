// The k best hits seen so far: higher score first, equal scores by the
// smaller key (entry index or subject rank), so results never depend on the
// order in which threads or tiles saw them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace fpm::detail {

struct Hit {
  float score;
  std::uint32_t key;
};

inline bool better(const Hit& a, const Hit& b) { return a.score > b.score || (a.score == b.score && a.key < b.key); }

class TopK {
 public:
  explicit TopK(std::size_t k = 0) : k_(k) { h_.reserve(k < 1024 ? k : 1024); }
  void offer(const Hit& x) {
    if (h_.size() < k_) {
      h_.push_back(x);
      std::push_heap(h_.begin(), h_.end(), better);  // the worst kept hit on top
    } else if (k_ > 0 && better(x, h_.front())) {
      std::pop_heap(h_.begin(), h_.end(), better);
      h_.back() = x;
      std::push_heap(h_.begin(), h_.end(), better);
    }
  }
  void merge(const TopK& o) {
    for (const Hit& x : o.h_) offer(x);
  }
  std::vector<Hit> sorted() const {
    std::vector<Hit> v = h_;
    std::sort(v.begin(), v.end(), better);
    return v;
  }

 private:
  std::size_t k_;
  std::vector<Hit> h_;
};

}  // namespace fpm::detail
