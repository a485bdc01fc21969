// Replays the committed fuzz corpus (fuzz/corpus/<target>/*) through the
// fuzz targets: a regression test for every input the fuzzers kept or that
// once caused a finding. Runs in ctest, also under ASan/UBSan.
#include <dirent.h>

#include <cstdio>
#include <string>
#include <vector>

#include "fpmatch/formats.hpp"
#include "targets.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  std::size_t total = 0;
  for (std::size_t t = 0; t < fpm_fuzz::kTargetCount; ++t) {
    const fpm_fuzz::Target& target = fpm_fuzz::kTargets[t];
    const std::string dir = std::string(argv[1]) + "/" + target.name;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
      std::fprintf(stderr, "missing corpus folder %s\n", dir.c_str());
      return 1;
    }
    std::size_t files = 0;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      const std::vector<std::uint8_t> bytes = fpm::read_file(dir + "/" + e->d_name);
      target.run(bytes.data(), bytes.size());
      ++files;
    }
    ::closedir(d);
    std::printf("%-9s %zu inputs\n", target.name, files);
    if (files == 0) {
      std::fprintf(stderr, "empty corpus folder %s\n", dir.c_str());
      return 1;
    }
    total += files;
  }
  std::printf("replayed %zu inputs, no findings\n", total);
  return 0;
}
