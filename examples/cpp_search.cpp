// The same as c_search.c with the C++ API: load a gallery, search one probe
// file, print the candidates.
//   cpp_search GALLERY.fpg PROBE_FILE
#include <fpmatch/fpmatch.hpp>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s GALLERY.fpg PROBE_FILE\n", argv[0]);
    return 2;
  }
  try {
    fpm::Engine engine(fpm::Gallery::load(argv[1]));
    const fpm::Template probe = fpm::decode_file(argv[2]).views.at(0);
    fpm::SearchOptions options;
    options.top_k = 5;
    const auto found = engine.search({fpm::encode_cylinders(probe)}, options);
    int rank = 1;
    for (const fpm::Candidate& c : found[0]) {
      // Above every calibration impostor score the FMR is only an upper bound.
      const fpm::FmrEstimate f = fpm::false_match_rate(c.score);
      std::printf("%d. %s finger %d score %.6f fmr %s%.2e\n", rank++, c.subject.c_str(), c.position, c.score,
                  f.upper_bound ? "< " : "", f.fmr);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cpp_search: %s\n", e.what());
    return 1;
  }
}
