#include "support.hpp"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>

namespace fpm_test {

void skip(const std::string& why) {
  std::fprintf(stderr, "SKIP: %s\n", why.c_str());
  std::fflush(stderr);
  std::exit(77);
}

std::string require_data_dir() {
  const char* env = std::getenv("FPM_DATA_DIR");
  const std::string dir = env && *env ? env : FPM_DEFAULT_DATA_DIR;
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return dir;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") FAIL("shared data folder not found at " << dir << " (CI=true)");
  skip("shared data folder not found at " + dir + " (set FPM_DATA_DIR)");
}

std::vector<std::string> list_files(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        n != "." && n != "..")
      out.push_back(dir + "/" + n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::uint8_t> read(const std::string& path) { return fpm::read_file(path); }

fpm::Template random_template(std::mt19937& rng, int minutiae, std::uint16_t width, std::uint16_t height) {
  std::uniform_int_distribution<int> ux(0, width - 1), uy(0, height - 1), ua(0, 255), ut(0, 2), uq(0, 100);
  std::vector<fpm::Minutia> ms;
  for (int i = 0; i < minutiae; ++i) {
    fpm::Minutia m;
    m.x = static_cast<float>(ux(rng));
    m.y = static_cast<float>(uy(rng));
    m.theta = static_cast<float>(ua(rng) * (2.0 * kPi / 256.0));
    m.type = static_cast<fpm::MinutiaType>(ut(rng));
    m.quality = static_cast<std::uint8_t>(uq(rng));
    ms.push_back(m);
  }
  fpm::TemplateInfo info;
  info.width = width;
  info.height = height;
  info.position = static_cast<fpm::FingerPosition>(std::uniform_int_distribution<int>(0, 10)(rng));
  info.impression = fpm::ImpressionType::LivePlain;
  info.finger_quality = static_cast<std::uint8_t>(uq(rng));
  return fpm::Template(info, std::move(ms));
}

std::vector<fpm::Template> numbered_views(const std::vector<fpm::Template>& views) {
  std::vector<fpm::Template> out;
  std::uint8_t next[11] = {};
  for (const fpm::Template& t : views) {
    fpm::TemplateInfo info = t.info();
    info.view = next[static_cast<unsigned>(info.position)]++;
    out.emplace_back(info, t.minutiae());
  }
  return out;
}

std::uint64_t fresh_seed(const char* what) {
  const auto s = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::printf("%s seed: %llu\n", what, static_cast<unsigned long long>(s));
  return s;
}

fpm::Template lattice_template(int side) {
  std::vector<fpm::Minutia> ms;
  for (int r = 0; r < side; ++r)
    for (int c = 0; c < side; ++c) {
      fpm::Minutia m;
      m.x = 40.0f + 28.0f * static_cast<float>(c);
      m.y = 40.0f + 28.0f * static_cast<float>(r);
      m.theta = 1.0f;
      m.type = fpm::MinutiaType::RidgeEnding;
      m.quality = 60;
      ms.push_back(m);
    }
  return fpm::Template(fpm::TemplateInfo{}, std::move(ms));
}

fpm::SyntheticFingers synthetic_fingers(std::uint64_t seed) {
  fpm::SynthOptions o;
  o.seed = seed;
  return fpm::SyntheticFingers(o);
}

std::vector<fpm::EncodedTemplate> parity_templates(std::uint64_t seed, int subjects, int impressions) {
  const fpm::SyntheticFingers sf = synthetic_fingers(seed);
  std::vector<fpm::EncodedTemplate> es;
  for (int subject = 0; subject < subjects; ++subject)
    for (int imp = 0; imp < impressions; ++imp)
      es.push_back(fpm::encode_cylinders(sf.impression(static_cast<std::uint64_t>(subject), 1 + subject % 10,
                                                       static_cast<std::uint64_t>(imp))));
  for (int side : {6, 9, 11}) es.push_back(fpm::encode_cylinders(lattice_template(side)));
  return es;
}

std::string make_temp_dir() {
  char name[] = "/tmp/fpm_test_XXXXXX";
  REQUIRE(::mkdtemp(name) != nullptr);
  return name;
}

void write_fvc_folder(const std::string& dir, const fpm::SyntheticFingers& synth, int fingers, int impressions) {
  for (int f = 0; f < fingers; ++f)
    for (int i = 0; i < impressions; ++i) {
      const std::vector<std::uint8_t> rec =
          fpm::encode({synth.impression(7, f + 1, static_cast<std::uint64_t>(i))}, fpm::Format::Iso19794_2_2005);
      fpm::write_file_atomic(dir + "/" + std::to_string(101 + f) + "_" + std::to_string(i + 1) + ".ist", rec.data(),
                             rec.size());
    }
}

const fpm::Evaluation& shared_sets_evaluation() {
  static const fpm::Evaluation ev = [] {
    const std::string root = require_data_dir();
    std::vector<std::string> dirs;
    for (const char* extractor : {"fvc2002", "secugen_fvc2002"})
      for (int db = 1; db <= 4; ++db) dirs.push_back(root + "/" + extractor + "_db" + std::to_string(db) + "b/iso");
    fpm::EvaluationOptions eo;
    eo.same_fingers = {{0, 4}, {1, 5}, {2, 6}, {3, 7}};
    return fpm::evaluate_folders(dirs, {}, eo);
  }();
  return ev;
}

}  // namespace fpm_test
