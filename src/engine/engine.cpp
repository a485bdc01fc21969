// fpm::Engine: gallery ownership, locking, and the choice of backend (the
// CPU one in src/cpu/cpu_search.hpp, CUDA behind engine/device_search.hpp)
// with Backend::Auto's fallback from the devices to the CPU.
#include "fpmatch/engine.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <numeric>
#include <cmath>
#include <shared_mutex>  // std::shared_lock
#include <thread>

#include "cpu/cpu_search.hpp"
#include "access.hpp"
#include "cpu/thread_pool.hpp"
#include "engine/device_search.hpp"
#include "engine/top_k.hpp"
#include "fpmatch/error.hpp"
#include "fpmatch/runtime.hpp"
#include "gallery/gallery_data.hpp"
#include "mcc/encoded.hpp"
#include "util/writer_preferring_mutex.hpp"

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
  // Cuda while `device` serves the searches. Backend::Auto turns it to Cpu
  // for good when a re-upload after add() no longer fits the devices or no
  // listed device is left working.
  mutable std::atomic<Backend> backend{Backend::Cpu};
  SimdLevel simd = SimdLevel::Scalar;
  std::unique_ptr<detail::ThreadPool> pool;
  unsigned threads = 1;
  // Searches share it; add/remove take it alone, ahead of searches that
  // arrive after them (a writer waits at most for the searches running).
  mutable detail::WriterPreferringMutex lock;
  mutable std::atomic<std::uint64_t> comparisons{0};

  // Subject -> live entries (CSR), subjects by name; rebuilt after changes.
  mutable std::mutex index_mutex;
  mutable bool index_valid = false;
  mutable detail::SubjectIndex index;

  // The device backend, when in use; rebuilt (re-uploaded) after changes.
  // Searches hold it too: one that finds a device failed drops the engine's
  // reference (Backend::Auto) while others may still be using it.
  mutable std::shared_ptr<detail::SearchBackend> device;
  mutable bool device_valid = false;
  // The devices the device backend uses: those listed (device 0 when none
  // is), less those that failed under Backend::Auto. Under device_mutex.
  mutable std::vector<int> devices;
  // Why Backend::Auto left devices out or runs on the CPU; empty otherwise.
  // Under device_mutex.
  mutable std::string fallback_reason;

  void note_locked(const std::string& why) const {
    fallback_reason += (fallback_reason.empty() ? "" : "; ") + why;
  }

  // Backend::Auto stops using `device`, which failed with `what`.
  void leave_out_locked(int device, const std::string& what) const {
    devices.erase(std::remove(devices.begin(), devices.end(), device), devices.end());
    note_locked("device " + std::to_string(device) + " left out: " + what);
  }

  // The device backend over `devices` (device_mutex held, or in the
  // constructor), or nullptr with the reason in *why when CUDA cannot serve
  // (not built, no device, too little memory). Backend::Auto carries on
  // without a device that fails and gives up when none is left;
  // Backend::Cuda reports the failure.
  std::shared_ptr<detail::SearchBackend> build_device_locked(std::string* why) const {
    for (;;) {
      try {
        return detail::make_cuda_search(detail::Access::data(gallery), index, devices, options.progress, why);
      } catch (const detail::DeviceFailure& f) {
        if (options.backend != Backend::Auto) throw Error(f.code(), f.what());
        const bool listed = std::find(devices.begin(), devices.end(), f.device()) != devices.end();
        if (!listed || devices.size() == 1) {
          *why = f.what();
          return nullptr;
        }
        leave_out_locked(f.device(), f.what());
      } catch (const Error& e) {
        if (!auto_falls_back(e)) throw;
        *why = e.what();
        return nullptr;
      }
    }
  }

  // Whether Backend::Auto carries on on the CPU after this error of the
  // device backend: any but a refused argument (which the CPU would refuse
  // too, or which names a limit of the device path, docs/cuda.md).
  bool auto_falls_back(const Error& e) const {
    return options.backend == Backend::Auto && e.code() != ErrorCode::InvalidArgument;
  }

  // Backend::Auto leaves the devices for good (device_mutex held). Device
  // memory is released when the last search using it ends.
  void to_cpu_locked(const std::string& why) const {
    backend.store(Backend::Cpu);
    device.reset();
    device_valid = false;
    note_locked(why);
  }

  // A search's device backend failed with `e` (Backend::Auto); the search is
  // run again on the CPU. A device that failed is left out: the next search
  // re-uploads the gallery over the others, or, when none is left (or the
  // failure names no device), the engine moves to the CPU.
  void device_failed(const Error& e) const {
    std::lock_guard<std::mutex> guard(device_mutex);
    if (backend.load() != Backend::Cuda) return;
    const auto* f = dynamic_cast<const detail::DeviceFailure*>(&e);
    const bool listed = f != nullptr && std::find(devices.begin(), devices.end(), f->device()) != devices.end();
    if (f != nullptr && !listed) return;  // left out already, by a search that met the same failure
    if (listed && devices.size() > 1) {
      leave_out_locked(f->device(), e.what());
      device.reset();
      device_valid = false;
      return;
    }
    to_cpu_locked(std::string("a CUDA device failed: ") + e.what());
  }

  // A search's device error: Backend::Auto goes on (device_failed), others
  // get it as an fpm::Error.
  void device_error(const Error& e) const {
    if (!auto_falls_back(e)) {
      if (dynamic_cast<const detail::DeviceFailure*>(&e) != nullptr) throw Error(e.code(), e.what());
      throw;
    }
    device_failed(e);
  }

  void build_subject_index() const {
    std::lock_guard<std::mutex> guard(index_mutex);
    if (index_valid) return;
    const Gallery::Data& d = detail::Access::data(gallery);
    std::vector<std::uint32_t> by_name(d.subject_names.size());
    std::iota(by_name.begin(), by_name.end(), 0u);
    std::sort(by_name.begin(), by_name.end(),
              [&](std::uint32_t a, std::uint32_t b) { return d.subject_names[a] < d.subject_names[b]; });
    std::vector<std::vector<std::uint32_t>> lists(d.subject_names.size());
    for (std::size_t e = 0; e < d.size(); ++e)
      if (!d.removed(e)) lists[d.subject[e]].push_back(static_cast<std::uint32_t>(e));
    index.subject_list.clear();
    index.subject_offset.assign(1, 0);
    index.subject_entries.clear();
    for (std::uint32_t s : by_name) {
      if (lists[s].empty()) continue;
      index.subject_list.push_back(s);
      index.subject_entries.insert(index.subject_entries.end(), lists[s].begin(), lists[s].end());
      index.subject_offset.push_back(index.subject_entries.size());
    }
    index_valid = true;
  }

  // The device backend for a search, or nullptr when the search is to run
  // on the CPU. Called with the shared lock held: one search rebuilds (re-
  // uploads) the device copy, the others wait. Under Backend::Auto a device
  // copy that no longer fits, or no device left working, move the engine to
  // the CPU; under Backend::Cuda they are errors.
  std::shared_ptr<detail::SearchBackend> device_search() const {
    if (backend.load() != Backend::Cuda) return nullptr;
    std::lock_guard<std::mutex> guard(device_mutex);
    if (backend.load() != Backend::Cuda) return nullptr;
    if (!device_valid) {
      build_subject_index();
      device.reset();
      std::string why;
      device = build_device_locked(&why);
      if (!device) {
        if (options.backend == Backend::Auto) {
          to_cpu_locked(why);
          return nullptr;
        }
        throw Error(ErrorCode::Unavailable, "engine: the CUDA backend became unavailable: " + why);
      }
      device_valid = true;
    }
    return device;
  }
  mutable std::mutex device_mutex;

  // f(backend, &comparisons) on the device backend when the engine uses
  // one, else (or after a device failure under Backend::Auto) on the CPU.
  // Called with the shared lock held.
  template <class F>
  std::vector<detail::TopK> run(F&& f) const {
    if (const auto device = device_search()) {
      std::uint64_t n = 0;
      try {
        std::vector<detail::TopK> hits = f(*device, &n);
        comparisons += n;
        return hits;
      } catch (const Error& e) {
        device_error(e);  // Backend::Auto: on to the CPU below
      }
    }
    detail::CpuSearch cpu(detail::Access::data(gallery), index, simd, *pool, threads);
    std::uint64_t n = 0;
    std::vector<detail::TopK> hits = f(cpu, &n);
    comparisons += n;
    return hits;
  }

  // Under the exclusive engine lock: no search runs.
  void invalidate() {
    {
      std::lock_guard<std::mutex> g(index_mutex);
      index_valid = false;
    }
    std::lock_guard<std::mutex> g(device_mutex);
    device_valid = false;
  }
};

Engine::Engine(Gallery gallery, const EngineOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->gallery = std::move(gallery);
  impl_->options = options;
  if (options.threads < 0 || options.threads > kMaxEngineThreads)
    throw Error(ErrorCode::InvalidArgument, "engine: threads must be 0 (all cores) to " +
                                                std::to_string(kMaxEngineThreads) + ", not " +
                                                std::to_string(options.threads));
  impl_->simd = cpu_resolve(options.simd);
  if (options.backend != Backend::Cpu) {
    impl_->build_subject_index();
    impl_->devices = options.devices.empty() ? std::vector<int>{0} : options.devices;
    // A gallery too large for the devices, or no device left that takes it:
    // Backend::Auto uses the CPU.
    std::string why;
    impl_->device = impl_->build_device_locked(&why);
    if (impl_->device) {
      impl_->device_valid = true;
      impl_->backend = Backend::Cuda;
    } else if (options.backend == Backend::Cuda) {
      throw Error(ErrorCode::Unavailable, "engine: Backend::Cuda is not usable: " + why);
    } else {
      impl_->note_locked(why);
    }
  }
  unsigned n = options.threads > 0 ? static_cast<unsigned>(options.threads)
                                   : std::max(1u, std::thread::hardware_concurrency());
  impl_->threads = n;
  impl_->pool = std::make_unique<detail::ThreadPool>(n - 1);  // the caller is the n-th
}

Engine::~Engine() = default;

Backend Engine::backend() const noexcept { return impl_->backend.load(); }
std::string Engine::fallback_reason() const {
  std::lock_guard<std::mutex> guard(impl_->device_mutex);
  return impl_->fallback_reason;
}
std::size_t Engine::threads() const noexcept { return impl_->threads; }
std::uint64_t Engine::comparisons() const noexcept { return impl_->comparisons.load(); }

namespace {

void check_options(const SearchOptions& o, const char* what) {
  const std::string w = what;
  if (o.top_k == 0) throw Error(ErrorCode::InvalidArgument, w + ": top_k must be at least 1");
  if (std::isnan(o.min_score)) throw Error(ErrorCode::InvalidArgument, w + ": min_score is NaN");
  if (!(o.shortlist_fraction >= 0.0 && o.shortlist_fraction <= 1.0))
    throw Error(ErrorCode::InvalidArgument,
                w + ": shortlist_fraction must be in [0, 1] (0: no fraction), not " + std::to_string(o.shortlist_fraction));
  if (o.shortlist != 0 && o.shortlist_fraction != 0.0)
    throw Error(ErrorCode::InvalidArgument, w + ": give the shortlist as a count or as a fraction, not both");
}

// The shortlist asked for at n live entries (subjects), before top_k and n
// bound it: the count, or the fraction of n rounded up.
std::size_t requested_shortlist(const SearchOptions& o, std::size_t n) {
  if (o.shortlist_fraction > 0.0) return static_cast<std::size_t>(std::ceil(o.shortlist_fraction * static_cast<double>(n)));
  return o.shortlist;
}

// With a shortlist filter: M capped at the n live entries (subjects) rather
// than turned exhaustive, so that stage 1 and the filter always run.
std::size_t filtered_shortlist_size(const SearchOptions& o, std::size_t n) {
  return std::min(std::max(requested_shortlist(o, n), o.top_k), n);
}

bool filtered(const SearchOptions& o) {
  return o.shortlist_filter && (o.shortlist != 0 || o.shortlist_fraction > 0.0);
}

// A filtered search with nothing to shortlist still calls the filter, with
// one empty list per probe.
void call_filter_empty(const SearchOptions& o, std::size_t probes) {
  std::vector<std::vector<ShortlistEntry>> lists(probes);
  o.shortlist_filter(lists);
}

}  // namespace

std::size_t shortlist_size(const SearchOptions& o, std::size_t n) noexcept {
  const std::size_t m = requested_shortlist(o, n);
  if (m == 0) return 0;
  const std::size_t kept = std::max(m, o.top_k);
  return kept >= n ? 0 : kept;
}

std::vector<std::vector<Candidate>> Engine::search(const std::vector<EncodedTemplate>& probes,
                                                   const SearchOptions& options) const {
  check_options(options, "search");
  std::shared_lock<detail::WriterPreferringMutex> guard(impl_->lock);
  const Gallery::Data& d = detail::Access::data(impl_->gallery);
  const std::size_t E = d.size(), P = probes.size();
  std::vector<std::vector<Candidate>> out(P);
  const bool filter = filtered(options);
  if (P == 0 || E == 0 || (filter && d.live == 0)) {
    if (filter) call_filter_empty(options, P);
    return out;
  }
  std::vector<mcc::CylinderSetView> views(P);
  for (std::size_t p = 0; p < P; ++p) views[p] = detail::Access::data(probes[p]).view();
  std::vector<detail::TopK> hits;
  if (filter) {
    detail::CpuSearch cpu(d, impl_->index, impl_->simd, *impl_->pool, impl_->threads, &options.shortlist_filter);
    std::uint64_t n = 0;
    hits = cpu.search(views, options.top_k, options.min_score, filtered_shortlist_size(options, d.live), &n);
    impl_->comparisons += n;
  } else {
    const std::size_t shortlist = shortlist_size(options, d.live);
    hits = impl_->run([&](detail::SearchBackend& b, std::uint64_t* n) {
      return b.search(views, options.top_k, options.min_score, shortlist, n);
    });
  }
  for (std::size_t p = 0; p < P; ++p)
    for (const detail::Hit& h : hits[p].sorted())
      out[p].push_back({h.key, d.subject_names[d.subject[h.key]], d.position[h.key], h.score});
  return out;
}

std::vector<std::vector<SubjectCandidate>> Engine::search_subjects(
    const std::vector<std::vector<FingerProbe>>& probes, const SearchOptions& options) const {
  check_options(options, "search_subjects");
  for (const auto& p : probes) {
    if (p.empty()) throw Error(ErrorCode::InvalidArgument, "search_subjects: a probe without fingers");
    for (const FingerProbe& f : p)
      if (f.position > 10) throw Error(ErrorCode::InvalidArgument, "search_subjects: finger position above 10");
  }
  std::shared_lock<detail::WriterPreferringMutex> guard(impl_->lock);
  impl_->build_subject_index();
  const Gallery::Data& d = detail::Access::data(impl_->gallery);
  const detail::SubjectIndex& index = impl_->index;
  const std::size_t S = index.subject_list.size(), P = probes.size();
  std::vector<std::vector<SubjectCandidate>> out(P);
  const bool filter = filtered(options);
  if (P == 0 || S == 0) {
    if (filter) call_filter_empty(options, P);
    return out;
  }
  std::vector<std::vector<detail::FingerView>> fv(P);
  for (std::size_t p = 0; p < P; ++p)
    for (const FingerProbe& f : probes[p]) fv[p].push_back({detail::Access::data(f.t).view(), f.position});
  std::vector<detail::TopK> hits;
  if (filter) {
    detail::CpuSearch cpu(d, index, impl_->simd, *impl_->pool, impl_->threads, &options.shortlist_filter);
    std::uint64_t n = 0;
    hits = cpu.search_subjects(fv, options.top_k, options.min_score, filtered_shortlist_size(options, S), &n);
    impl_->comparisons += n;
  } else {
    const std::size_t shortlist = shortlist_size(options, S);
    hits = impl_->run([&](detail::SearchBackend& b, std::uint64_t* n) {
      return b.search_subjects(fv, options.top_k, options.min_score, shortlist, n);
    });
  }
  // The per-finger details of the winners, recomputed on the CPU (a few
  // comparisons; every backend's scores are the CPU's).
  Matcher& m = detail::thread_matcher(impl_->simd);
  for (std::size_t p = 0; p < P; ++p) {
    for (const detail::Hit& h : hits[p].sorted()) {
      SubjectCandidate c;
      c.subject = d.subject_names[index.subject_list[h.key]];
      c.score = h.score;
      const std::uint32_t* ent = index.subject_entries.data() + index.subject_offset[h.key];
      const std::size_t ne = index.subject_offset[h.key + 1] - index.subject_offset[h.key];
      for (const detail::FingerView& f : fv[p]) {
        // The first entry (smallest index) reaching the finger's best score.
        float fb = 0.0f;
        std::size_t fe = std::numeric_limits<std::size_t>::max();
        for (std::size_t k = 0; k < ne; ++k) {
          if (!detail::positions_compatible(f.position, d.position[ent[k]])) continue;
          const float s = detail::Access::match(m, f.view, d.view(ent[k]));
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
  std::unique_lock<detail::WriterPreferringMutex> guard(impl_->lock);
  const std::size_t i = impl_->gallery.add(subject, position, t);
  impl_->invalidate();
  return i;
}

void Engine::remove(std::size_t index) {
  std::unique_lock<detail::WriterPreferringMutex> guard(impl_->lock);
  impl_->gallery.remove(index);
  impl_->invalidate();
}

std::size_t Engine::remove_subject(const std::string& subject) {
  std::unique_lock<detail::WriterPreferringMutex> guard(impl_->lock);
  const std::size_t n = impl_->gallery.remove_subject(subject);
  impl_->invalidate();
  return n;
}

void Engine::with_gallery(const std::function<void(const Gallery&)>& f) const {
  std::shared_lock<detail::WriterPreferringMutex> guard(impl_->lock);
  f(impl_->gallery);
}

}  // namespace fpm
