#include "common.hpp"

#include <cstdio>

namespace cli {

bool g_verbose = false;

std::string fmr_text(const fpm::FmrEstimate& f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, f.upper_bound ? "< %.2e" : "%.2e", f.fmr);
  return buf;
}

void put_fmr(nlohmann::json& j, const fpm::FmrEstimate& f) {
  if (f.upper_bound) {
    j["fmr"] = nullptr;
    j["fmr_below"] = f.fmr;
  } else {
    j["fmr"] = f.fmr;
  }
}

std::string backend_note(const fpm::Engine& engine) {
  const std::string why = engine.fallback_reason();
  if (why.empty()) return "";
  if (engine.backend() == fpm::Backend::Cuda) return "CUDA devices left out: " + why;
  const fpm::RuntimeInfo rt = fpm::runtime_info();
  if (!rt.cuda_built || rt.devices.empty()) {
    if (!g_verbose) return rt.cuda_status + "; searching on the CPU";
    return rt.cuda_status + "; searching on the CPU (" +
           (rt.cuda_detail.empty() ? why : "CUDA runtime: " + rt.cuda_detail) + ")";
  }
  return "CUDA not used: " + why;
}

void print_json(const nlohmann::json& j) {
  std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void print_note(const std::string& note) {
  if (!note.empty()) std::fprintf(stderr, "fpmatch: %s\n", note.c_str());
}

void ShortlistFlag::add_to(CLI::App* app) {
  app->add_option("--shortlist", text,
                  "Two-stage search: the full matcher only for the entries (subjects) stage 1 ranks best: "
                  "a count (500), a fraction (0.02) or a percentage (2%); 0 = exhaustive (the default)");
}

void ShortlistFlag::apply(fpm::SearchOptions& so) const {
  so.shortlist = 0;
  so.shortlist_fraction = 0.0;
  if (text.empty() || text == "0") return;
  const auto bad = [&] {
    return fpm::Error(fpm::ErrorCode::InvalidArgument,
                      "--shortlist '" + text + "': give a count (500), a fraction in (0, 1] (0.02) or a percentage (2%)");
  };
  std::string t = text;
  const bool percent = t.back() == '%';
  if (percent) t.pop_back();
  if (t.empty() || t.find_first_not_of("0123456789.eE+-") != std::string::npos || t[0] == '-' || t[0] == '+') throw bad();
  std::size_t used = 0;
  if (!percent && t.find_first_of(".eE") == std::string::npos) {
    unsigned long long n = 0;
    try {
      n = std::stoull(t, &used);
    } catch (const std::exception&) {
      throw bad();
    }
    if (used != t.size()) throw bad();
    so.shortlist = static_cast<std::size_t>(n);
    return;
  }
  double f = 0;
  try {
    f = std::stod(t, &used);
  } catch (const std::exception&) {
    throw bad();
  }
  if (used != t.size()) throw bad();
  if (percent) f /= 100.0;
  if (!(f > 0.0 && f <= 1.0)) throw bad();
  so.shortlist_fraction = f;
}

void add_same_fingers(CLI::App* cmd, std::vector<std::string>& texts, const std::string& effect) {
  cmd->add_option("--same-fingers", texts,
                  "I,J: folders I and J (1-based, in the order given) hold the same fingers under the same names "
                  "(two extractions of one image set); " + effect)
      // One pair per occurrence, so that folders may follow it.
      ->allow_extra_args(false);
}

std::vector<std::pair<std::size_t, std::size_t>> folder_pairs(const std::vector<std::string>& texts,
                                                              std::size_t folders) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (const std::string& s : texts) {
    unsigned a = 0, b = 0;
    char tail = 0;
    if (std::sscanf(s.c_str(), "%u,%u%c", &a, &b, &tail) != 2 || a == 0 || b == 0 || a > folders || b > folders)
      throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--same-fingers '" + s +
                                                            "': expected I,J with folder numbers 1 to " +
                                                            std::to_string(folders) + " in the order given");
    out.emplace_back(a - 1, b - 1);
  }
  return out;
}

fpm::Gallery load_gallery(const std::string& path) {
  fpm::Gallery g = fpm::Gallery::load(path);
  print_note(g.load_note());
  return g;
}

nlohmann::json header_value(const std::string& name, const std::string& text) {
  const bool decimal = name.find("date") == std::string::npos && !text.empty() && text.size() < 16 && text.find_first_not_of("0123456789") == std::string::npos &&
                       (text.size() == 1 || text[0] != '0');
  if (decimal) return std::stoull(text);
  return text;
}

std::string image_size_text(unsigned width, unsigned height) {
  if (width && height) return "image " + std::to_string(width) + "x" + std::to_string(height) + " px";
  if (height) return "image height " + std::to_string(height) + " px (width not recorded)";
  if (width) return "image width " + std::to_string(width) + " px (height not recorded)";
  return "image size not recorded";
}

void InputFlags::add_to(CLI::App* app) {
  app->add_option("--format", format, "Input format: auto, iso2005, iso2011, ansi2004, ansi2009, xyt, an2k")
      ->capture_default_str();
  app->add_flag("--strict", strict, "Refuse records with recoverable oddities instead of warning");
  app->add_option("--xyt", xyt, "Convention of .xyt input: nist (bottom-left origin) or m1")
      ->capture_default_str();
  app->add_option("--image-size", image_size, "Image size WxH of .xyt input (canonical 500 ppi pixels)");
  app->add_option("--assume-ppcm", assume_ppcm, "Resolution (px/cm) to assume for records declaring 0");
  app->add_option("--rescale", rescale,
                  "SX,SY: stretch every decoded view's geometry by SX along x and SY along y, for records whose "
                  "coordinates are not at the declared resolution (to undo a resize by FX,FY give 1/FX,1/FY)");
}

void EngineFlags::add_to(CLI::App* app) {
  app->add_option("--backend", backend, "auto, cpu or cuda")->capture_default_str();
  app->add_option("--threads", threads, "CPU threads (default: all cores)")->check(CLI::Range(0, fpm::kMaxEngineThreads));
  app->add_option("--devices", devices, "CUDA devices to split the gallery over, e.g. 0,1 (default: 0)")
      ->delimiter(',');
}

fpm::EngineOptions EngineFlags::options() const {
  fpm::EngineOptions o;
  o.backend = fpm::parse_backend_name(backend);
  if (threads < 0) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--threads must be at least 0");
  o.threads = threads;
  o.devices = devices;
  return o;
}

fpm::XytConvention parse_convention(const std::string& s) {
  if (s == "nist") return fpm::XytConvention::Nist;
  if (s == "m1") return fpm::XytConvention::M1;
  throw fpm::Error(fpm::ErrorCode::InvalidArgument, "unknown .xyt convention '" + s + "' (nist or m1)");
}

fpm::DecodeOptions InputFlags::options() const {
  fpm::DecodeOptions o;
  o.format = fpm::parse_format_name(format);
  o.strict = strict;
  o.xyt_convention = parse_convention(xyt);
  if (!image_size.empty()) {
    unsigned w = 0, h = 0;
    char x = 0, extra = 0;
    if (std::sscanf(image_size.c_str(), "%u%c%u%c", &w, &x, &h, &extra) != 3 || (x != 'x' && x != 'X') ||
        w == 0 || h == 0 || w > 65535 || h > 65535)
      throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--image-size wants WxH, e.g. 388x374");
    o.xyt_image_width = static_cast<std::uint16_t>(w);
    o.xyt_image_height = static_cast<std::uint16_t>(h);
  }
  if (assume_ppcm > 65535) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--assume-ppcm is too large");
  o.assume_resolution_ppcm = static_cast<std::uint16_t>(assume_ppcm);
  if (!rescale.empty()) {
    double sx = 0, sy = 0;
    char extra = 0;
    if (std::sscanf(rescale.c_str(), "%lf,%lf%c", &sx, &sy, &extra) != 2 || !(sx >= 0.25 && sx <= 4.0) ||
        !(sy >= 0.25 && sy <= 4.0))
      throw fpm::Error(fpm::ErrorCode::InvalidArgument, "--rescale wants SX,SY, each in [0.25, 4], e.g. 1.3,0.935");
    o.rescale_x = sx;
    o.rescale_y = sy;
  }
  return o;
}

const char* position_name(fpm::FingerPosition p) {
  static const char* names[] = {"unknown",    "right thumb", "right index", "right middle",
                                "right ring", "right little", "left thumb", "left index",
                                "left middle", "left ring",  "left little"};
  const unsigned i = static_cast<unsigned>(p);
  return i < 11 ? names[i] : "invalid";
}

const char* impression_name(fpm::ImpressionType t) {
  static const char* names[] = {"live-scan plain", "live-scan rolled", "non-live plain", "non-live rolled",
                                "latent impression", "latent tracing", "latent photo", "latent lift",
                                "live-scan swipe", "contactless"};
  const unsigned i = static_cast<unsigned>(t);
  return i < 10 ? names[i] : "invalid";
}

const char* minutia_type_name(fpm::MinutiaType t) {
  switch (t) {
    case fpm::MinutiaType::RidgeEnding: return "ending";
    case fpm::MinutiaType::Bifurcation: return "bifurcation";
    default: return "other";
  }
}

int report(const std::exception& e) {
  std::fprintf(stderr, "fpmatch: error: %s\n", e.what());
  return exit_code_of(e);
}

int exit_code_of(const std::exception& e) {
  if (auto* fe = dynamic_cast<const fpm::Error*>(&e)) {
    switch (fe->code()) {
      case fpm::ErrorCode::Io: return kIo;
      case fpm::ErrorCode::InvalidArgument: return kUsage;
      case fpm::ErrorCode::Internal: return kFailure;
      case fpm::ErrorCode::Unavailable: return kUnavailable;
      case fpm::ErrorCode::OutOfMemory: return kOutOfMemory;
      default: return kBadInput;
    }
  }
  return kFailure;
}

}  // namespace cli
