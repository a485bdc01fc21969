// The C API: every entry point is an exception barrier. Handles are
// registered while alive, so that a destroyed (or never created) handle is
// refused instead of dereferenced.
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <limits>
#include <unordered_map>

#include "fpmatch/fpmatch.h"
#include "fpmatch/fpmatch.hpp"

// Every handle starts with its kind, so that a live handle passed where
// another kind is expected is refused (the registry records kinds too).
enum class HandleKind : unsigned char { Template = 1, Gallery = 2, Engine = 3 };

struct fpm_template_s {
  static constexpr HandleKind kind = HandleKind::Template;
  fpm::Template t;
  mutable std::once_flag once;
  mutable fpm::EncodedTemplate encoded;
  const fpm::EncodedTemplate& enc() const {
    std::call_once(once, [this] { encoded = fpm::encode_cylinders(t); });
    return encoded;
  }
};
struct fpm_gallery_s {
  static constexpr HandleKind kind = HandleKind::Gallery;
  fpm::Gallery g;
};
struct fpm_engine_s {
  static constexpr HandleKind kind = HandleKind::Engine;
  std::unique_ptr<fpm::Engine> e;
};

namespace {

thread_local std::string g_last_error;

const char* kind_name(HandleKind k) {
  switch (k) {
    case HandleKind::Template: return "template";
    case HandleKind::Gallery: return "gallery";
    case HandleKind::Engine: return "engine";
  }
  return "unknown";
}

// Live handles and their kinds. A handle is only dereferenced after the
// registry has confirmed both.
class Registry {
 public:
  void add(const void* p, HandleKind k) {
    std::lock_guard<std::mutex> l(m_);
    live_[p] = k;
  }
  // Removes p if it is live and of kind k; false otherwise (nothing done).
  bool remove(const void* p, HandleKind k) {
    std::lock_guard<std::mutex> l(m_);
    auto it = live_.find(p);
    if (it == live_.end() || it->second != k) return false;
    live_.erase(it);
    return true;
  }
  // The kind of a live handle; false when p is not live.
  bool kind(const void* p, HandleKind* k) {
    std::lock_guard<std::mutex> l(m_);
    auto it = live_.find(p);
    if (it == live_.end()) return false;
    *k = it->second;
    return true;
  }

 private:
  std::mutex m_;
  std::unordered_map<const void*, HandleKind> live_;
};
Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: handles may be released during static teardown
  return *r;
}

struct Failure {
  fpm_status status;
  std::string message;
};

fpm_status fail(fpm_status s, const std::string& msg) {
  g_last_error = msg;
  return s;
}

template <class F>
fpm_status guarded(F&& f) {
  try {
    g_last_error.clear();
    return f();
  } catch (const Failure& e) {
    return fail(e.status, e.message);
  } catch (const fpm::Error& e) {
    return fail(static_cast<fpm_status>(static_cast<int>(e.code())), e.what());
  } catch (const std::bad_alloc&) {
    return fail(FPM_E_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(FPM_E_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(FPM_E_INTERNAL, "internal error: unknown exception");
  }
}

[[noreturn]] void bad(fpm_status s, const std::string& msg) { throw Failure{s, msg}; }

template <class T>
void need(const T* p, const char* what) {
  if (p == nullptr) bad(FPM_E_INVALID_ARGUMENT, std::string(what) + " is NULL");
}
template <class H>
void need_handle(const H* h, const char* what) {
  if (h == nullptr) bad(FPM_E_INVALID_HANDLE, std::string(what) + " is NULL");
  HandleKind k;
  if (!registry().kind(h, &k)) bad(FPM_E_INVALID_HANDLE, std::string(what) + " is not a live handle (destroyed?)");
  if (k != H::kind)
    bad(FPM_E_WRONG_HANDLE_KIND, std::string(what) + " is a " + kind_name(k) + " handle, not a " +
                                     kind_name(H::kind) + " handle");
}
template <class H>
H* adopt(H* h) {
  registry().add(h, H::kind);
  return h;
}
template <class H>
void release(H* h) {
  if (h && registry().remove(h, H::kind)) delete h;
}

// count * capacity elements of `element` bytes each must be addressable:
// refused before the first write otherwise (an overflowing product would
// put one probe's results over another's, or before the array).
void need_output_size(size_t count, size_t capacity, size_t element, const char* what) {
  const size_t max = std::numeric_limits<size_t>::max();
  if (count > 0 && capacity > max / element / count)
    bad(FPM_E_INVALID_ARGUMENT, std::string(what) + ": " + std::to_string(count) + " probes x capacity " +
                                    std::to_string(capacity) + " do not fit in memory");
}

fpm::DecodeOptions decode_options(const fpm_decode_options* o) {
  fpm::DecodeOptions d;
  if (!o) return d;
  if (o->format < FPM_FORMAT_AUTO || o->format > FPM_FORMAT_AN2K)
    bad(FPM_E_INVALID_ARGUMENT, "decode options: unknown format " + std::to_string(o->format));
  d.format = static_cast<fpm::Format>(o->format);
  d.strict = o->strict != 0;
  d.xyt_convention = o->xyt_m1 ? fpm::XytConvention::M1 : fpm::XytConvention::Nist;
  d.xyt_image_width = o->xyt_image_width;
  d.xyt_image_height = o->xyt_image_height;
  d.assume_resolution_ppcm = o->assume_resolution_ppcm;
  return d;
}

fpm_template* new_template(const fpm::DecodedRecord& rec, size_t view) {
  if (view >= rec.views.size())
    bad(FPM_E_INVALID_ARGUMENT, "view " + std::to_string(view) + " asked for; the record has " +
                                    std::to_string(rec.views.size()));
  auto* t = new fpm_template_s;
  t->t = rec.views[view];
  return adopt(t);
}

std::uint8_t position_for(int position, const fpm_template* t) {
  if (position == -1) return static_cast<std::uint8_t>(t->t.info().position);
  if (position < 0 || position > 10) bad(FPM_E_INVALID_ARGUMENT, "finger position must be -1 or 0-10");
  return static_cast<std::uint8_t>(position);
}

fpm::SearchOptions search_options(const fpm_search_options* o, size_t capacity) {
  fpm::SearchOptions s;
  if (o) {
    s.top_k = o->top_k;
    s.min_score = o->min_score;
  }
  if (s.top_k == 0) bad(FPM_E_INVALID_ARGUMENT, "search options: top_k must be at least 1");
  if (s.min_score != s.min_score) bad(FPM_E_INVALID_ARGUMENT, "search options: min_score is NaN");
  if (capacity < s.top_k)
    bad(FPM_E_BUFFER_TOO_SMALL, "capacity " + std::to_string(capacity) + " is below top_k " + std::to_string(s.top_k));
  return s;
}

void copy_subject(char* dst, const std::string& s) {
  const size_t n = std::min<size_t>(s.size(), FPM_SUBJECT_MAX);
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

constexpr size_t kMaxDevices = 1024;

fpm::EngineOptions engine_options(const fpm_engine_options* o) {
  fpm::EngineOptions e;
  if (!o) return e;
  if (o->backend < FPM_BACKEND_AUTO || o->backend > FPM_BACKEND_CUDA)
    bad(FPM_E_INVALID_ARGUMENT, "engine options: unknown backend " + std::to_string(o->backend));
  if (o->threads < 0 || o->threads > fpm::kMaxEngineThreads)
    bad(FPM_E_INVALID_ARGUMENT, "engine options: threads must be 0 (all cores) to " +
                                    std::to_string(fpm::kMaxEngineThreads) + ", not " + std::to_string(o->threads));
  if (o->device_count > 0 && o->devices == nullptr) bad(FPM_E_INVALID_ARGUMENT, "engine options: devices is NULL");
  if (o->device_count > kMaxDevices)
    bad(FPM_E_INVALID_ARGUMENT, "engine options: device_count " + std::to_string(o->device_count) +
                                    " is above " + std::to_string(kMaxDevices));
  e.backend = static_cast<fpm::Backend>(o->backend);
  e.threads = o->threads;
  e.devices.assign(o->devices, o->devices + o->device_count);
  return e;
}

}  // namespace

extern "C" {

const char* fpm_status_string(fpm_status s) {
  // C callers may pass any int: read the value as an int, never as the enum
  // (a value outside the enum's range is undefined behaviour in C++).
  int v = 0;
  static_assert(sizeof v == sizeof s, "fpm_status is int-sized");
  std::memcpy(&v, &s, sizeof v);
  switch (v) {
    case FPM_E_BUFFER_TOO_SMALL: return "buffer too small";
    case FPM_E_INVALID_HANDLE: return "invalid handle";
    case FPM_E_WRONG_HANDLE_KIND: return "wrong handle kind";
    default:
      if (v >= 0 && v <= static_cast<int>(fpm::ErrorCode::OutOfMemory))
        return fpm::error_code_name(static_cast<fpm::ErrorCode>(v));
      return "unknown status";
  }
}

const char* fpm_last_error(void) { return g_last_error.c_str(); }
const char* fpm_version(void) { return fpm::version(); }
int fpm_version_number(void) { return FPM_VERSION_NUMBER; }

void fpm_decode_options_init(fpm_decode_options* o) {
  if (o) *o = fpm_decode_options{FPM_FORMAT_AUTO, 0, 0, 0, 0, 0};
}

fpm_status fpm_record_views(const uint8_t* data, size_t size, const fpm_decode_options* options, size_t* views) {
  return guarded([&] {
    need(data, "data");
    need(views, "views");
    *views = fpm::decode(data, size, decode_options(options)).views.size();
    return FPM_OK;
  });
}

fpm_status fpm_template_decode(const uint8_t* data, size_t size, const fpm_decode_options* options, size_t view,
                               fpm_template** out) {
  return guarded([&] {
    need(data, "data");
    need(out, "out");
    *out = new_template(fpm::decode(data, size, decode_options(options)), view);
    return FPM_OK;
  });
}

fpm_status fpm_template_load(const char* path, const fpm_decode_options* options, size_t view, fpm_template** out) {
  return guarded([&] {
    need(path, "path");
    need(out, "out");
    *out = new_template(fpm::decode_file(path, decode_options(options)), view);
    return FPM_OK;
  });
}

void fpm_template_destroy(fpm_template* t) { release(t); }

fpm_status fpm_template_get_info(const fpm_template* t, fpm_template_info* info) {
  return guarded([&] {
    need_handle(t, "template");
    need(info, "info");
    const fpm::TemplateInfo& i = t->t.info();
    info->minutiae = t->t.size();
    info->position = static_cast<int>(i.position);
    info->width = i.width;
    info->height = i.height;
    info->quality = i.finger_quality;
    return FPM_OK;
  });
}

fpm_status fpm_template_encode(const fpm_template* t, int format, uint8_t* buffer, size_t capacity, size_t* size) {
  return guarded([&] {
    need_handle(t, "template");
    need(size, "size");
    if (format != FPM_FORMAT_ISO2005 && format != FPM_FORMAT_ANSI2004 && format != FPM_FORMAT_XYT)
      bad(FPM_E_INVALID_ARGUMENT, "encode: format must be FPM_FORMAT_ISO2005, FPM_FORMAT_ANSI2004 or FPM_FORMAT_XYT");
    const std::vector<std::uint8_t> bytes = fpm::encode({t->t}, static_cast<fpm::Format>(format));
    *size = bytes.size();
    if (buffer == nullptr || capacity < bytes.size())
      bad(FPM_E_BUFFER_TOO_SMALL, "encode: " + std::to_string(bytes.size()) + " bytes needed");
    if (!bytes.empty()) std::memcpy(buffer, bytes.data(), bytes.size());  // an empty .xyt has no bytes
    return FPM_OK;
  });
}

fpm_status fpm_verify(const fpm_template* a, const fpm_template* b, float* score, double* fmr) {
  return guarded([&] {
    need_handle(a, "template a");
    need_handle(b, "template b");
    need(score, "score");
    *score = fpm::match(a->enc(), b->enc());
    if (fmr) *fmr = fpm::false_match_rate(*score).fmr;
    return FPM_OK;
  });
}

fpm_status fpm_threshold_for_fmr(double fmr, float* threshold) {
  return guarded([&] {
    need(threshold, "threshold");
    try {
      *threshold = fpm::threshold_for_fmr(fmr);
    } catch (const fpm::Error& e) {
      bad(FPM_E_OUT_OF_RANGE, e.what());
    }
    return FPM_OK;
  });
}

fpm_status fpm_false_match_rate(float score, double* fmr) { return fpm_fmr_estimate(score, fmr, nullptr); }

fpm_status fpm_fmr_estimate(float score, double* fmr, int* upper_bound) {
  return guarded([&] {
    need(fmr, "fmr");
    const fpm::FmrEstimate e = fpm::false_match_rate(score);
    *fmr = e.fmr;
    if (upper_bound) *upper_bound = e.upper_bound ? 1 : 0;
    return FPM_OK;
  });
}

fpm_status fpm_gallery_create(fpm_gallery** out) {
  return guarded([&] {
    need(out, "out");
    *out = adopt(new fpm_gallery_s);
    return FPM_OK;
  });
}

fpm_status fpm_gallery_load(const char* path, fpm_gallery** out) {
  return guarded([&] {
    need(path, "path");
    need(out, "out");
    auto* g = new fpm_gallery_s;
    try {
      g->g = fpm::Gallery::load(path);
    } catch (...) {
      delete g;
      throw;
    }
    *out = adopt(g);
    return FPM_OK;
  });
}

fpm_status fpm_gallery_save(const fpm_gallery* g, const char* path) {
  return guarded([&] {
    need_handle(g, "gallery");
    need(path, "path");
    g->g.save(path);
    return FPM_OK;
  });
}

void fpm_gallery_destroy(fpm_gallery* g) { release(g); }

fpm_status fpm_gallery_add(fpm_gallery* g, const char* subject, int position, const fpm_template* t, size_t* index) {
  return guarded([&] {
    need_handle(g, "gallery");
    need(subject, "subject");
    need_handle(t, "template");
    const size_t i = g->g.add(subject, position_for(position, t), t->enc());
    if (index) *index = i;
    return FPM_OK;
  });
}

fpm_status fpm_gallery_remove(fpm_gallery* g, size_t index) {
  return guarded([&] {
    need_handle(g, "gallery");
    g->g.remove(index);
    return FPM_OK;
  });
}

fpm_status fpm_gallery_remove_subject(fpm_gallery* g, const char* subject, size_t* removed) {
  return guarded([&] {
    need_handle(g, "gallery");
    need(subject, "subject");
    const size_t n = g->g.remove_subject(subject);
    if (removed) *removed = n;
    return FPM_OK;
  });
}

fpm_status fpm_gallery_counts(const fpm_gallery* g, size_t* entries, size_t* live, size_t* subjects) {
  return guarded([&] {
    need_handle(g, "gallery");
    if (entries) *entries = g->g.size();
    if (live) *live = g->g.live_size();
    if (subjects) *subjects = g->g.subjects();
    return FPM_OK;
  });
}

void fpm_engine_options_init(fpm_engine_options* o) {
  if (o) *o = fpm_engine_options{FPM_BACKEND_AUTO, 0, nullptr, 0};
}

fpm_status fpm_engine_create(const fpm_gallery* gallery, const fpm_engine_options* options, fpm_engine** out) {
  return guarded([&] {
    need_handle(gallery, "gallery");
    need(out, "out");
    const fpm::EngineOptions eo = engine_options(options);
    auto* e = new fpm_engine_s;
    try {
      e->e = std::make_unique<fpm::Engine>(gallery->g, eo);
    } catch (...) {
      delete e;
      throw;
    }
    *out = adopt(e);
    return FPM_OK;
  });
}

fpm_status fpm_engine_load(const char* path, const fpm_engine_options* options, fpm_engine** out) {
  return guarded([&] {
    need(path, "path");
    need(out, "out");
    const fpm::EngineOptions eo = engine_options(options);
    auto* e = new fpm_engine_s;
    try {
      e->e = std::make_unique<fpm::Engine>(fpm::Gallery::load(path), eo);
    } catch (...) {
      delete e;
      throw;
    }
    *out = adopt(e);
    return FPM_OK;
  });
}

void fpm_engine_destroy(fpm_engine* e) { release(e); }

fpm_status fpm_engine_backend(const fpm_engine* e, int* backend) {
  return guarded([&] {
    need_handle(e, "engine");
    need(backend, "backend");
    *backend = static_cast<int>(e->e->backend());
    return FPM_OK;
  });
}

fpm_status fpm_engine_fallback_reason(const fpm_engine* e, char* buffer, size_t capacity, size_t* length) {
  return guarded([&] {
    need_handle(e, "engine");
    need(length, "length");
    const std::string why = e->e->fallback_reason();
    *length = why.size();
    if (buffer == nullptr || capacity <= why.size())
      bad(FPM_E_BUFFER_TOO_SMALL, "fallback reason: " + std::to_string(why.size() + 1) + " bytes needed");
    std::memcpy(buffer, why.c_str(), why.size() + 1);
    return FPM_OK;
  });
}

fpm_status fpm_engine_add(fpm_engine* e, const char* subject, int position, const fpm_template* t, size_t* index) {
  return guarded([&] {
    need_handle(e, "engine");
    need(subject, "subject");
    need_handle(t, "template");
    const size_t i = e->e->add(subject, position_for(position, t), t->enc());
    if (index) *index = i;
    return FPM_OK;
  });
}

fpm_status fpm_engine_remove(fpm_engine* e, size_t index) {
  return guarded([&] {
    need_handle(e, "engine");
    e->e->remove(index);
    return FPM_OK;
  });
}

void fpm_search_options_init(fpm_search_options* o) {
  if (o) *o = fpm_search_options{10, 0.0f};
}

fpm_status fpm_engine_search(fpm_engine* e, const fpm_template* const* probes, size_t count,
                             const fpm_search_options* options, fpm_candidate* out, size_t capacity, size_t* found) {
  return guarded([&] {
    need_handle(e, "engine");
    if (count > 0) {
      need(probes, "probes");
      need(out, "out");
      need(found, "found");
    }
    const fpm::SearchOptions so = search_options(options, capacity);
    need_output_size(count, capacity, sizeof(fpm_candidate), "search");
    std::vector<fpm::EncodedTemplate> ps;
    for (size_t i = 0; i < count; ++i) {
      need_handle(probes[i], "probe");
      ps.push_back(probes[i]->enc());
    }
    const auto res = e->e->search(ps, so);
    for (size_t p = 0; p < count; ++p) {
      found[p] = res[p].size();
      for (size_t i = 0; i < res[p].size(); ++i) {
        fpm_candidate& c = out[p * capacity + i];
        c.index = res[p][i].index;
        copy_subject(c.subject, res[p][i].subject);
        c.position = res[p][i].position;
        c.score = res[p][i].score;
      }
    }
    return FPM_OK;
  });
}

}  // extern "C"

namespace {

// The per-subject probes of the C call, checked (shared by both per-subject searches).
std::vector<std::vector<fpm::FingerProbe>> subject_probes(const fpm_finger* fingers, const size_t* fingers_per_probe,
                                                          size_t count) {
  if (count > 0) {
    need(fingers, "fingers");
    need(fingers_per_probe, "fingers_per_probe");
  }
  std::vector<std::vector<fpm::FingerProbe>> ps(count);
  size_t k = 0;
  for (size_t p = 0; p < count; ++p) {
    if (fingers_per_probe[p] == 0) bad(FPM_E_INVALID_ARGUMENT, "probe " + std::to_string(p) + " has no fingers");
    if (fingers_per_probe[p] > std::numeric_limits<size_t>::max() / sizeof(fpm_finger) - k)
      bad(FPM_E_INVALID_ARGUMENT, "search_subjects: the fingers of the probes add up past the address space");
    for (size_t f = 0; f < fingers_per_probe[p]; ++f, ++k) {
      need_handle(fingers[k].t, "finger template");
      if (fingers[k].position < 0 || fingers[k].position > 10)
        bad(FPM_E_INVALID_ARGUMENT, "finger position must be 0-10");
      ps[p].push_back({fingers[k].t->enc(), static_cast<std::uint8_t>(fingers[k].position)});
    }
  }
  return ps;
}

}  // namespace

extern "C" {

fpm_status fpm_engine_search_subjects(fpm_engine* e, const fpm_finger* fingers, const size_t* fingers_per_probe,
                                      size_t count, const fpm_search_options* options, fpm_subject_candidate* out,
                                      size_t capacity, size_t* found) {
  return guarded([&] {
    need_handle(e, "engine");
    if (count > 0) {
      need(out, "out");
      need(found, "found");
    }
    const fpm::SearchOptions so = search_options(options, capacity);
    need_output_size(count, capacity, sizeof(fpm_subject_candidate), "search_subjects");
    const auto res = e->e->search_subjects(subject_probes(fingers, fingers_per_probe, count), so);
    for (size_t p = 0; p < count; ++p) {
      found[p] = res[p].size();
      for (size_t i = 0; i < res[p].size(); ++i) {
        copy_subject(out[p * capacity + i].subject, res[p][i].subject);
        out[p * capacity + i].score = res[p][i].score;
      }
    }
    return FPM_OK;
  });
}

fpm_status fpm_modelled_fmr(float score, double* fmr) {
  return guarded([&] {
    need(fmr, "fmr");
    *fmr = fpm::modelled_fmr(score);
    return FPM_OK;
  });
}

fpm_status fpm_fpir_at(double fmr, size_t subjects, double* fpir) {
  return guarded([&] {
    need(fpir, "fpir");
    *fpir = fpm::fpir_at(fmr, subjects);
    return FPM_OK;
  });
}

fpm_status fpm_engine_search_subjects_at_fpir(fpm_engine* e, const fpm_finger* fingers,
                                              const size_t* fingers_per_probe, size_t count,
                                              const fpm_search_options* options, double target_fpir,
                                              fpm_subject_decision* out, size_t capacity, size_t* found, int* hit) {
  return guarded([&] {
    need_handle(e, "engine");
    if (!(target_fpir > 0.0 && target_fpir < 1.0)) bad(FPM_E_INVALID_ARGUMENT, "target_fpir must be in (0, 1)");
    if (count > 0) {
      need(out, "out");
      need(found, "found");
      need(hit, "hit");
    }
    const fpm::SearchOptions so = search_options(options, capacity);
    need_output_size(count, capacity, sizeof(fpm_subject_decision), "search_subjects_at_fpir");
    const auto probes = subject_probes(fingers, fingers_per_probe, count);
    const auto res = e->e->search_subjects(probes, so);
    const auto decisions = fpm::decide_subjects_at_fpir(*e->e, probes, res, target_fpir);
    for (size_t p = 0; p < count; ++p) {
      const fpm::IdentificationDecision& d = decisions[p];
      found[p] = res[p].size();
      hit[p] = d.hit ? 1 : 0;
      for (size_t i = 0; i < res[p].size(); ++i) {
        fpm_subject_decision& o = out[p * capacity + i];
        copy_subject(o.subject, res[p][i].subject);
        o.score = res[p][i].score;
        o.evidence = d.evidence[i].evidence;
        o.subject_fmr = d.evidence[i].fmr;
        o.fpir = d.fpir[i];
        o.hit = d.evidence[i].fmr <= d.fmr_threshold ? 1 : 0;
      }
    }
    return FPM_OK;
  });
}

}  // extern "C"
