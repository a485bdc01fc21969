// The `capi` fuzz target: an interpreter that reads its input as a sequence
// of C API calls (at most kMaxOps), with their handles, sizes and options
// taken from the bytes, and checks the documented contract after each call
// (include/fpmatch/fpmatch.h, docs/api.md):
//   - the status is one the call may give for its arguments: a handle of
//     another live kind gives FPM_E_WRONG_HANDLE_KIND, NULL or a destroyed
//     handle FPM_E_INVALID_HANDLE, count * capacity past size_t
//     FPM_E_INVALID_ARGUMENT, and so on (when several reasons apply, any one
//     of them); a failure leaves the outputs as they were and sets a message;
//   - what succeeds is right: counts, indices, subjects and positions as a
//     model of every gallery and engine says, search results equal to the
//     top-k of fpm_verify scores (subject search: their per-subject mean),
//     sorted, within [0, 1]; calibration answers consistent with each other;
//     records encoded decode back.
// A violated check aborts (a libFuzzer finding). The harness only ever gives
// the library buffers as large as the capacities it states, except where the
// documented overflow rule obliges the library to refuse the call (those
// buffers hold one element, so that a write is caught by ASan).
//
// State: a few templates decoded once per process (kept: their cylinders are
// computed once), and per input a pool of templates, galleries and engines
// (CPU, a few threads at most), all destroyed at the end of the input, plus
// gallery files in one temporary folder per process (emptied per input,
// removed at exit).
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "fpmatch/fpmatch.h"
#include "targets.hpp"

namespace fpm_fuzz {

namespace {

constexpr std::size_t kMaxOps = 64;
constexpr std::size_t kMaxTemplateCreations = 8;  // per input: each new template is encoded once (~ms)
constexpr std::size_t kMaxLiveTemplates = 6;
constexpr std::size_t kMaxGalleries = 3;
constexpr std::size_t kMaxEngines = 3;
constexpr std::size_t kMaxEngineCreations = 5;
constexpr std::size_t kMaxEntries = 10;  // per gallery or engine
constexpr std::size_t kMaxSaves = 4;
constexpr std::size_t kMaxLoads = 6;
constexpr std::size_t kSlots = 3;  // gallery files g0.fpg .. g2.fpg
constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();

enum class Kind { Template, Gallery, Engine };

// ---- findings -------------------------------------------------------------

std::vector<std::string>* g_trace = nullptr;  // the calls of the current input
void remove_dir();
std::string g_context;  // the arguments of the call being checked, where they help (records)

[[noreturn]] void violated(const std::string& what) {
  std::fprintf(stderr, "fuzz finding (capi): %s\n", what.c_str());
  if (!g_context.empty()) std::fprintf(stderr, "arguments: %s\n", g_context.c_str());
  std::fprintf(stderr, "calls of this input:\n");
  if (g_trace)
    for (const std::string& s : *g_trace) std::fprintf(stderr, "  %s\n", s.c_str());
  remove_dir();  // (abort skips atexit)
  std::abort();
}
void require(bool ok, const char* call, const char* what) {
  if (!ok) violated(std::string(call) + ": " + what);
}

// A search's output buffers (`real` candidates, a count per probe), filled
// with what no search writes (bytes 0x5a, counts kMax - 2), so that a
// write on a failure shows.
template <class Candidate>
struct SearchOutputs {
  SearchOutputs(std::size_t real, std::size_t probes) : out(real), found(std::max<std::size_t>(probes, 1), kMax - 2) {
    std::memset(out.data(), 0x5a, out.size() * sizeof(Candidate));
  }
  // After `call` failed: neither the counts nor the candidates written.
  void require_untouched(const char* call) const {
    for (std::size_t f : found) require(f == kMax - 2, call, "wrote found[] on a failure");
    const auto* b = reinterpret_cast<const unsigned char*>(out.data());
    for (std::size_t i = 0; i < out.size() * sizeof(Candidate); ++i)
      require(b[i] == 0x5a, call, "wrote candidates on a failure");
  }
  std::vector<Candidate> out;
  std::vector<std::size_t> found;
};

// Statuses a call may give: the reasons its arguments give to fail (any one
// of them, when several), or FPM_OK when there are none, plus statuses the
// library may give in either case (an encoder's refusal, a missing device).
struct Expect {
  std::uint32_t reasons = 0;
  std::uint32_t also = 0;
  void fail(fpm_status s) { reasons |= 1u << s; }
  void may(fpm_status s) { also |= 1u << s; }
  void handle(fpm_status s) {
    if (s != FPM_OK) fail(s);
  }
  bool clean() const { return reasons == 0; }
  bool allows(fpm_status s) const {
    if (s < 0 || s > FPM_E_WRONG_HANDLE_KIND) return false;
    const std::uint32_t allowed = (clean() ? 1u << FPM_OK : reasons) | also;
    return (allowed >> s & 1u) != 0;
  }
};

std::string mask_names(std::uint32_t m) {
  std::string s;
  for (int i = 0; i <= FPM_E_WRONG_HANDLE_KIND; ++i)
    if (m >> i & 1u) s += std::string(s.empty() ? "" : ", ") + fpm_status_string(static_cast<fpm_status>(i));
  return s;
}

void check_status(const char* call, fpm_status got, const Expect& e) {
  if (g_trace) g_trace->push_back(std::string(call) + " -> " + fpm_status_string(got));
  if (!e.allows(got)) {
    const std::uint32_t allowed = (e.clean() ? 1u << FPM_OK : e.reasons) | e.also;
    violated(std::string(call) + " returned " + std::to_string(static_cast<int>(got)) + " (" +
             fpm_status_string(got) + "), allowed: " + mask_names(allowed) + "; last error: " + fpm_last_error());
  }
  if (got != FPM_OK) {
    const char* msg = fpm_last_error();
    require(msg != nullptr && msg[0] != '\0', call, "failed without a message in fpm_last_error()");
  }
}

std::string describe(const std::vector<std::uint8_t>& b, const fpm_decode_options* o) {
  std::string s = std::to_string(b.size()) + " bytes:";
  char x[4];
  for (std::uint8_t c : b) {
    std::snprintf(x, sizeof x, " %02x", c);
    s += x;
  }
  if (o)
    s += "; options: format " + std::to_string(o->format) + ", strict " + std::to_string(o->strict) + ", xyt_m1 " +
         std::to_string(o->xyt_m1) + ", xyt_image_width " + std::to_string(o->xyt_image_width) +
         ", xyt_image_height " + std::to_string(o->xyt_image_height) + ", assume_resolution_ppcm " +
         std::to_string(o->assume_resolution_ppcm);
  else
    s += "; options NULL";
  return s;
}

// ---- input ----------------------------------------------------------------

struct Src {
  const std::uint8_t* d;
  std::size_t n, i = 0;
  bool empty() const { return i >= n; }
  std::uint8_t u8() { return i < n ? d[i++] : 0; }
  // (Each byte read in its own statement: the order is the same with every compiler.)
  std::uint16_t u16() {
    const unsigned lo = u8();
    return static_cast<std::uint16_t>(lo | static_cast<unsigned>(u8()) << 8);
  }
  std::uint32_t u32() {
    const std::uint32_t lo = u16();
    return lo | static_cast<std::uint32_t>(u16()) << 16;
  }
  std::uint64_t u64() {
    const std::uint64_t lo = u32();
    return lo | static_cast<std::uint64_t>(u32()) << 32;
  }
  std::size_t below(std::size_t m) {  // 0 .. m-1 (0 when m is 0)
    if (m == 0) return 0;
    return m <= 256 ? u8() % m : (m <= 65536 ? u16() % m : u64() % m);
  }
  bool one_in(unsigned k) { return u8() % k == 0; }
  std::vector<std::uint8_t> bytes(std::size_t max) {
    std::size_t len = below(max + 1);
    len = std::min(len, n - std::min(n, i));
    std::vector<std::uint8_t> v(d + i, d + i + len);
    i += len;
    return v;
  }
};

// ---- the temporary folder ---------------------------------------------------

std::string* g_dir = nullptr;

void empty_dir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
  ::closedir(d);
  for (const std::string& n : names) ::unlink((dir + "/" + n).c_str());
}

void remove_dir() {
  if (!g_dir) return;
  empty_dir(*g_dir);
  ::rmdir(g_dir->c_str());
}

const std::string& temp_dir() {
  if (!g_dir) {
    const char* tmp = std::getenv("TMPDIR");
    std::string name = std::string(tmp && *tmp ? tmp : "/tmp") + "/fpm_fuzz_capi.XXXXXX";
    std::vector<char> buf(name.begin(), name.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) violated("cannot make a temporary folder");
    g_dir = new std::string(buf.data());  // never freed: used at exit
    std::atexit(remove_dir);
  }
  return *g_dir;
}

bool read_whole(const std::string& path, std::vector<std::uint8_t>& out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  out.clear();
  std::uint8_t buf[65536];
  std::size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + got);
  std::fclose(f);
  return true;
}

void write_whole(const std::string& path, const std::vector<std::uint8_t>& b) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || (!b.empty() && std::fwrite(b.data(), 1, b.size(), f) != b.size()) || std::fclose(f) != 0)
    violated("cannot write a temporary file");
}

// ---- values -----------------------------------------------------------------

float pick_score(Src& s) {
  switch (s.u8() % 16) {
    case 0: return std::numeric_limits<float>::quiet_NaN();
    case 1: return -std::numeric_limits<float>::quiet_NaN();
    case 2: return std::numeric_limits<float>::infinity();
    case 3: return -std::numeric_limits<float>::infinity();
    case 4: return std::numeric_limits<float>::denorm_min();
    case 5: return -0.0f;
    case 6: return 1.0f;
    case 7: return std::nextafter(1.0f, 2.0f);
    case 8: return 2.0f;
    case 9: return -1.0f;
    case 10: {
      const std::uint32_t bits = s.u32();
      float f;
      std::memcpy(&f, &bits, sizeof f);
      return f;  // anything, NaNs with payloads included
    }
    default: return static_cast<float>(s.u16()) / 65535.0f;
  }
}

double pick_fmr(Src& s, double lowest) {
  switch (s.u8() % 14) {
    case 0: return std::numeric_limits<double>::quiet_NaN();
    case 1: return lowest;
    case 2: return std::nextafter(lowest, 0.0);
    case 3: return std::nextafter(lowest, 1.0);
    case 4: return 1.0;
    case 5: return std::nextafter(1.0, 2.0);
    case 6: return 0.0;
    case 7: return -1e-3;
    case 8: return std::numeric_limits<double>::infinity();
    case 9: return lowest * static_cast<double>(1 + s.u8());  // k / n
    case 10: {
      const std::uint64_t bits = s.u64();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return d;
    }
    default: return static_cast<double>(s.u32()) / 4294967295.0;
  }
}

// A finger position argument: -1 (the template's own), 0-10, or refused ones.
int pick_position(Src& s, bool allow_own) {
  const std::uint8_t r = s.u8();
  if (r < 200) return allow_own && r % 12 == 11 ? -1 : r % 11;
  const int odd[] = {-1, 11, 12, 255, -2, INT_MIN, INT_MAX, 256};
  return odd[r % 8];
}

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += len;
  }
  return true;
}

// A subject argument and what the library must do with it: kValid ones are
// taken, kInvalid ones refused (empty, over 255 bytes, a control byte), and
// kEither (no control byte, but not UTF-8) may go either way.
enum SubjectClass { kValid, kInvalid, kEither };
struct Subject {
  bool null = false;
  std::string s;  // as the library sees it: up to the first NUL
  SubjectClass cls = kValid;
  const char* ptr() const { return null ? nullptr : s.c_str(); }
};

Subject pick_subject(Src& s, const std::vector<std::string>& known) {
  Subject r;
  const std::uint8_t k = s.u8() % 16;
  static const char* const dict[] = {"alice", "bob", "carol", "dave", "zo\xc3\xab", "\xe6\x9d\x8e", "x"};
  if (k < 4 && !known.empty()) {
    r.s = known[s.below(known.size())];
  } else if (k < 8) {
    r.s = dict[s.below(sizeof dict / sizeof dict[0])];
  } else if (k == 8) {
    r.s = std::string(255, 'a');
  } else if (k == 9) {
    r.s = std::string(256 + s.below(4), 'b');
  } else if (k == 10) {
    r.s = "";
  } else if (k == 11) {
    static const char* const bad[] = {"a\001b", "\x7f", "tab\there", "new\nline", "\x1f", "del\x7f"};
    r.s = bad[s.below(6)];
  } else if (k == 12) {
    r.null = true;
    return r;
  } else {
    const std::vector<std::uint8_t> b = s.bytes(k == 15 ? 300 : 24);
    r.s.assign(b.begin(), b.end());
  }
  r.s = std::string(r.s.c_str());  // what a C string holds
  bool control = false;
  for (char c : r.s) control = control || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  if (r.s.empty() || r.s.size() > 255 || control) r.cls = kInvalid;
  else r.cls = valid_utf8(r.s) ? kValid : kEither;
  return r;
}

// A made-up finger as .xyt text (NIST convention).
std::string make_xyt(unsigned finger, unsigned impression, int count) {
  std::string out;
  unsigned s = finger * 7919u + 17u;
  for (int i = 0; i < count; ++i) {
    s = s * 1103515245u + 12345u;
    const int x = 40 + static_cast<int>((s >> 8) % 220u);
    s = s * 1103515245u + 12345u;
    const int y = 40 + static_cast<int>((s >> 8) % 300u);
    s = s * 1103515245u + 12345u;
    const int t = static_cast<int>((s >> 8) % 360u);
    const int jx = static_cast<int>((i * 31 + impression * 7) % 5) - 2;
    const int jy = static_cast<int>((i * 17 + impression * 3) % 5) - 2;
    if (impression && i % 9 == static_cast<int>(impression % 9)) continue;
    char line[64];
    std::snprintf(line, sizeof line, "%d %d %d 60\n", x + jx, y + jy, (t + static_cast<int>(impression) * 2) % 360);
    out += line;
  }
  return out;
}

// ---- templates kept for the whole process -----------------------------------

struct TemplateRec {
  fpm_template* h = nullptr;
  std::uint64_t serial = 0;
  int position = 0;
  std::size_t minutiae = 0;
  bool persistent = false;
};

std::vector<TemplateRec>& persistent_templates() {
  static std::vector<TemplateRec>* v = [] {
    auto* out = new std::vector<TemplateRec>;  // never destroyed (the replay test runs other targets after)
    const auto add = [&](const std::string& bytes, int format, std::uint16_t height) {
      fpm_decode_options o;
      fpm_decode_options_init(&o);
      o.format = format;
      o.xyt_image_height = height;
      fpm_template* t = nullptr;
      if (fpm_template_decode(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), &o, 0, &t) != FPM_OK)
        violated(std::string("a seed template does not decode: ") + fpm_last_error());
      fpm_template_info info;
      if (fpm_template_get_info(t, &info) != FPM_OK) violated("seed template info");
      TemplateRec r;
      r.h = t;
      r.serial = out->size() + 1;
      r.position = info.position;
      r.minutiae = info.minutiae;
      r.persistent = true;
      out->push_back(r);
    };
    for (unsigned f = 1; f <= 3; ++f)
      for (unsigned imp = 0; imp < 2; ++imp) add(make_xyt(f, imp, 30), FPM_FORMAT_XYT, 400);
    add(make_xyt(4, 0, 6), FPM_FORMAT_XYT, 400);  // few minutiae
    // An ANSI/NIST-ITL transaction: two minutiae, finger position 2.
    const char an2k[] = "1.001:45" "\x1d" "1.002:0300" "\x1d" "1.003:1" "\x1f" "1" "\x1e" "9" "\x1f" "01" "\x1d"
                        "1.004:CAR" "\x1c" "9.001:106" "\x1d" "9.002:01" "\x1d" "9.003:0" "\x1d" "9.004:S" "\x1d"
                        "9.006:02" "\x1d" "9.010:2" "\x1d" "9.011:0" "\x1d" "9.012:001" "\x1f" "01320715248"
                        "\x1f" "0" "\x1f" "A" "\x1e" "002" "\x1f" "02000300090" "\x1f" "5" "\x1f" "B" "\x1c";
    add(std::string(an2k, sizeof an2k - 1), FPM_FORMAT_AN2K, 0);
    // Encode their cylinders now, once (fpm_verify encodes both sides).
    float score;
    for (const TemplateRec& r : *out)
      if (fpm_verify(r.h, (*out)[0].h, &score, nullptr) != FPM_OK) violated("seed templates do not compare");
    return out;
  }();
  return *v;
}

// A never-created handle: valid memory the library must not take for one.
alignas(64) unsigned char g_bogus[256];

// ---- the per-input model ------------------------------------------------------

struct Entry {
  std::string subject;
  int position = 0;
  std::uint64_t tmpl = 0;  // the template's serial
  bool removed = false;
};

struct GalleryRec {
  fpm_gallery* h = nullptr;
  std::vector<Entry> entries;
};

struct EngineRec {
  fpm_engine* h = nullptr;
  std::vector<Entry> entries;
  int asked = FPM_BACKEND_AUTO;
  bool reason_known = false;
  std::size_t reason_length = 0;
};

struct Slot {
  enum State { Absent, Valid, Corrupt } state = Absent;
  std::vector<Entry> entries;
};

std::size_t live_count(const std::vector<Entry>& es) {
  std::size_t n = 0;
  for (const Entry& e : es) n += !e.removed;
  return n;
}

class Session {
 public:
  explicit Session(Src& s) : s_(s), dir_(temp_dir()) {
    empty_dir(dir_);
    for (const TemplateRec& r : persistent_templates()) {
      templates_.push_back(r);
      live_[r.h] = Kind::Template;
      by_serial_[r.serial] = r.h;
    }
    next_serial_ = 1000;
  }

  ~Session() {
    // Nothing outlives the input: no handles, no engine threads, no files.
    for (const EngineRec& e : engines_) fpm_engine_destroy(e.h);
    for (const GalleryRec& g : galleries_) fpm_gallery_destroy(g.h);
    for (const TemplateRec& t : templates_)
      if (!t.persistent) fpm_template_destroy(t.h);
    empty_dir(dir_);
  }

  void run() {
    prefill();
    for (std::size_t op = 0; op < kMaxOps && !s_.empty(); ++op) step();
    // Every gallery and engine still agrees with its model.
    for (const GalleryRec& g : galleries_) check_counts(g);
    for (const TemplateRec& t : templates_) {
      fpm_template_info info;
      require(fpm_template_get_info(t.h, &info) == FPM_OK, "end", "a live template was lost");
    }
  }

 private:
  Src& s_;
  const std::string& dir_;
  std::vector<TemplateRec> templates_;  // persistent first
  std::vector<GalleryRec> galleries_;
  std::vector<EngineRec> engines_;
  std::map<const void*, Kind> live_;
  std::map<std::uint64_t, fpm_template*> by_serial_;
  std::vector<const void*> destroyed_;
  Slot slots_[kSlots];
  std::vector<std::uint8_t> record_;  // the last record encoded
  int record_format_ = -1;
  std::uint64_t next_serial_;
  std::size_t template_creations_ = 0, engine_creations_ = 0, saves_ = 0, loads_ = 0;
  double lowest_fmr_ = 0;

  std::string slot_path(std::size_t i) const { return dir_ + "/g" + std::to_string(i) + ".fpg"; }
  std::string missing_path() const { return dir_ + "/no-such-folder/x.fpg"; }

  // -- handles --

  fpm_status handle_status(const void* p, Kind want) const {
    auto it = live_.find(p);
    if (it == live_.end()) return FPM_E_INVALID_HANDLE;  // NULL, destroyed, never created
    return it->second == want ? FPM_OK : FPM_E_WRONG_HANDLE_KIND;
  }

  void created(const void* p, Kind k) {
    require(p != nullptr, "create", "FPM_OK with a NULL handle");
    require(live_.find(p) == live_.end(), "create", "a new handle has the address of a live one");
    live_[p] = k;
    destroyed_.erase(std::remove(destroyed_.begin(), destroyed_.end(), p), destroyed_.end());
  }

  void gone(const void* p) {
    live_.erase(p);
    if (destroyed_.size() >= 32) destroyed_.erase(destroyed_.begin());
    destroyed_.push_back(p);
  }

  const void* live_of(Kind k) {
    switch (k) {
      case Kind::Template: return templates_.empty() ? nullptr : templates_[s_.below(templates_.size())].h;
      case Kind::Gallery: return galleries_.empty() ? nullptr : galleries_[s_.below(galleries_.size())].h;
      case Kind::Engine: return engines_.empty() ? nullptr : engines_[s_.below(engines_.size())].h;
    }
    return nullptr;
  }

  // Mostly a live handle of kind `want`; sometimes one of another kind,
  // NULL, a destroyed one or one never created.
  const void* pick_handle(Kind want) {
    const std::uint8_t r = s_.u8() % 16;
    if (r < 11) {
      if (const void* p = live_of(want)) return p;
    } else if (r == 11) {
      const Kind other = static_cast<Kind>((static_cast<int>(want) + 1 + s_.below(2)) % 3);
      if (const void* p = live_of(other)) return p;
    } else if (r == 12) {
      return nullptr;
    } else if (r == 13) {
      if (!destroyed_.empty()) return destroyed_[s_.below(destroyed_.size())];
    } else if (r == 14) {
      return g_bogus + 64 * s_.below(4);
    }
    return live_of(want);
  }

  template <class T>
  static T* as(const void* p) {
    return static_cast<T*>(const_cast<void*>(p));
  }

  TemplateRec* template_rec(const void* p) {
    for (TemplateRec& t : templates_)
      if (t.h == p) return &t;
    return nullptr;
  }
  GalleryRec* gallery_rec(const void* p) {
    for (GalleryRec& g : galleries_)
      if (g.h == p) return &g;
    return nullptr;
  }
  EngineRec* engine_rec(const void* p) {
    for (EngineRec& e : engines_)
      if (e.h == p) return &e;
    return nullptr;
  }

  std::vector<std::string> known_subjects() const {
    std::vector<std::string> out;
    for (const GalleryRec& g : galleries_)
      for (const Entry& e : g.entries) out.push_back(e.subject);
    for (const EngineRec& g : engines_)
      for (const Entry& e : g.entries) out.push_back(e.subject);
    return out;
  }

  // -- checks of a gallery or engine against its model --

  void check_counts(const GalleryRec& g) {
    std::size_t entries = kMax, live = kMax, subjects = kMax;
    check_status("fpm_gallery_counts (check)", fpm_gallery_counts(g.h, &entries, &live, &subjects), Expect{});
    std::vector<std::string> names;
    for (const Entry& e : g.entries)
      if (!e.removed) names.push_back(e.subject);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    require(entries == g.entries.size(), "fpm_gallery_counts", "entries differ from the entries added");
    require(live == live_count(g.entries), "fpm_gallery_counts", "live entries differ from those not removed");
    require(subjects == names.size(), "fpm_gallery_counts", "subjects differ from those with a live entry");
  }

  // fpm_verify scores of `probe` against every live entry; false when an
  // entry's template is gone (no reference then).
  // (Scores between two kept templates are computed once per process.)
  bool reference_scores(const std::vector<Entry>& es, const fpm_template* probe, std::vector<float>& out) {
    static std::map<std::pair<std::uint64_t, std::uint64_t>, float> kept;
    const TemplateRec* pr = template_rec(probe);
    out.assign(es.size(), 0.0f);
    for (std::size_t i = 0; i < es.size(); ++i) {
      if (es[i].removed) continue;
      auto it = by_serial_.find(es[i].tmpl);
      if (it == by_serial_.end()) return false;
      const bool both_kept = pr && pr->persistent && es[i].tmpl < 1000;
      const auto key = std::make_pair(pr ? pr->serial : 0, es[i].tmpl);
      if (both_kept) {
        auto k = kept.find(key);
        if (k != kept.end()) {
          out[i] = k->second;
          continue;
        }
      }
      check_status("fpm_verify (reference)", fpm_verify(probe, it->second, &out[i], nullptr), Expect{});
      if (both_kept) kept[key] = out[i];
    }
    return true;
  }

  // -- the calls --

  void prefill() {
    // One gallery of a few entries of the kept templates, and a CPU engine
    // over it, so that short inputs reach the searches.
    const std::uint8_t b = s_.u8();
    fpm_gallery* g = nullptr;
    check_status("fpm_gallery_create (prefill)", fpm_gallery_create(&g), Expect{});
    created(g, Kind::Gallery);
    galleries_.push_back(GalleryRec{g, {}});
    static const char* const names[] = {"alice", "bob", "carol"};
    for (unsigned i = 0; i < static_cast<unsigned>(b % 6); ++i) {
      const TemplateRec& t = templates_[i % templates_.size()];
      size_t index = kMax;
      check_status("fpm_gallery_add (prefill)", fpm_gallery_add(g, names[i % 3], static_cast<int>(i % 4), t.h, &index),
                   Expect{});
      require(index == i, "fpm_gallery_add", "the index is not the number of entries before");
      galleries_[0].entries.push_back(Entry{names[i % 3], static_cast<int>(i % 4), t.serial, false});
    }
    if ((b & 0xe0) == 0xe0) return;  // mostly an engine too
    fpm_engine_options o;
    fpm_engine_options_init(&o);
    o.backend = FPM_BACKEND_CPU;
    o.threads = 1;
    fpm_engine* e = nullptr;
    check_status("fpm_engine_create (prefill)", fpm_engine_create(g, &o, &e), Expect{});
    created(e, Kind::Engine);
    ++engine_creations_;
    EngineRec r;
    r.h = e;
    r.entries = galleries_[0].entries;
    r.asked = FPM_BACKEND_CPU;
    engines_.push_back(r);
  }

  void step() {
    switch (s_.u8() % 40) {
      case 0: case 1: return decode_synthetic();
      case 2: return decode_bytes();
      case 3: return record_views();
      case 4: return template_load();
      case 5: case 6: return destroy();
      case 7: return template_info();
      case 8: return template_encode();
      case 9: case 10: return verify();
      case 11: return fmr();
      case 12: return threshold();
      case 13: return gallery_create();
      case 14: case 15: case 16: return add(false);
      case 17: return remove(false);
      case 18: return remove_subject();
      case 19: return gallery_counts();
      case 20: return gallery_save();
      case 21: return gallery_load(false);
      case 22: case 23: return engine_create();
      case 24: return gallery_load(true);
      case 25: return engine_backend();
      case 26: return fallback_reason();
      case 27: case 28: return add(true);
      case 29: return remove(true);
      case 30: case 31: case 32: case 33: return search();
      case 34: case 35: case 36: return search_subjects();
      case 37: return files();
      case 38: return misc();
      default: return search_at_the_limit();
    }
  }

  // `preferred`: the format the bytes are in, when known (mostly asked for).
  void decode_options(fpm_decode_options& o, bool& format_bad, int preferred = -1) {
    fpm_decode_options_init(&o);
    const std::uint8_t f = s_.u8();
    static const int odd[] = {-1, 7, 99, INT_MIN};
    o.format = f < 240 ? f % 7 : odd[f % 4];
    if (preferred >= 0 && f < 160) o.format = f % 4 == 0 ? FPM_FORMAT_AUTO : preferred;
    format_bad = o.format < FPM_FORMAT_AUTO || o.format > FPM_FORMAT_AN2K;
    const std::uint8_t b = s_.u8();
    o.strict = b & 1;
    o.xyt_m1 = (b >> 1) & 1;
    static const std::uint16_t heights[] = {0, 400, 480, 560};
    // At most 16383: with a larger height, NIST-convention .xyt y values
    // flip past the canonical range and the decode fails with a plain
    // InvalidArgument from Template instead of a decode error (OutOfRange),
    // a known finding.
    o.xyt_image_height = (b >> 2) & 1 ? s_.u16() % 16384 : heights[(b >> 3) & 3];
    o.xyt_image_width = (b >> 5) & 1 ? s_.u16() : 0;
    o.assume_resolution_ppcm = (b >> 6) & 1 ? s_.u16() % 400 : 0;
  }

  // Where fpm_template_decode / _load puts a new template: checked, kept
  // while there is room, else destroyed.
  void keep_template(fpm_template* t) {
    created(t, Kind::Template);
    fpm_template_info info;
    std::memset(&info, 0x5a, sizeof info);
    check_status("fpm_template_get_info (new)", fpm_template_get_info(t, &info), Expect{});
    require(info.position >= 0 && info.position <= 10, "fpm_template_get_info", "position outside 0-10");
    require(info.quality >= 0 && info.quality <= 100, "fpm_template_get_info", "quality outside 0-100");
    require(info.width >= 0 && info.height >= 0, "fpm_template_get_info", "negative size");
    TemplateRec r;
    r.h = t;
    r.serial = next_serial_++;
    r.position = info.position;
    r.minutiae = info.minutiae;
    std::size_t dynamic = 0;
    for (const TemplateRec& x : templates_) dynamic += !x.persistent;
    if (dynamic >= kMaxLiveTemplates) {
      fpm_template_destroy(t);
      gone(t);
      return;
    }
    templates_.push_back(r);
    by_serial_[r.serial] = t;
  }

  static std::uint32_t decode_failures() {
    std::uint32_t m = 1u << FPM_E_INVALID_ARGUMENT | 1u << FPM_E_UNKNOWN_FORMAT | 1u << FPM_E_UNSUPPORTED_FORMAT;
    for (int s = FPM_E_TRUNCATED; s <= FPM_E_SYNTAX; ++s) m |= 1u << s;
    return m;
  }

  // Decodes `bytes` (data pointer NULL when null_data) into a new template.
  void decode(const char* call, const std::vector<std::uint8_t>& bytes, bool null_data, int preferred) {
    fpm_decode_options o;
    bool format_bad = false;
    decode_options(o, format_bad, preferred);
    const bool null_options = s_.one_in(8);
    const bool null_out = s_.one_in(16);
    const std::uint8_t v = s_.u8();
    const std::size_t view = v < 224 ? 0 : (v < 248 ? v % 3 : kMax - v % 2);
    Expect e;
    if (null_data) e.fail(FPM_E_INVALID_ARGUMENT);
    if (null_out) e.fail(FPM_E_INVALID_ARGUMENT);
    if (format_bad && !null_options) e.fail(FPM_E_INVALID_ARGUMENT);
    e.also |= decode_failures();
    fpm_template* const sentinel = reinterpret_cast<fpm_template*>(g_bogus + 128);
    fpm_template* t = sentinel;
    const std::uint8_t dummy = 0;
    const std::uint8_t* data = null_data ? nullptr : (bytes.empty() ? &dummy : bytes.data());
    const fpm_status st = fpm_template_decode(data, bytes.size(), null_options ? nullptr : &o, view, null_out ? nullptr : &t);
    g_context = describe(bytes, null_options ? nullptr : &o) + "; view " + std::to_string(view);
    check_status(call, st, e);
    g_context.clear();
    ++template_creations_;
    if (st != FPM_OK) {
      require(t == sentinel, call, "wrote *out on a failure");
      return;
    }
    keep_template(t);
  }

  void decode_synthetic() {
    if (template_creations_ >= kMaxTemplateCreations) return;
    const std::size_t n = s_.below(33);
    std::string text;
    if (s_.one_in(2)) {
      const unsigned finger = s_.u8();
      const unsigned impression = s_.u8();
      text = make_xyt(finger, impression, static_cast<int>(n));
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        char line[64];
        const unsigned x = s_.u16() % 600, y = s_.u16() % 600, t = s_.u16() % 400, q = s_.u8() % 120;
        if (s_.one_in(4)) std::snprintf(line, sizeof line, "%u %u %u\n", x, y, t);
        else std::snprintf(line, sizeof line, "%u %u %u %u\n", x, y, t, q);
        text += line;
      }
    }
    decode("fpm_template_decode (xyt)", std::vector<std::uint8_t>(text.begin(), text.end()), false, FPM_FORMAT_XYT);
  }

  // Bytes from the input, or the last encoded record, maybe cut or altered;
  // *format: the record's format when it is one encoded (else -1).
  std::vector<std::uint8_t> some_record(int* format) {
    const std::uint8_t r = s_.u8() % 4;
    *format = -1;
    if (r == 0 || record_.empty()) return s_.bytes(600);
    *format = record_format_;
    std::vector<std::uint8_t> b = record_;
    if (r == 2) b.resize(s_.below(b.size() + 1));
    if (r == 3 && !b.empty()) b[s_.below(b.size())] ^= static_cast<std::uint8_t>(1 + s_.below(255));
    return b;
  }

  void decode_bytes() {
    if (template_creations_ >= kMaxTemplateCreations) return;
    const bool null_data = s_.one_in(16);
    int format = -1;
    const std::vector<std::uint8_t> rec = some_record(&format);
    decode("fpm_template_decode (bytes)", rec, null_data, format);
  }

  void record_views() {
    int format = -1;
    const std::vector<std::uint8_t> bytes = some_record(&format);
    fpm_decode_options o;
    bool format_bad = false;
    decode_options(o, format_bad, format);
    const bool null_views = s_.one_in(16), null_data = s_.one_in(16);
    Expect e;
    if (null_views || null_data || format_bad) e.fail(FPM_E_INVALID_ARGUMENT);
    e.also |= decode_failures() & ~(1u << FPM_E_INVALID_ARGUMENT);
    std::size_t views = kMax - 3;
    const std::uint8_t dummy = 0;
    const std::uint8_t* data = null_data ? nullptr : (bytes.empty() ? &dummy : bytes.data());
    const fpm_status st = fpm_record_views(data, bytes.size(), &o, null_views ? nullptr : &views);
    g_context = describe(bytes, &o);
    check_status("fpm_record_views", st, e);
    g_context.clear();
    if (st != FPM_OK) {
      require(views == kMax - 3, "fpm_record_views", "wrote *views on a failure");
      return;
    }
    require(views >= 1, "fpm_record_views", "FPM_OK with no views");
    // The same record decodes view by view: each view below the count, none at it.
    if (template_creations_ >= kMaxTemplateCreations) return;
    const std::size_t view = s_.below(std::min<std::size_t>(views, 8) + 1);
    const bool inside = view < views;
    fpm_template* t = nullptr;
    Expect d;
    if (!inside) d.fail(FPM_E_INVALID_ARGUMENT);
    const fpm_status ds = fpm_template_decode(data, bytes.size(), &o, view, &t);
    check_status("fpm_template_decode (view of a counted record)", ds, d);
    ++template_creations_;
    if (ds == FPM_OK) keep_template(t);
  }

  void template_load() {
    if (template_creations_ >= kMaxTemplateCreations) return;
    const std::uint8_t r = s_.u8() % 8;
    std::string path;
    int format = -1;
    Expect e;
    if (r == 0) {
      e.fail(FPM_E_INVALID_ARGUMENT);  // NULL path
    } else if (r == 1) {
      path = missing_path();
      e.fail(FPM_E_IO);
    } else {
      path = dir_ + (r % 2 ? "/record.xyt" : "/record.ist");
      write_whole(path, some_record(&format));
    }
    fpm_decode_options o;
    bool format_bad = false;
    decode_options(o, format_bad, format);
    if (format_bad) e.fail(FPM_E_INVALID_ARGUMENT);
    const std::size_t view = s_.one_in(8) ? 1 : 0;
    e.also |= decode_failures();
    fpm_template* const sentinel = reinterpret_cast<fpm_template*>(g_bogus + 128);
    fpm_template* t = sentinel;
    const fpm_status st = fpm_template_load(r == 0 ? nullptr : path.c_str(), &o, view, &t);
    check_status("fpm_template_load", st, e);
    ++template_creations_;
    if (st != FPM_OK) {
      require(t == sentinel, "fpm_template_load", "wrote *out on a failure");
      return;
    }
    keep_template(t);
  }

  // A handle that is still live answers; one destroyed is refused.
  void probe_alive(const void* p, Kind k, bool alive) {
    Expect e;
    if (!alive) e.fail(FPM_E_INVALID_HANDLE);
    switch (k) {
      case Kind::Template: {
        fpm_template_info info;
        check_status("fpm_template_get_info (after a destroy)", fpm_template_get_info(as<fpm_template>(p), &info), e);
        break;
      }
      case Kind::Gallery: {
        std::size_t n;
        check_status("fpm_gallery_counts (after a destroy)", fpm_gallery_counts(as<fpm_gallery>(p), &n, nullptr, nullptr), e);
        break;
      }
      case Kind::Engine: {
        int b;
        check_status("fpm_engine_backend (after a destroy)", fpm_engine_backend(as<fpm_engine>(p), &b), e);
        break;
      }
    }
  }

  void destroy() {
    const Kind k = static_cast<Kind>(s_.below(3));
    const void* p = nullptr;
    const std::uint8_t r = s_.u8() % 8;
    if (r < 5) {  // one of this kind made during this input (kept templates stay)
      std::vector<const void*> mine;
      for (const TemplateRec& t : templates_)
        if (k == Kind::Template && !t.persistent) mine.push_back(t.h);
      for (const GalleryRec& g : galleries_)
        if (k == Kind::Gallery) mine.push_back(g.h);
      for (const EngineRec& e : engines_)
        if (k == Kind::Engine) mine.push_back(e.h);
      if (!mine.empty()) p = mine[s_.below(mine.size())];
    } else if (r == 5) {  // another kind: ignored
      p = live_of(static_cast<Kind>((static_cast<int>(k) + 1 + s_.below(2)) % 3));
    } else if (r == 6 && !destroyed_.empty()) {  // again: ignored
      p = destroyed_[s_.below(destroyed_.size())];
    } else if (s_.one_in(2)) {
      p = g_bogus;
    }
    const bool real = handle_status(p, k) == FPM_OK;
    const auto it = live_.find(p);
    const bool other_live = it != live_.end() && it->second != k;
    const Kind other = other_live ? it->second : k;
    switch (k) {
      case Kind::Template: fpm_template_destroy(as<fpm_template>(p)); break;
      case Kind::Gallery: fpm_gallery_destroy(as<fpm_gallery>(p)); break;
      case Kind::Engine: fpm_engine_destroy(as<fpm_engine>(p)); break;
    }
    if (g_trace) g_trace->push_back(std::string("destroy kind ") + std::to_string(static_cast<int>(k)) +
                                    (real ? " (live)" : other_live ? " (other kind)" : " (not live)"));
    if (real) {
      if (k == Kind::Template) {
        for (std::size_t i = 0; i < templates_.size(); ++i)
          if (templates_[i].h == p) {
            by_serial_.erase(templates_[i].serial);
            templates_.erase(templates_.begin() + static_cast<long>(i));
            break;
          }
      } else if (k == Kind::Gallery) {
        for (std::size_t i = 0; i < galleries_.size(); ++i)
          if (galleries_[i].h == p) {
            galleries_.erase(galleries_.begin() + static_cast<long>(i));
            break;
          }
      } else {
        for (std::size_t i = 0; i < engines_.size(); ++i)
          if (engines_[i].h == p) {
            engines_.erase(engines_.begin() + static_cast<long>(i));
            break;
          }
      }
      gone(p);
      probe_alive(p, k, false);
    } else if (other_live) {
      probe_alive(p, other, true);  // a destroy of the wrong kind does nothing
    }
  }

  // What a call on the handle h (of `kind`) with one output pointer may
  // give: the handle's status, and InvalidArgument where the output is NULL.
  Expect expect_on(const void* h, Kind kind, bool null_out) {
    Expect e;
    e.handle(handle_status(h, kind));
    if (null_out) e.fail(FPM_E_INVALID_ARGUMENT);
    return e;
  }

  void template_info() {
    const void* t = pick_handle(Kind::Template);
    const bool null_info = s_.one_in(16);
    Expect e = expect_on(t, Kind::Template, null_info);
    fpm_template_info info, before;
    std::memset(&info, 0x5a, sizeof info);
    before = info;
    const fpm_status st = fpm_template_get_info(as<fpm_template>(t), null_info ? nullptr : &info);
    check_status("fpm_template_get_info", st, e);
    if (st != FPM_OK) {
      require(std::memcmp(&info, &before, sizeof info) == 0, "fpm_template_get_info", "wrote *info on a failure");
      return;
    }
    const TemplateRec* r = template_rec(t);
    require(r && info.minutiae == r->minutiae && info.position == r->position, "fpm_template_get_info",
            "the template's info changed");
  }

  void template_encode() {
    const void* t = pick_handle(Kind::Template);
    static const int formats[] = {FPM_FORMAT_ISO2005, FPM_FORMAT_ANSI2004, FPM_FORMAT_XYT, FPM_FORMAT_ISO2005,
                                  FPM_FORMAT_ANSI2004, FPM_FORMAT_XYT, FPM_FORMAT_AUTO, FPM_FORMAT_ISO2011,
                                  FPM_FORMAT_ANSI2009, FPM_FORMAT_AN2K, -1, 99};
    const int format = formats[s_.below(12)];
    const bool format_ok = format == FPM_FORMAT_ISO2005 || format == FPM_FORMAT_ANSI2004 || format == FPM_FORMAT_XYT;
    const std::uint8_t r = s_.u8();
    // A template without minutiae is an empty .xyt, which fpm_template_encode
    // copies with memcpy(buffer, NULL, 0), undefined behaviour that UBSan
    // reports (a known finding): asked only for its size here.
    const TemplateRec* tr = template_rec(t);
    const bool empty_xyt = format == FPM_FORMAT_XYT && tr && tr->minutiae == 0;
    const bool null_buffer = r % 8 == 0 || empty_xyt, null_size = r % 16 == 1;
    const std::size_t capacity = (r >> 4) < 8 ? s_.below(2048) : s_.below(64);
    Expect e;
    const fpm_status hs = handle_status(t, Kind::Template);
    e.handle(hs);
    if (null_size || !format_ok) e.fail(FPM_E_INVALID_ARGUMENT);
    if (hs == FPM_OK && format_ok) {
      e.may(FPM_E_BUFFER_TOO_SMALL);  // its size is known only once encoded
      e.may(FPM_E_INVALID_ARGUMENT);  // a template the format cannot hold
    }
    std::vector<std::uint8_t> buf(std::max<std::size_t>(capacity, 1), 0x5a);
    std::size_t size = kMax - 5;
    const fpm_status st = fpm_template_encode(as<fpm_template>(t), format, null_buffer ? nullptr : buf.data(), capacity,
                                              null_size ? nullptr : &size);
    check_status("fpm_template_encode", st, e);
    if (st == FPM_E_BUFFER_TOO_SMALL && !null_size && !empty_xyt) {
      g_context = "format " + std::to_string(format) + ", capacity " + std::to_string(capacity) + ", buffer " +
                  (null_buffer ? "NULL" : "real") + ", *size " + std::to_string(size);
      require(size != kMax - 5 && size < (1u << 24), "fpm_template_encode",
              "FPM_E_BUFFER_TOO_SMALL without the size needed");
      g_context.clear();
      require(null_buffer || capacity < size, "fpm_template_encode", "FPM_E_BUFFER_TOO_SMALL with room enough");
      // Asked again with the size it said: it fits (an empty .xyt is 0 bytes).
      std::vector<std::uint8_t> exact(std::max<std::size_t>(size, 1));
      std::size_t again = kMax;
      check_status("fpm_template_encode (the size it asked for)",
                   fpm_template_encode(as<fpm_template>(t), format, exact.data(), size, &again), Expect{});
      require(again == size, "fpm_template_encode", "the size needed changed");
      exact.resize(size);
      encoded(exact, format, t);
    }
    if (st != FPM_OK) {
      for (std::uint8_t c : buf) require(c == 0x5a, "fpm_template_encode", "wrote the buffer on a failure");
      return;
    }
    require(!null_buffer && size <= capacity, "fpm_template_encode", "FPM_OK past the buffer");
    buf.resize(size);
    encoded(buf, format, t);
  }

  // A record fpm_template_encode wrote reads back as one view.
  void encoded(const std::vector<std::uint8_t>& rec, int format, const void* t) {
    fpm_template_info info;
    check_status("fpm_template_get_info (encoded)", fpm_template_get_info(as<fpm_template>(t), &info), Expect{});
    fpm_decode_options o;
    fpm_decode_options_init(&o);
    o.format = format;
    o.xyt_image_height = static_cast<std::uint16_t>(info.height);
    std::size_t views = 0;
    const std::uint8_t dummy = 0;
    const std::uint8_t* data = rec.empty() ? &dummy : rec.data();
    g_context = describe(rec, &o);
    check_status("fpm_record_views (an encoded record)", fpm_record_views(data, rec.size(), &o, &views), Expect{});
    g_context.clear();
    require(views == 1, "fpm_template_encode", "the record does not hold one view");
    record_ = rec;
    record_format_ = format;
  }

  void verify() {
    const void* a = pick_handle(Kind::Template);
    const void* b = pick_handle(Kind::Template);
    const std::uint8_t r = s_.u8();
    const bool null_score = r % 16 == 0, null_fmr = r % 4 == 1;
    Expect e;
    e.handle(handle_status(a, Kind::Template));
    e.handle(handle_status(b, Kind::Template));
    if (null_score) e.fail(FPM_E_INVALID_ARGUMENT);
    float score = -7.0f;
    double fmr = -7.0;
    const fpm_status st = fpm_verify(as<fpm_template>(a), as<fpm_template>(b), null_score ? nullptr : &score,
                                     null_fmr ? nullptr : &fmr);
    check_status("fpm_verify", st, e);
    if (st != FPM_OK) {
      require(score == -7.0f && fmr == -7.0, "fpm_verify", "wrote outputs on a failure");
      return;
    }
    require(score >= 0.0f && score <= 1.0f, "fpm_verify", "a score outside [0, 1]");
    if (!null_fmr) {
      double want = 0;
      check_status("fpm_false_match_rate (of a verify score)", fpm_false_match_rate(score, &want), Expect{});
      require(fmr == want, "fpm_verify", "its FMR is not fpm_false_match_rate of its score");
    }
    float back = -7.0f;
    check_status("fpm_verify (swapped)", fpm_verify(as<fpm_template>(b), as<fpm_template>(a), &back, nullptr), Expect{});
    require(back == score, "fpm_verify", "not symmetric");
  }

  double lowest_fmr() {
    if (lowest_fmr_ == 0) {
      int bound = 0;
      check_status("fpm_fmr_estimate (inf)",
                   fpm_fmr_estimate(std::numeric_limits<float>::infinity(), &lowest_fmr_, &bound), Expect{});
      require(bound == 1 && lowest_fmr_ > 0 && lowest_fmr_ < 1, "fpm_fmr_estimate", "no upper bound above every score");
    }
    return lowest_fmr_;
  }

  void fmr() {
    const float a = pick_score(s_), b = pick_score(s_);
    const std::uint8_t r = s_.u8();
    const bool null_fmr = r % 16 == 0, null_bound = r % 4 == 1, plain = r % 8 == 2;
    Expect e;
    if (null_fmr || std::isnan(a)) e.fail(FPM_E_INVALID_ARGUMENT);
    double fa = -7.0;
    int bound = -7;
    const fpm_status st = plain ? fpm_false_match_rate(a, null_fmr ? nullptr : &fa)
                                : fpm_fmr_estimate(a, null_fmr ? nullptr : &fa, null_bound ? nullptr : &bound);
    check_status(plain ? "fpm_false_match_rate" : "fpm_fmr_estimate", st, e);
    if (st != FPM_OK) {
      require(fa == -7.0 && bound == -7, "fpm_fmr_estimate", "wrote outputs on a failure");
      return;
    }
    const double lowest = lowest_fmr();
    require(fa >= lowest && fa <= 1.0, "fpm_fmr_estimate", "an FMR outside [1/impostors, 1]");
    if (!plain && !null_bound) {
      require(bound == 0 || bound == 1, "fpm_fmr_estimate", "upper_bound neither 0 nor 1");
      require(!bound || fa == lowest, "fpm_fmr_estimate", "an upper bound other than 1/impostors");
    }
    if (std::isnan(b)) return;
    double fb = -7.0;
    check_status("fpm_fmr_estimate (second score)", fpm_fmr_estimate(b, &fb, nullptr), Expect{});
    if (a <= b) require(fa >= fb, "fpm_fmr_estimate", "a higher score with a higher FMR");
    if (b <= a) require(fb >= fa, "fpm_fmr_estimate", "a higher score with a higher FMR");
  }

  void threshold() {
    const double lowest = lowest_fmr();
    const double fmr = pick_fmr(s_, lowest);
    const bool null_threshold = s_.one_in(16);
    Expect e;
    if (null_threshold) e.fail(FPM_E_INVALID_ARGUMENT);
    if (std::isnan(fmr)) {
      e.fail(FPM_E_OUT_OF_RANGE);
      e.fail(FPM_E_INVALID_ARGUMENT);
    } else if (!(fmr >= lowest && fmr <= 1.0)) {
      e.fail(FPM_E_OUT_OF_RANGE);
    }
    float t = -7.0f;
    const fpm_status st = fpm_threshold_for_fmr(fmr, null_threshold ? nullptr : &t);
    check_status("fpm_threshold_for_fmr", st, e);
    if (st != FPM_OK) {
      require(t == -7.0f, "fpm_threshold_for_fmr", "wrote *threshold on a failure");
      return;
    }
    require(std::isfinite(t) && t >= 0.0f, "fpm_threshold_for_fmr", "a threshold below 0 or not finite");
    // The smallest threshold whose estimated FMR is at most fmr.
    const double tol = 1e-9 * lowest + 1e-15;
    double at = 0;
    check_status("fpm_false_match_rate (at the threshold)", fpm_false_match_rate(t, &at), Expect{});
    require(at <= fmr + tol, "fpm_threshold_for_fmr", "the threshold's FMR is above the one asked for");
    if (t > 0.0f) {
      double below = 0;
      check_status("fpm_false_match_rate (below the threshold)",
                   fpm_false_match_rate(std::nextafter(t, -1.0f), &below), Expect{});
      require(below > fmr - tol, "fpm_threshold_for_fmr", "a smaller threshold would do");
    }
  }

  void gallery_create() {
    const bool null_out = s_.one_in(16);
    Expect e;
    if (null_out) e.fail(FPM_E_INVALID_ARGUMENT);
    fpm_gallery* g = nullptr;
    const fpm_status st = fpm_gallery_create(null_out ? nullptr : &g);
    check_status("fpm_gallery_create", st, e);
    if (st != FPM_OK) return;
    created(g, Kind::Gallery);
    if (galleries_.size() >= kMaxGalleries) {
      fpm_gallery_destroy(g);
      gone(g);
      return;
    }
    galleries_.push_back(GalleryRec{g, {}});
    check_counts(galleries_.back());
  }

  std::vector<Entry>* entries_of(const void* p, bool engine) {
    if (engine) {
      EngineRec* e = engine_rec(p);
      return e ? &e->entries : nullptr;
    }
    GalleryRec* g = gallery_rec(p);
    return g ? &g->entries : nullptr;
  }

  void after_change(const void* p, bool engine) {
    if (!engine)
      if (GalleryRec* g = gallery_rec(p)) check_counts(*g);
  }

  void add(bool engine) {
    const Kind k = engine ? Kind::Engine : Kind::Gallery;
    const void* h = pick_handle(k);
    std::vector<Entry>* es = entries_of(h, engine);
    if (es && es->size() >= kMaxEntries) return;
    const Subject subject = pick_subject(s_, known_subjects());
    const int position = pick_position(s_, true);
    const void* t = pick_handle(Kind::Template);
    const bool null_index = s_.one_in(4);
    Expect e;
    e.handle(handle_status(h, k));
    e.handle(handle_status(t, Kind::Template));
    if (subject.null || subject.cls == kInvalid) e.fail(FPM_E_INVALID_ARGUMENT);
    if (position < -1 || position > 10) e.fail(FPM_E_INVALID_ARGUMENT);
    if (subject.cls == kEither) e.may(FPM_E_INVALID_ARGUMENT);
    std::size_t index = kMax - 1;
    const char* call = engine ? "fpm_engine_add" : "fpm_gallery_add";
    const fpm_status st =
        engine ? fpm_engine_add(as<fpm_engine>(h), subject.ptr(), position, as<fpm_template>(t), null_index ? nullptr : &index)
               : fpm_gallery_add(as<fpm_gallery>(h), subject.ptr(), position, as<fpm_template>(t),
                                 null_index ? nullptr : &index);
    check_status(call, st, e);
    if (st != FPM_OK) {
      require(index == kMax - 1, call, "wrote *index on a failure");
      after_change(h, engine);
      return;
    }
    require(es != nullptr, call, "FPM_OK on a handle that is not live");
    require(null_index || index == es->size(), call, "the index is not the number of entries before");
    const TemplateRec* tr = template_rec(t);
    es->push_back(Entry{subject.s, position == -1 ? tr->position : position, tr->serial, false});
    after_change(h, engine);
  }

  std::size_t pick_index(std::size_t size) {
    const std::uint8_t r = s_.u8() % 8;
    if (r < 5) return size ? s_.below(size) : 0;
    if (r == 5) return size;
    if (r == 6) return kMax - s_.below(2);
    return static_cast<std::size_t>(s_.u64());
  }

  void remove(bool engine) {
    const Kind k = engine ? Kind::Engine : Kind::Gallery;
    const void* h = pick_handle(k);
    std::vector<Entry>* es = entries_of(h, engine);
    const std::size_t index = pick_index(es ? es->size() : 0);
    Expect e;
    e.handle(handle_status(h, k));
    if (es && index >= es->size()) e.fail(FPM_E_INVALID_ARGUMENT);
    const char* call = engine ? "fpm_engine_remove" : "fpm_gallery_remove";
    const fpm_status st = engine ? fpm_engine_remove(as<fpm_engine>(h), index) : fpm_gallery_remove(as<fpm_gallery>(h), index);
    check_status(call, st, e);
    if (st == FPM_OK) (*es)[index].removed = true;
    after_change(h, engine);
  }

  void remove_subject() {
    const void* g = pick_handle(Kind::Gallery);
    const Subject subject = pick_subject(s_, known_subjects());
    const bool null_removed = s_.one_in(4);
    Expect e;
    e.handle(handle_status(g, Kind::Gallery));
    if (subject.null) e.fail(FPM_E_INVALID_ARGUMENT);
    if (subject.cls != kValid) e.may(FPM_E_INVALID_ARGUMENT);  // none can be there
    std::size_t removed = kMax - 1;
    const fpm_status st = fpm_gallery_remove_subject(as<fpm_gallery>(g), subject.ptr(), null_removed ? nullptr : &removed);
    check_status("fpm_gallery_remove_subject", st, e);
    if (st != FPM_OK) {
      require(removed == kMax - 1, "fpm_gallery_remove_subject", "wrote *removed on a failure");
      after_change(g, false);
      return;
    }
    GalleryRec* r = gallery_rec(g);
    std::size_t n = 0;
    for (Entry& x : r->entries)
      if (!x.removed && x.subject == subject.s) {
        x.removed = true;
        ++n;
      }
    require(null_removed || removed == n, "fpm_gallery_remove_subject", "removed a number other than the subject's live entries");
    check_counts(*r);
  }

  void gallery_counts() {
    const void* g = pick_handle(Kind::Gallery);
    const std::uint8_t r = s_.u8();
    Expect e;
    e.handle(handle_status(g, Kind::Gallery));
    std::size_t v[3] = {kMax, kMax, kMax};
    const fpm_status st = fpm_gallery_counts(as<fpm_gallery>(g), r & 1 ? nullptr : &v[0], r & 2 ? nullptr : &v[1],
                                             r & 4 ? nullptr : &v[2]);
    check_status("fpm_gallery_counts", st, e);
    if (st != FPM_OK) {
      require(v[0] == kMax && v[1] == kMax && v[2] == kMax, "fpm_gallery_counts", "wrote counts on a failure");
      return;
    }
    check_counts(*gallery_rec(g));
  }

  void gallery_save() {
    if (saves_ >= kMaxSaves) return;
    ++saves_;
    const void* g = pick_handle(Kind::Gallery);
    const std::uint8_t r = s_.u8() % 8;
    const std::size_t slot = s_.below(kSlots);
    Expect e;
    e.handle(handle_status(g, Kind::Gallery));
    std::string path;
    if (r == 0) e.fail(FPM_E_INVALID_ARGUMENT);
    else if (r == 1) {
      path = missing_path();
      e.fail(FPM_E_IO);
    } else {
      path = slot_path(slot);
    }
    const fpm_status st = fpm_gallery_save(as<fpm_gallery>(g), r == 0 ? nullptr : path.c_str());
    check_status("fpm_gallery_save", st, e);
    if (st == FPM_OK) {
      slots_[slot].state = Slot::Valid;
      slots_[slot].entries = gallery_rec(g)->entries;
    }
  }

  // The path to load from and the statuses its file gives.
  std::string load_path(Expect& e, const std::vector<Entry>** model, bool& null_path) {
    const std::uint8_t r = s_.u8() % 10;
    null_path = r == 0;
    *model = nullptr;
    if (r == 0) {
      e.fail(FPM_E_INVALID_ARGUMENT);
      return "";
    }
    if (r == 1) {
      e.fail(FPM_E_IO);
      return missing_path();
    }
    if (r == 2) {  // a folder
      e.fail(FPM_E_IO);
      e.fail(FPM_E_CORRUPT);
      return dir_;
    }
    const std::size_t slot = s_.below(kSlots);
    switch (slots_[slot].state) {
      case Slot::Absent: e.fail(FPM_E_IO); break;
      case Slot::Corrupt: e.fail(FPM_E_CORRUPT); break;
      case Slot::Valid: *model = &slots_[slot].entries; break;
    }
    return slot_path(slot);
  }

  void engine_options(fpm_engine_options& o, bool& null_options, Expect& e, int& asked) {
    fpm_engine_options_init(&o);
    static int devices[4] = {0, 1, -1, 7};
    const std::uint8_t r = s_.u8(), t = s_.u8(), d = s_.u8();
    null_options = r % 16 == 0;
    asked = FPM_BACKEND_AUTO;
    if (null_options) return;
    static const int backends[] = {FPM_BACKEND_CPU, FPM_BACKEND_CPU, FPM_BACKEND_CPU, FPM_BACKEND_CPU, FPM_BACKEND_CPU,
                                   FPM_BACKEND_AUTO, FPM_BACKEND_AUTO, FPM_BACKEND_CUDA, -1, 3, INT_MIN, INT_MAX};
    o.backend = backends[(r >> 4) % 12];
    static const int threads[] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 0, 1, 2, 1,
                                  -1, 1025, INT_MAX, INT_MIN};
    o.threads = threads[t % 20];
    switch (d % 16) {
      default: break;
      case 8: case 9: case 10: o.devices = devices; o.device_count = 1 + d / 16 % 4; break;
      case 11: o.devices = nullptr; o.device_count = 1 + d / 16 % 3; break;
      case 12: o.devices = devices; o.device_count = 1025; break;  // refused before any is read
      case 13: o.devices = devices; o.device_count = d & 16 ? kMax : (std::size_t{1} << 40); break;
    }
    asked = o.backend;
    if (o.backend < FPM_BACKEND_AUTO || o.backend > FPM_BACKEND_CUDA) e.fail(FPM_E_INVALID_ARGUMENT);
    if (o.threads < 0 || o.threads > 1024) e.fail(FPM_E_INVALID_ARGUMENT);
    if (o.device_count > 0 && o.devices == nullptr) e.fail(FPM_E_INVALID_ARGUMENT);
    if (o.device_count > 1024) e.fail(FPM_E_INVALID_ARGUMENT);
    if (o.backend == FPM_BACKEND_CUDA) e.may(FPM_E_UNAVAILABLE);
  }

  void gallery_load(bool engine) {
    if (loads_ >= kMaxLoads || (engine && engine_creations_ >= kMaxEngineCreations)) return;
    ++loads_;
    Expect e;
    const std::vector<Entry>* model = nullptr;
    bool null_path = false;
    const std::string path = load_path(e, &model, null_path);
    const bool null_out = s_.one_in(16);
    if (null_out) e.fail(FPM_E_INVALID_ARGUMENT);
    fpm_engine_options o;
    bool null_options = false;
    int asked = FPM_BACKEND_AUTO;
    if (engine) {
      engine_options(o, null_options, e, asked);
      e.may(FPM_E_OUT_OF_MEMORY);  // threads the system cannot start
      ++engine_creations_;
    }
    void* const sentinel = g_bogus + 192;
    void* out = sentinel;
    const char* p = null_path ? nullptr : path.c_str();
    const fpm_status st =
        engine ? fpm_engine_load(p, null_options ? nullptr : &o, null_out ? nullptr : reinterpret_cast<fpm_engine**>(&out))
               : fpm_gallery_load(p, null_out ? nullptr : reinterpret_cast<fpm_gallery**>(&out));
    check_status(engine ? "fpm_engine_load" : "fpm_gallery_load", st, e);
    if (st != FPM_OK) {
      require(out == sentinel, "load", "wrote *out on a failure");
      return;
    }
    require(model != nullptr, "load", "FPM_OK without a gallery file");
    if (engine) adopt_engine(static_cast<fpm_engine*>(out), *model, asked);
    else adopt_gallery(static_cast<fpm_gallery*>(out), *model);
  }

  void adopt_gallery(fpm_gallery* g, const std::vector<Entry>& model) {
    created(g, Kind::Gallery);
    GalleryRec r{g, model};
    check_counts(r);
    if (galleries_.size() >= kMaxGalleries) {
      fpm_gallery_destroy(g);
      gone(g);
      return;
    }
    galleries_.push_back(r);
  }

  void adopt_engine(fpm_engine* h, const std::vector<Entry>& model, int asked) {
    created(h, Kind::Engine);
    EngineRec r;
    r.h = h;
    r.entries = model;
    r.asked = asked;
    int backend = -1;
    check_status("fpm_engine_backend (new)", fpm_engine_backend(h, &backend), Expect{});
    if (asked == FPM_BACKEND_CPU) require(backend == FPM_BACKEND_CPU, "fpm_engine_create", "a CPU engine not on the CPU");
    if (asked == FPM_BACKEND_CUDA) require(backend == FPM_BACKEND_CUDA, "fpm_engine_create", "a CUDA engine not on CUDA");
    require(backend == FPM_BACKEND_CPU || backend == FPM_BACKEND_CUDA, "fpm_engine_backend", "an unknown backend");
    if (engines_.size() >= kMaxEngines) {
      fpm_engine_destroy(h);
      gone(h);
      return;
    }
    engines_.push_back(r);
  }

  void engine_create() {
    if (engine_creations_ >= kMaxEngineCreations) return;
    ++engine_creations_;
    const void* g = pick_handle(Kind::Gallery);
    Expect e;
    e.handle(handle_status(g, Kind::Gallery));
    const bool null_out = s_.one_in(16);
    if (null_out) e.fail(FPM_E_INVALID_ARGUMENT);
    fpm_engine_options o;
    bool null_options = false;
    int asked = FPM_BACKEND_AUTO;
    engine_options(o, null_options, e, asked);
    e.may(FPM_E_OUT_OF_MEMORY);
    fpm_engine* const sentinel = reinterpret_cast<fpm_engine*>(g_bogus + 192);
    fpm_engine* out = sentinel;
    const fpm_status st = fpm_engine_create(as<fpm_gallery>(g), null_options ? nullptr : &o, null_out ? nullptr : &out);
    check_status("fpm_engine_create", st, e);
    if (st != FPM_OK) {
      require(out == sentinel, "fpm_engine_create", "wrote *out on a failure");
      return;
    }
    adopt_engine(out, gallery_rec(g)->entries, asked);
  }

  void engine_backend() {
    const void* h = pick_handle(Kind::Engine);
    const bool null_backend = s_.one_in(16);
    Expect e = expect_on(h, Kind::Engine, null_backend);
    int backend = -7;
    const fpm_status st = fpm_engine_backend(as<fpm_engine>(h), null_backend ? nullptr : &backend);
    check_status("fpm_engine_backend", st, e);
    if (st != FPM_OK) {
      require(backend == -7, "fpm_engine_backend", "wrote *backend on a failure");
      return;
    }
    const EngineRec* r = engine_rec(h);
    require(backend == FPM_BACKEND_CPU || backend == FPM_BACKEND_CUDA, "fpm_engine_backend", "an unknown backend");
    require(r->asked == FPM_BACKEND_AUTO || backend == r->asked, "fpm_engine_backend", "not the backend asked for");
  }

  void fallback_reason() {
    const void* h = pick_handle(Kind::Engine);
    EngineRec* r = engine_rec(h);
    const std::uint8_t m = s_.u8();
    std::size_t capacity;
    if (m % 4 == 0 && r && r->reason_known) capacity = r->reason_length + s_.below(2);  // at the edge
    else if (m % 4 == 1) capacity = s_.below(2);
    else capacity = s_.below(300);
    const bool null_buffer = m % 16 == 2, null_length = m % 32 == 3;
    Expect e = expect_on(h, Kind::Engine, null_length);
    if (r) e.may(FPM_E_BUFFER_TOO_SMALL);  // the length is the library's
    std::vector<char> buf(std::max<std::size_t>(capacity, 1), 'Z');
    std::size_t length = kMax - 9;
    const fpm_status st = fpm_engine_fallback_reason(as<fpm_engine>(h), null_buffer ? nullptr : buf.data(), capacity,
                                                     null_length ? nullptr : &length);
    check_status("fpm_engine_fallback_reason", st, e);
    for (std::size_t i = capacity; i < buf.size(); ++i)
      require(buf[i] == 'Z', "fpm_engine_fallback_reason", "wrote past the capacity");
    if (st != FPM_OK && st != FPM_E_BUFFER_TOO_SMALL) {
      require(length == kMax - 9, "fpm_engine_fallback_reason", "wrote *length on a failure");
      return;
    }
    if (null_length) return;
    require(length < 65536, "fpm_engine_fallback_reason", "no length");
    if (r->reason_known) require(length == r->reason_length, "fpm_engine_fallback_reason", "the reason's length changed");
    r->reason_known = true;
    r->reason_length = length;
    if (r->asked == FPM_BACKEND_CPU) require(length == 0, "fpm_engine_fallback_reason", "a reason for a CPU engine");
    if (st == FPM_E_BUFFER_TOO_SMALL) {
      require(null_buffer || capacity <= length, "fpm_engine_fallback_reason", "FPM_E_BUFFER_TOO_SMALL with room enough");
      for (std::size_t i = 0; i < capacity; ++i)
        require(buf[i] == 'Z', "fpm_engine_fallback_reason", "wrote the buffer on FPM_E_BUFFER_TOO_SMALL");
      return;
    }
    require(!null_buffer && capacity > length, "fpm_engine_fallback_reason", "FPM_OK without room for the string");
    require(buf[length] == '\0' && std::strlen(buf.data()) == length, "fpm_engine_fallback_reason",
            "the string is not NUL-terminated at its length");
    int backend = -1;
    check_status("fpm_engine_backend (reason)", fpm_engine_backend(r->h, &backend), Expect{});
    if (r->asked == FPM_BACKEND_AUTO && backend == FPM_BACKEND_CPU)
      require(length > 0, "fpm_engine_fallback_reason", "an Auto engine on the CPU without a reason");
  }

  // The search options an input picks (null_options: the call gets NULL,
  // the defaults' stand-in); top_k and min_score are what the call uses.
  fpm_search_options search_options(bool& null_options, Expect& e) {
    fpm_search_options o;
    fpm_search_options_init(&o);
    require(o.top_k == 10 && o.min_score == 0.0f, "fpm_search_options_init", "not the documented defaults");
    const std::uint8_t r = s_.u8();
    null_options = r % 16 == 0;
    if (!null_options) {
      const std::uint8_t k = s_.u8();
      if (k < 200) o.top_k = 1 + k % 12;
      else if (k < 215) o.top_k = 0;
      else {
        const std::size_t huge[] = {kMax, kMax / 2, std::size_t{1} << 32, 4096};
        o.top_k = k < 235 ? huge[k % 4] : static_cast<std::size_t>(s_.u64());
      }
      o.min_score = r % 4 == 1 ? pick_score(s_) : (r % 4 == 2 ? static_cast<float>(s_.u8()) / 255.0f : 0.0f);
    }
    if (o.top_k == 0 || std::isnan(o.min_score)) e.fail(FPM_E_INVALID_ARGUMENT);
    return o;
  }

  // The capacity of a search and how many elements its real buffer holds:
  // small capacities get all count * capacity elements; capacities whose
  // product with count (and the element's size) overflows size_t, which the
  // library must refuse, get one element.
  std::size_t pick_capacity(std::size_t count, std::size_t top_k, std::size_t element, std::size_t& real, bool& overflow) {
    const std::uint8_t r = s_.u8();
    std::size_t cap;
    overflow = false;
    if (r < 200) {
      cap = top_k <= 16 && r % 4 != 0 ? top_k + s_.below(4) : s_.below(17);
      if (r % 8 == 1 && top_k > 0 && top_k <= 16) cap = top_k - 1;  // one short
    } else if (count == 0) {
      const std::size_t huge[] = {kMax, kMax - 1, std::size_t{1} << 63, static_cast<std::size_t>(s_.u64())};
      cap = huge[r % 4];  // no probes: nothing is written whatever the capacity
      real = 1;
      return cap;
    } else {
      const std::size_t fits = kMax / element / count;  // the largest capacity that does not overflow
      const std::size_t over[] = {fits + 1, fits + 2, kMax, kMax - 1, std::size_t{1} << 63,
                                  fits + 1 + static_cast<std::size_t>(s_.u64()) % (kMax - fits)};
      cap = over[r % 6];
      overflow = true;
      real = 1;
      return cap;
    }
    real = std::max<std::size_t>(count * cap, 1);
    return cap;
  }

  void search() {
    const void* h = pick_handle(Kind::Engine);
    const std::size_t count = s_.below(5);
    const std::uint8_t n = s_.u8();
    const bool null_probes = n % 16 == 0, null_out = n % 16 == 1, null_found = n % 16 == 2;
    std::vector<const fpm_template*> probes(std::max<std::size_t>(count, 1), nullptr);
    for (std::size_t p = 0; p < count; ++p) probes[p] = as<fpm_template>(pick_handle(Kind::Template));
    Expect e;
    e.handle(handle_status(h, Kind::Engine));
    if (count > 0 && (null_probes || null_out || null_found)) e.fail(FPM_E_INVALID_ARGUMENT);
    bool null_options = false;
    const fpm_search_options o = search_options(null_options, e);
    std::size_t real = 0;
    bool overflow = false;
    const std::size_t capacity = pick_capacity(count, o.top_k, sizeof(fpm_candidate), real, overflow);
    run_search(h, probes, count, null_probes, null_out, null_found, null_options, o, o.top_k, o.min_score, capacity, real,
               overflow, e);
  }

  // A search of an engine without live entries with the largest capacity
  // that does not overflow: it succeeds and finds nothing, writing nothing.
  void search_at_the_limit() {
    const void* h = pick_handle(Kind::Engine);
    const EngineRec* r = engine_rec(h);
    if (!r || live_count(r->entries) != 0) return;
    const std::size_t count = 1 + s_.below(4);
    std::vector<const fpm_template*> probes(count);
    for (std::size_t p = 0; p < count; ++p) probes[p] = as<fpm_template>(live_of(Kind::Template));
    Expect e;
    bool null_options = false;
    const fpm_search_options o = search_options(null_options, e);
    if (s_.one_in(2)) {
      const std::size_t cap = kMax / sizeof(fpm_subject_candidate) / count;
      std::vector<fpm_finger> fingers(count);
      std::vector<std::size_t> per(count, 1);
      for (std::size_t p = 0; p < count; ++p) fingers[p] = fpm_finger{probes[p], static_cast<int>(s_.below(11))};
      run_subject_search(h, fingers, per, count, false, false, false, false, null_options, o, o.top_k, o.min_score, cap, 1,
                         false, e);
      return;
    }
    const std::size_t cap = kMax / sizeof(fpm_candidate) / count;
    run_search(h, probes, count, false, false, false, null_options, o, o.top_k, o.min_score, cap, 1, false, e);
  }

  void run_search(const void* h, const std::vector<const fpm_template*>& probes, std::size_t count, bool null_probes,
                  bool null_out, bool null_found, bool null_options, const fpm_search_options& o, std::size_t top_k,
                  float min_score, std::size_t capacity, std::size_t real, bool overflow, Expect& e) {
    if (capacity < top_k) e.fail(FPM_E_BUFFER_TOO_SMALL);
    if (overflow) e.fail(FPM_E_INVALID_ARGUMENT);
    if (!null_probes)
      for (std::size_t p = 0; p < count; ++p) e.handle(handle_status(probes[p], Kind::Template));
    SearchOutputs<fpm_candidate> bufs(real, count);
    std::vector<fpm_candidate>& out = bufs.out;
    std::vector<std::size_t>& found = bufs.found;
    const fpm_status st =
        fpm_engine_search(as<fpm_engine>(h), null_probes ? nullptr : probes.data(), count, null_options ? nullptr : &o,
                          null_out ? nullptr : out.data(), capacity, null_found ? nullptr : found.data());
    check_status("fpm_engine_search", st, e);
    if (st != FPM_OK) {
      bufs.require_untouched("fpm_engine_search");
      return;
    }
    const EngineRec* r = engine_rec(h);
    const std::size_t live = live_count(r->entries);
    for (std::size_t p = 0; p < count; ++p) {
      const std::size_t n = found[p];
      require(n <= top_k && n <= live, "fpm_engine_search", "found more than top_k or than the live entries");
      require(n == 0 || p * capacity + n <= out.size(), "fpm_engine_search", "found more than the buffer holds");
      std::vector<float> ref;
      const bool have_ref = reference_scores(r->entries, probes[p], ref);
      for (std::size_t i = 0; i < n; ++i) {
        const fpm_candidate& c = out[p * capacity + i];
        require(c.index < r->entries.size() && !r->entries[c.index].removed, "fpm_engine_search",
                "a candidate that is no live entry");
        const Entry& en = r->entries[c.index];
        require(std::memchr(c.subject, '\0', sizeof c.subject) != nullptr && en.subject == c.subject,
                "fpm_engine_search", "a candidate's subject is not its entry's (or not NUL-terminated)");
        require(c.position == en.position, "fpm_engine_search", "a candidate's position is not its entry's");
        require(c.score >= 0.0f && c.score <= 1.0f && c.score >= min_score, "fpm_engine_search",
                "a score outside [0, 1] or below min_score");
        if (i > 0) {
          const fpm_candidate& prev = out[p * capacity + i - 1];
          require(prev.score > c.score || (prev.score == c.score && prev.index < c.index), "fpm_engine_search",
                  "candidates not best first, ties by index");
        }
        if (have_ref) require(c.score == ref[c.index], "fpm_engine_search", "a score other than fpm_verify's");
      }
      if (!have_ref) continue;
      // Exactly the top_k of the verify scores.
      std::vector<std::size_t> want;
      for (std::size_t i = 0; i < r->entries.size(); ++i)
        if (!r->entries[i].removed && ref[i] >= min_score) want.push_back(i);
      std::sort(want.begin(), want.end(), [&](std::size_t a, std::size_t b) {
        return ref[a] > ref[b] || (ref[a] == ref[b] && a < b);
      });
      if (want.size() > top_k) want.resize(top_k);
      require(n == want.size(), "fpm_engine_search", "not as many candidates as the verify scores give");
      for (std::size_t i = 0; i < n; ++i)
        require(out[p * capacity + i].index == want[i], "fpm_engine_search", "not the best entries by fpm_verify");
    }
  }

  void search_subjects() {
    const void* h = pick_handle(Kind::Engine);
    const std::size_t count = s_.below(4);
    const std::uint8_t n = s_.u8();
    const bool null_fingers = n % 16 == 0, null_per = n % 16 == 1, null_out = n % 16 == 2, null_found = n % 16 == 3;
    Expect e;
    e.handle(handle_status(h, Kind::Engine));
    if (count > 0 && (null_fingers || null_per || null_out || null_found)) e.fail(FPM_E_INVALID_ARGUMENT);
    // Fingers per probe: 1-3, sometimes 0 or a count that takes the sum past
    // the address space (then no later finger exists: the library must stop).
    std::vector<std::size_t> per(std::max<std::size_t>(count, 1), 1);
    std::size_t fingers_total = 0;
    bool past = false;
    for (std::size_t p = 0; p < count; ++p) {
      const std::uint8_t c = s_.u8();
      if (c < 216) per[p] = 1 + c % 3;
      else if (c < 232) per[p] = 0;
      else {
        const std::size_t limit = kMax / sizeof(fpm_finger);  // sums above it are past the address space
        per[p] = c % 2 ? kMax - c % 4 : limit - fingers_total + 1 + s_.below(3);
      }
      if (past) continue;
      if (per[p] > 3) {
        past = true;
        if (!null_per) e.fail(FPM_E_INVALID_ARGUMENT);
        continue;
      }
      if (per[p] == 0 && !null_per) e.fail(FPM_E_INVALID_ARGUMENT);
      fingers_total += per[p];
    }
    std::vector<fpm_finger> fingers(std::max<std::size_t>(fingers_total, 1));
    for (std::size_t f = 0; f < fingers_total; ++f) {
      fingers[f].t = as<fpm_template>(pick_handle(Kind::Template));
      fingers[f].position = pick_position(s_, false);
      if (!null_fingers && !null_per) {
        e.handle(handle_status(fingers[f].t, Kind::Template));
        if (fingers[f].position < 0 || fingers[f].position > 10) e.fail(FPM_E_INVALID_ARGUMENT);
      }
    }
    // An exact array: a read past the fingers is caught.
    std::vector<fpm_finger> exact(fingers.begin(), fingers.begin() + static_cast<long>(fingers_total));
    bool null_options = false;
    const fpm_search_options o = search_options(null_options, e);
    std::size_t real = 0;
    bool overflow = false;
    const std::size_t capacity = pick_capacity(count, o.top_k, sizeof(fpm_subject_candidate), real, overflow);
    run_subject_search(h, exact, per, count, null_fingers, null_per, null_out, null_found, null_options, o, o.top_k,
                       o.min_score, capacity, real, overflow, e);
  }

  void run_subject_search(const void* h, const std::vector<fpm_finger>& fingers, const std::vector<std::size_t>& per,
                          std::size_t count, bool null_fingers, bool null_per, bool null_out, bool null_found,
                          bool null_options, const fpm_search_options& o, std::size_t top_k, float min_score,
                          std::size_t capacity, std::size_t real, bool overflow, Expect& e) {
    if (capacity < top_k) e.fail(FPM_E_BUFFER_TOO_SMALL);
    if (overflow) e.fail(FPM_E_INVALID_ARGUMENT);
    SearchOutputs<fpm_subject_candidate> bufs(real, count);
    std::vector<fpm_subject_candidate>& out = bufs.out;
    std::vector<std::size_t>& found = bufs.found;
    const fpm_finger* fp = fingers.empty() ? nullptr : fingers.data();
    fpm_finger none{nullptr, 0};  // an array of no fingers: a valid pointer all the same
    if (!fp) fp = &none;
    const fpm_status st = fpm_engine_search_subjects(
        as<fpm_engine>(h), null_fingers ? nullptr : fp, null_per ? nullptr : per.data(), count,
        null_options ? nullptr : &o, null_out ? nullptr : out.data(), capacity, null_found ? nullptr : found.data());
    check_status("fpm_engine_search_subjects", st, e);
    if (st != FPM_OK) {
      bufs.require_untouched("fpm_engine_search_subjects");
      return;
    }
    const EngineRec* r = engine_rec(h);
    // Subjects with a live entry, and per probe finger the verify scores.
    std::map<std::string, std::vector<std::size_t>> subjects;
    for (std::size_t i = 0; i < r->entries.size(); ++i)
      if (!r->entries[i].removed) subjects[r->entries[i].subject].push_back(i);
    std::size_t k = 0;
    for (std::size_t p = 0; p < count; ++p) {
      const std::size_t n = found[p];
      require(n <= top_k && n <= subjects.size(), "fpm_engine_search_subjects",
              "found more than top_k or than the subjects");
      bool have_ref = true;
      std::vector<std::vector<float>> ref(per[p]);
      for (std::size_t f = 0; f < per[p]; ++f)
        have_ref = have_ref && reference_scores(r->entries, fingers[k + f].t, ref[f]);
      std::map<std::string, float> fused;
      if (have_ref)
        for (const auto& s : subjects) {
          float sum = 0.0f;
          for (std::size_t f = 0; f < per[p]; ++f) {
            float best = 0.0f;
            const int fpos = fingers[k + f].position;
            for (std::size_t i : s.second) {
              const int epos = r->entries[i].position;
              if (fpos == 0 || epos == 0 || fpos == epos) best = std::max(best, ref[f][i]);
            }
            sum += best;
          }
          fused[s.first] = sum / static_cast<float>(per[p]);
        }
      for (std::size_t i = 0; i < n; ++i) {
        const fpm_subject_candidate& c = out[p * capacity + i];
        require(std::memchr(c.subject, '\0', sizeof c.subject) != nullptr && subjects.count(c.subject) == 1,
                "fpm_engine_search_subjects", "a subject without live entries (or not NUL-terminated)");
        require(c.score >= 0.0f && c.score <= 1.0f && c.score >= min_score, "fpm_engine_search_subjects",
                "a score outside [0, 1] or below min_score");
        if (i > 0) {
          const fpm_subject_candidate& prev = out[p * capacity + i - 1];
          require(prev.score > c.score || (prev.score == c.score && std::strcmp(prev.subject, c.subject) < 0),
                  "fpm_engine_search_subjects", "subjects not best first, ties by subject id");
        }
        if (have_ref)
          require(c.score == fused[c.subject], "fpm_engine_search_subjects", "a score other than the mean of the fingers' best verify scores");
      }
      if (have_ref) {
        std::vector<std::pair<float, std::string>> want;
        for (const auto& s : fused)
          if (s.second >= min_score) want.push_back({s.second, s.first});
        std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
          return a.first > b.first || (a.first == b.first && a.second < b.second);
        });
        if (want.size() > top_k) want.resize(top_k);
        require(n == want.size(), "fpm_engine_search_subjects", "not as many subjects as the verify scores give");
        for (std::size_t i = 0; i < n; ++i)
          require(want[i].second == out[p * capacity + i].subject, "fpm_engine_search_subjects",
                  "not the best subjects by fpm_verify");
      }
      k += per[p];
    }
  }

  // Replaces a gallery file by a new one (a new inode, renamed over it): a
  // gallery or engine loaded from the old one maps it, and a file mapped
  // must not be rewritten in place (docs/gallery-format.md).
  void replace_slot(std::size_t slot, const std::vector<std::uint8_t>& b) {
    const std::string tmp = slot_path(slot) + ".new";
    write_whole(tmp, b);
    if (std::rename(tmp.c_str(), slot_path(slot).c_str()) != 0) violated("cannot rename a temporary file");
  }

  // Gallery files: junk, cut or altered copies, copies, removals.
  void files() {
    const std::size_t to = s_.below(kSlots), from = s_.below(kSlots);
    const std::uint8_t r = s_.u8() % 5;
    std::vector<std::uint8_t> b;
    if (r == 0) {  // junk: any bytes below the smallest gallery (8192 bytes) are corrupt
      replace_slot(to, s_.bytes(3000));
      slots_[to].state = Slot::Corrupt;
    } else if (r == 4) {
      ::unlink(slot_path(to).c_str());
      slots_[to].state = Slot::Absent;
    } else if (slots_[from].state == Slot::Valid && read_whole(slot_path(from), b) && !b.empty()) {
      const std::vector<Entry> model = slots_[from].entries;
      if (r == 1) {
        b.resize(s_.below(b.size()));  // cut
      } else if (r == 2) {
        // A byte altered: every byte is under a CRC or must be zero.
        b[s_.below(b.size())] ^= static_cast<std::uint8_t>(1 + s_.below(255));
      }
      replace_slot(to, b);
      slots_[to].state = r == 3 ? Slot::Valid : Slot::Corrupt;
      slots_[to].entries = r == 3 ? model : std::vector<Entry>{};
    }
  }

  void misc() {
    // Statuses 0-31 only: fpm_status_string of a value outside the C++
    // enum's range (0-31; e.g. 999 or -1, which C callers may pass) is
    // undefined behaviour in capi.cpp that UBSan reports (a known finding).
    const int st = static_cast<int>(s_.below(32));
    const char* name = fpm_status_string(static_cast<fpm_status>(st));
    require(name != nullptr && name[0] != '\0', "fpm_status_string", "no name");
    const bool known = st >= 0 && st <= FPM_E_WRONG_HANDLE_KIND;
    require(known == (std::strcmp(name, "unknown status") != 0), "fpm_status_string", "a name for an unknown status or none for a known one");
    require(fpm_version() != nullptr && fpm_version_number() == FPM_VERSION_NUMBER, "fpm_version", "not this version");
    require(fpm_last_error() != nullptr, "fpm_last_error", "NULL");
    fpm_decode_options_init(nullptr);
    fpm_engine_options_init(nullptr);
    fpm_search_options_init(nullptr);
  }
};

}  // namespace

int capi(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> trace;
  g_trace = &trace;
  {
    Src src{data, size};
    Session session(src);
    session.run();
  }
  static const bool print = std::getenv("FPM_FUZZ_CAPI_TRACE") != nullptr;  // to see what inputs do
  if (print)
    for (const std::string& s : trace) std::fprintf(stderr, "%s\n", s.c_str());
  g_trace = nullptr;
  return 0;
}

}  // namespace fpm_fuzz
