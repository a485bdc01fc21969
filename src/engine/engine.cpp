// fpm::Engine: gallery ownership, locking, and the CPU backend.
#include "fpmatch/engine.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <shared_mutex>
#include <thread>

#include "cpu/match_views.hpp"
#include "cpu/thread_pool.hpp"
#include "engine/top_k.hpp"
#include "fpmatch/error.hpp"
#include "fpmatch/runtime.hpp"
#include "gallery/gallery_data.hpp"
#include "mcc/encoded.hpp"

namespace fpm {

const char* backend_name(Backend b) noexcept {
  switch (b) {
    case Backend::Auto: return "auto";
    case Backend::Cpu: return "cpu";
    case Backend::Cuda: return "cuda";
  }
  return "unknown";
}

Backend parse_backend_name(const std::string& name) {
  if (name == "auto") return Backend::Auto;
  if (name == "cpu") return Backend::Cpu;
  if (name == "cuda") return Backend::Cuda;
  throw Error(ErrorCode::InvalidArgument, "unknown backend '" + name + "' (auto, cpu or cuda)");
}

namespace {

// One Matcher (scratch memory) per thread and SIMD level.
Matcher& thread_matcher(SimdLevel level) {
  thread_local std::map<SimdLevel, Matcher> matchers;
  auto it = matchers.find(level);
  if (it == matchers.end()) it = matchers.emplace(level, Matcher(level)).first;
  return it->second;
}

bool positions_compatible(std::uint8_t probe, std::uint8_t entry) { return probe == 0 || entry == 0 || probe == entry; }

SimdLevel cpu_resolve(SimdLevel level) {
  const SimdLevel l = level == SimdLevel::Auto ? best_simd_level() : level;
  if (!simd_level_supported(l))
    throw Error(ErrorCode::InvalidArgument, std::string("engine: this CPU lacks ") + simd_level_name(l));
  return l;
}

}  // namespace

struct Engine::Impl {
  Gallery gallery;
  EngineOptions options;
  Backend backend = Backend::Cpu;
  SimdLevel simd = SimdLevel::Scalar;
  std::unique_ptr<detail::ThreadPool> pool;
  unsigned threads = 1;
  mutable std::shared_mutex lock;  // searches share it; add/remove take it alone
  mutable std::atomic<std::uint64_t> comparisons{0};

  // Subject -> live entries (CSR), subject order by id; rebuilt after changes.
  mutable std::mutex index_mutex;
  mutable bool index_valid = false;
  mutable std::vector<std::uint32_t> subject_list;       // subject ids with live entries, sorted by name
  mutable std::vector<std::uint32_t> subject_rank;       // subject id -> rank by name
  mutable std::vector<std::size_t> subject_offset;       // into subject_entries, per subject_list position
  mutable std::vector<std::uint32_t> subject_entries;

  void build_subject_index() const {
    std::lock_guard<std::mutex> guard(index_mutex);
    if (index_valid) return;
    const Gallery::Data& d = gallery.data();
    std::vector<std::uint32_t> by_name(d.subject_names.size());
    std::iota(by_name.begin(), by_name.end(), 0u);
    std::sort(by_name.begin(), by_name.end(),
              [&](std::uint32_t a, std::uint32_t b) { return d.subject_names[a] < d.subject_names[b]; });
    subject_rank.assign(d.subject_names.size(), 0);
    for (std::uint32_t r = 0; r < by_name.size(); ++r) subject_rank[by_name[r]] = r;
    std::vector<std::vector<std::uint32_t>> lists(d.subject_names.size());
    for (std::size_t e = 0; e < d.size(); ++e)
      if (!d.removed(e)) lists[d.subject[e]].push_back(static_cast<std::uint32_t>(e));
    subject_list.clear();
    subject_offset.assign(1, 0);
    subject_entries.clear();
    for (std::uint32_t s : by_name) {
      if (lists[s].empty()) continue;
      subject_list.push_back(s);
      subject_entries.insert(subject_entries.end(), lists[s].begin(), lists[s].end());
      subject_offset.push_back(subject_entries.size());
    }
    index_valid = true;
  }
};

Engine::Engine(Gallery gallery, const EngineOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->gallery = std::move(gallery);
  impl_->options = options;
  if (options.threads < 0) throw Error(ErrorCode::InvalidArgument, "engine: threads must be >= 0");
  const RuntimeInfo rt = (options.backend == Backend::Cpu) ? RuntimeInfo{} : runtime_info();
  if (options.backend == Backend::Cuda) {
    if (!rt.cuda_built) throw Error(ErrorCode::Unavailable, "engine: the CUDA backend is not built into this library");
    if (rt.devices.empty()) throw Error(ErrorCode::Unavailable, "engine: no usable CUDA device (" + rt.cuda_status + ")");
    throw Error(ErrorCode::Unavailable, "engine: the CUDA search backend is not available in this version");
  }
  impl_->backend = Backend::Cpu;
  impl_->simd = cpu_resolve(options.simd);
  unsigned n = options.threads > 0 ? static_cast<unsigned>(options.threads)
                                   : std::max(1u, std::thread::hardware_concurrency());
  impl_->threads = n;
  impl_->pool = std::make_unique<detail::ThreadPool>(n - 1);  // the caller is the n-th
}

Engine::~Engine() = default;

Backend Engine::backend() const noexcept { return impl_->backend; }
std::size_t Engine::threads() const noexcept { return impl_->threads; }
std::uint64_t Engine::comparisons() const noexcept { return impl_->comparisons.load(); }

std::vector<std::vector<Candidate>> Engine::search(const std::vector<EncodedTemplate>& probes,
                                                   const SearchOptions& options) const {
  if (options.top_k == 0) throw Error(ErrorCode::InvalidArgument, "search: top_k must be at least 1");
  std::shared_lock<std::shared_mutex> guard(impl_->lock);
  const Gallery::Data& d = impl_->gallery.data();
  const std::size_t E = d.size(), P = probes.size();
  std::vector<std::vector<Candidate>> out(P);
  if (P == 0 || E == 0) return out;
  // Tiles of entries; each tile compares all probes of the batch with its
  // entries, so an entry's cylinders are read once per batch.
  const std::size_t tiles = std::min<std::size_t>(E, std::max<std::size_t>(impl_->threads * 8, 1));
  const std::size_t per_tile = (E + tiles - 1) / tiles;
  std::vector<std::vector<detail::TopK>> partial(tiles);
  std::vector<mcc::CylinderSetView> pv(P);
  for (std::size_t p = 0; p < P; ++p) pv[p] = probes[p].data().view();
  const SimdLevel simd = impl_->simd;
  std::function<void(std::size_t)> task = [&](std::size_t t) {
    Matcher& m = thread_matcher(simd);
    std::vector<detail::TopK> best(P, detail::TopK(options.top_k));
    const std::size_t e0 = t * per_tile, e1 = std::min(E, e0 + per_tile);
    std::uint64_t n = 0;
    for (std::size_t e = e0; e < e1; ++e) {
      if (d.removed(e)) continue;
      const mcc::CylinderSetView g = d.view(e);
      for (std::size_t p = 0; p < P; ++p) {
        const float s = detail::MatcherAccess::match(m, pv[p], g);
        ++n;
        if (s >= options.min_score) best[p].offer({s, static_cast<std::uint32_t>(e)});
      }
    }
    impl_->comparisons += n;
    partial[t] = std::move(best);
  };
  impl_->pool->parallel_for(tiles, task);
  for (std::size_t p = 0; p < P; ++p) {
    detail::TopK merged(options.top_k);
    for (std::size_t t = 0; t < tiles; ++t)
      if (!partial[t].empty()) merged.merge(partial[t][p]);
    for (const detail::Hit& h : merged.sorted())
      out[p].push_back({h.key, d.subject_names[d.subject[h.key]], d.position[h.key], h.score});
  }
  return out;
}

std::vector<std::vector<SubjectCandidate>> Engine::search_subjects(
    const std::vector<std::vector<FingerProbe>>& probes, const SearchOptions& options) const {
  if (options.top_k == 0) throw Error(ErrorCode::InvalidArgument, "search: top_k must be at least 1");
  for (const auto& p : probes) {
    if (p.empty()) throw Error(ErrorCode::InvalidArgument, "search_subjects: a probe without fingers");
    for (const FingerProbe& f : p)
      if (f.position > 10) throw Error(ErrorCode::InvalidArgument, "search_subjects: finger position above 10");
  }
  std::shared_lock<std::shared_mutex> guard(impl_->lock);
  impl_->build_subject_index();
  const Gallery::Data& d = impl_->gallery.data();
  const std::size_t S = impl_->subject_list.size(), P = probes.size();
  std::vector<std::vector<SubjectCandidate>> out(P);
  if (P == 0 || S == 0) return out;
  const std::size_t tiles = std::min<std::size_t>(S, std::max<std::size_t>(impl_->threads * 8, 1));
  const std::size_t per_tile = (S + tiles - 1) / tiles;
  std::vector<std::vector<detail::TopK>> partial(tiles);
  const SimdLevel simd = impl_->simd;
  std::function<void(std::size_t)> task = [&](std::size_t t) {
    Matcher& m = thread_matcher(simd);
    std::vector<detail::TopK> best(P, detail::TopK(options.top_k));
    const std::size_t s0 = t * per_tile, s1 = std::min(S, s0 + per_tile);
    std::uint64_t n = 0;
    for (std::size_t si = s0; si < s1; ++si) {
      const std::uint32_t* ent = impl_->subject_entries.data() + impl_->subject_offset[si];
      const std::size_t ne = impl_->subject_offset[si + 1] - impl_->subject_offset[si];
      for (std::size_t p = 0; p < P; ++p) {
        float sum = 0.0f;
        for (const FingerProbe& f : probes[p]) {
          float finger_best = 0.0f;
          const mcc::CylinderSetView fv = f.t.data().view();
          for (std::size_t k = 0; k < ne; ++k) {
            if (!positions_compatible(f.position, d.position[ent[k]])) continue;
            finger_best = std::max(finger_best, detail::MatcherAccess::match(m, fv, d.view(ent[k])));
            ++n;
          }
          sum += finger_best;
        }
        const float fused = sum / static_cast<float>(probes[p].size());
        if (fused >= options.min_score) best[p].offer({fused, static_cast<std::uint32_t>(si)});
      }
    }
    impl_->comparisons += n;
    partial[t] = std::move(best);
  };
  impl_->pool->parallel_for(tiles, task);
  // The per-finger details of the winners, recomputed (a few comparisons).
  Matcher& m = thread_matcher(simd);
  for (std::size_t p = 0; p < P; ++p) {
    detail::TopK merged(options.top_k);
    for (std::size_t t = 0; t < tiles; ++t)
      if (!partial[t].empty()) merged.merge(partial[t][p]);
    for (const detail::Hit& h : merged.sorted()) {
      SubjectCandidate c;
      c.subject = d.subject_names[impl_->subject_list[h.key]];
      c.score = h.score;
      const std::uint32_t* ent = impl_->subject_entries.data() + impl_->subject_offset[h.key];
      const std::size_t ne = impl_->subject_offset[h.key + 1] - impl_->subject_offset[h.key];
      for (const FingerProbe& f : probes[p]) {
        // The first entry (smallest index) reaching the finger's best score.
        float fb = 0.0f;
        std::size_t fe = std::numeric_limits<std::size_t>::max();
        for (std::size_t k = 0; k < ne; ++k) {
          if (!positions_compatible(f.position, d.position[ent[k]])) continue;
          const float s = detail::MatcherAccess::match(m, f.t.data().view(), d.view(ent[k]));
          if (fe == std::numeric_limits<std::size_t>::max() || s > fb) {
            fb = s;
            fe = ent[k];
          }
        }
        c.finger_scores.push_back(fb);
        c.finger_entries.push_back(fe);
      }
      out[p].push_back(std::move(c));
    }
  }
  return out;
}

std::size_t Engine::add(const std::string& subject, std::uint8_t position, const EncodedTemplate& t) {
  std::unique_lock<std::shared_mutex> guard(impl_->lock);
  const std::size_t i = impl_->gallery.add(subject, position, t);
  std::lock_guard<std::mutex> g2(impl_->index_mutex);
  impl_->index_valid = false;
  return i;
}

void Engine::remove(std::size_t index) {
  std::unique_lock<std::shared_mutex> guard(impl_->lock);
  impl_->gallery.remove(index);
  std::lock_guard<std::mutex> g2(impl_->index_mutex);
  impl_->index_valid = false;
}

std::size_t Engine::remove_subject(const std::string& subject) {
  std::unique_lock<std::shared_mutex> guard(impl_->lock);
  const std::size_t n = impl_->gallery.remove_subject(subject);
  std::lock_guard<std::mutex> g2(impl_->index_mutex);
  impl_->index_valid = false;
  return n;
}

void Engine::with_gallery(const std::function<void(const Gallery&)>& f) const {
  std::shared_lock<std::shared_mutex> guard(impl_->lock);
  f(impl_->gallery);
}

}  // namespace fpm
