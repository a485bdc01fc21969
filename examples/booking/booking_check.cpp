// booking_check: the check a booking sends to its databases. Each ANSI/NIST
// transaction (the booking's fingers, Type-9 minutiae records) is searched
// against every named gallery, and for each one the answer is hit or no hit
// at a known false-positive identification rate (FPIR) at that gallery's
// subject count, with the candidate subjects and their per-finger evidence.
// The galleries are loaded once and their engines kept for all the
// transactions. What to do with a hit is an examiner's decision, never the
// program's (docs/booking.md).
//
//   booking_check [--fpir X] [--top K] [--json] --gallery NAME=FILE ... TRANSACTION ...
//
// Exit status: 0 every transaction answered; 2 bad command line; 3 a
// transaction that cannot be searched (it does not decode, holds no finger,
// or holds a finger twice); 4 a file that cannot be read; 1 otherwise.
#include <fpmatch/fpmatch.hpp>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

struct NamedEngine {
  std::string name, file;
  std::unique_ptr<fpm::Engine> engine;
  std::size_t subjects = 0;
};

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--fpir X] [--top K] [--json] --gallery NAME=FILE ... TRANSACTION ...\n", argv0);
  return 2;
}

// JSON string literal (subject ids and file names may hold any byte but
// control characters; those are escaped).
std::string quoted(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else {
      o += static_cast<char>(c);
    }
  }
  return o + "\"";
}

std::string fmr_text(float score) {
  const fpm::FmrEstimate f = fpm::false_match_rate(score);
  char b[32];
  std::snprintf(b, sizeof b, "%s%.1e", f.upper_bound ? "< " : "", f.fmr);
  return b;
}

// The transaction's fingers as a per-subject probe. Refuses a finger
// position that appears twice: one booking holds each finger once, and two
// records of one finger would count its evidence twice.
std::vector<fpm::FingerProbe> fingers_of(const fpm::DecodedRecord& rec, const std::string& file) {
  std::vector<fpm::FingerProbe> out;
  std::set<int> seen;
  for (const fpm::Template& v : rec.views) {
    const int pos = static_cast<int>(v.info().position);
    if (pos != 0 && !seen.insert(pos).second)
      throw fpm::Error(fpm::ErrorCode::InvalidArgument,
                       file + ": finger position " + std::to_string(pos) + " appears twice in the transaction");
    if (v.size() == 0) continue;  // a finger without minutiae says nothing
    out.push_back({fpm::encode_cylinders(v), static_cast<std::uint8_t>(pos)});
  }
  if (out.empty()) throw fpm::Error(fpm::ErrorCode::NoViews, file + ": no finger with minutiae to search");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  double fpir = 0.001;
  std::size_t top = 5;
  bool json = false;
  std::vector<NamedEngine> galleries;
  std::vector<std::string> transactions;
  std::vector<std::pair<std::string, std::string>> to_load;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") {
      json = true;
    } else if ((a == "--fpir" || a == "--top" || a == "--gallery") && i + 1 < argc) {
      const std::string v = argv[++i];
      char* end = nullptr;
      if (a == "--fpir") {
        fpir = std::strtod(v.c_str(), &end);
        if (*end != '\0' || !(fpir > 0 && fpir < 1)) {
          std::fprintf(stderr, "booking_check: --fpir must be a number in (0, 1), not '%s'\n", v.c_str());
          return 2;
        }
      } else if (a == "--top") {
        const long k = std::strtol(v.c_str(), &end, 10);
        if (*end != '\0' || k < 1 || k > 1000) return usage(argv[0]);
        top = static_cast<std::size_t>(k);
      } else {
        const std::size_t eq = v.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) return usage(argv[0]);
        to_load.push_back({v.substr(0, eq), v.substr(eq + 1)});
      }
    } else if (!a.empty() && a[0] == '-') {
      return usage(argv[0]);
    } else {
      transactions.push_back(a);
    }
  }
  if (to_load.empty() || transactions.empty()) return usage(argv[0]);
  try {
    for (const auto& [name, file] : to_load) {
      NamedEngine g{name, file, nullptr, 0};
      g.engine = std::make_unique<fpm::Engine>(fpm::Gallery::load(file));
      g.engine->with_gallery([&](const fpm::Gallery& gal) { g.subjects = gal.subjects(); });
      galleries.push_back(std::move(g));
    }
  } catch (const fpm::Error& e) {
    std::fprintf(stderr, "booking_check: %s\n", e.what());
    return e.code() == fpm::ErrorCode::Io ? 4 : 3;
  }
  int status = 0;
  if (json) std::printf("[");
  bool first_json = true;
  for (const std::string& file : transactions) {
    std::vector<fpm::FingerProbe> probe;
    try {
      probe = fingers_of(fpm::decode_file(file), file);
    } catch (const fpm::Error& e) {
      std::fprintf(stderr, "booking_check: %s\n", e.what());
      status = e.code() == fpm::ErrorCode::Io ? 4 : 3;
      continue;
    }
    std::string positions;
    for (const auto& f : probe) positions += (positions.empty() ? "" : ",") + std::to_string(f.position);
    if (json) {
      std::printf("%s\n {\"transaction\": %s, \"target_fpir\": %g, \"finger_positions\": [%s], \"galleries\": [",
                  first_json ? "" : ",", quoted(file).c_str(), fpir, positions.c_str());
      first_json = false;
    } else {
      std::printf("%s: %zu finger(s), positions %s\n", file.c_str(), probe.size(), positions.c_str());
    }
    for (std::size_t gi = 0; gi < galleries.size(); ++gi) {
      const NamedEngine& g = galleries[gi];
      fpm::SearchOptions so;
      so.top_k = top;
      const auto found = g.engine->search_subjects({probe}, so);
      const fpm::IdentificationDecision d = fpm::decide_subjects_at_fpir(*g.engine, {probe}, found, fpir)[0];
      const std::vector<fpm::SubjectCandidate>& c = found[0];
      if (json) {
        std::printf("%s\n  {\"gallery\": %s, \"file\": %s, \"subjects\": %zu, \"subject_fmr_threshold\": %.6g, "
                    "\"hit\": %s, \"hits\": [",
                    gi ? "," : "", quoted(g.name).c_str(), quoted(g.file).c_str(), d.subjects, d.fmr_threshold,
                    d.hit ? "true" : "false");
        for (std::size_t h = 0; h < d.hits.size(); ++h)
          std::printf("%s%s", h ? ", " : "", quoted(c[d.hits[h]].subject).c_str());
        std::printf("], \"candidates\": [");
        for (std::size_t r = 0; r < c.size(); ++r) {
          std::printf("%s\n   {\"subject\": %s, \"score\": %.6f, \"subject_fmr\": %.6g, \"fpir\": %.6g, \"fingers\": [",
                      r ? "," : "", quoted(c[r].subject).c_str(), c[r].score, d.evidence[r].fmr, d.fpir[r]);
          for (std::size_t k = 0; k < c[r].finger_scores.size(); ++k)
            std::printf("%s{\"probe_position\": %d, \"score\": %.6f, \"finger_fmr\": %.6g}", k ? ", " : "",
                        probe[k].position, c[r].finger_scores[k], d.evidence[r].finger_fmrs[k]);
          std::printf("]}");
        }
        std::printf("]}");
        continue;
      }
      std::printf("  %-12s %zu subjects: %s at FPIR %.1e (a hit needs subject FMR <= %.1e)\n", g.name.c_str(),
                  d.subjects, d.hit ? "HIT" : "no hit", fpir, d.fmr_threshold);
      // The hits, or (no hit) the best candidate, with the evidence per finger.
      std::vector<std::size_t> shown = d.hits;
      if (shown.empty() && !c.empty()) shown.push_back(0);
      for (std::size_t r : shown) {
        std::printf("    %s %s: score %.4f, subject FMR %.1e, FPIR at %zu subjects %.1e\n      fingers",
                    d.hit ? "candidate" : "best, not a hit:", c[r].subject.c_str(), c[r].score, d.evidence[r].fmr,
                    d.subjects, d.fpir[r]);
        for (std::size_t k = 0; k < c[r].finger_scores.size(); ++k)
          std::printf(" %d:%.3f(%s)", probe[k].position, c[r].finger_scores[k], fmr_text(c[r].finger_scores[k]).c_str());
        std::printf("\n");
      }
      if (d.hit) std::printf("    (for an examiner to verify)\n");
    }
    if (json) std::printf("]}");
  }
  if (json) std::printf("\n]\n");
  return status;
}
