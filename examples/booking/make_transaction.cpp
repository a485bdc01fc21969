// make_transaction: writes an ANSI/NIST-ITL transaction of Type-9 minutiae
// records, one per finger, as a booking station sends for a search
// (docs/booking.md). Two sources:
//
//   make_transaction OUT.an2k --synthetic SEED SUBJECT IMPRESSION
//       the ten fingers (positions 1-10) of synthetic subject SUBJECT
//       (0-based, as `fpmatch synth --seed SEED` numbers them: its gallery
//       holds impression 0, id s<SUBJECT+1, 7 digits>), impression IMPRESSION
//   make_transaction OUT.an2k POSITION=FILE ...
//       view 0 of each minutiae record FILE (any format fpmatch reads) as
//       the finger at POSITION (1-10; 0 = unknown)
#include <fpmatch/fpmatch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s OUT.an2k --synthetic SEED SUBJECT IMPRESSION\n"
               "       %s OUT.an2k POSITION=FILE...\n",
               argv0, argv0);
  return 2;
}

// A non-negative decimal number, or -1.
long long number(const std::string& s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(s);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage(argv[0]);
  const std::string out = argv[1];
  try {
    std::vector<fpm::Template> fingers;
    if (std::string(argv[2]) == "--synthetic") {
      if (argc != 6) return usage(argv[0]);
      const long long seed = number(argv[3]), subject = number(argv[4]), impression = number(argv[5]);
      if (seed < 0 || subject < 0 || impression < 0) return usage(argv[0]);
      fpm::SynthOptions so;
      so.seed = static_cast<std::uint64_t>(seed);
      const fpm::SyntheticFingers sf(so);
      for (int f = 1; f <= 10; ++f)
        fingers.push_back(sf.impression(static_cast<std::uint64_t>(subject), f, static_cast<std::uint64_t>(impression)));
    } else {
      for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        const std::size_t eq = arg.find('=');
        const long long pos = eq == std::string::npos ? -1 : number(arg.substr(0, eq));
        if (pos < 0 || pos > 10) return usage(argv[0]);
        const fpm::Template t = fpm::decode_file(arg.substr(eq + 1)).views.at(0);
        fpm::TemplateInfo info = t.info();
        info.position = static_cast<fpm::FingerPosition>(pos);
        fingers.push_back(fpm::Template(info, t.minutiae()));
      }
    }
    fpm::EncodeOptions eo;
    eo.transaction_type = "CAR";  // criminal arrest (booking), as agencies commonly name it
    const std::vector<std::uint8_t> bytes = fpm::encode(fingers, fpm::Format::AnsiNistItl, eo);
    fpm::write_file_atomic(out, bytes.data(), bytes.size());
    std::printf("%s: %zu finger(s), %zu bytes\n", out.c_str(), fingers.size(), bytes.size());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_transaction: %s\n", e.what());
    return 3;
  }
}
