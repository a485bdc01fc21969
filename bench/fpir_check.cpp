// How well the subject FMR and FPIR(N) (identification.hpp) hold on data:
//   fpm_fpir_check synthetic SUBJECTS NONMATED MATED [SEED]
//                  [--shortlist F] [--check-exhaustive] [--threads T] [--pool N]
//     a gallery of SUBJECTS synthetic ten-print subjects (impression 0);
//     NONMATED ten-print probes of subjects not enrolled and MATED of
//     enrolled ones (impression 1), searched per subject (top 10); per
//     target FPIR the observed FPIR (non-mated probes with a hit) and FNIR
//     (mated probes whose subject is not a hit), for the evidence rule and,
//     at the same observed FPIR, for the mean rule; and the synthetic
//     per-finger impostor tail against the shipped real one.
//     --shortlist F searches in two stages (a fraction F of the subjects
//     gets the full matcher), as a large gallery is searched in practice;
//     --check-exhaustive also searches every probe exhaustively and counts
//     the probes whose outcome the shortlist changed (a shortlist can only
//     lower a non-mated probe's best evidence: its candidates' per-finger
//     scores are the exhaustive ones). --pool N: fingers in the synthetic
//     impostor pool whose tail model is the second calibration (default
//     2,000: about 2 million pairs; 600 gave a tail model that made the
//     observed FPIR up to 2.5 times the target).
//   fpm_fpir_check real DIR... [--same I,J ...]
//     chimeric subjects from FVC-style folders: each folder's fingers (in
//     name order) are one subject's positions 1..; impression 1 enrolled,
//     the others probes; other folders' subjects are non-mated, except
//     folders named the same fingers by --same (1-based, as fpmatch eval).
#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <chrono>

#include "fpmatch/fpmatch.hpp"

namespace {

const double kTargets[] = {1e-1, 1e-2, 1e-3};

struct Outcome {
  double fmr;       // subject FMR (evidence rule)
  float mean;       // mean score
  bool mated;
};

// Observed rate of non-mated outcomes at or beyond a cutoff, and the FNIR
// of mated ones at it, for a key where smaller is stronger.
template <class Key>
void rates_at(const std::vector<Outcome>& nonmated_best, const std::vector<Outcome>& mated, Key key, double cutoff,
              double* fpir, double* fnir) {
  std::size_t fp = 0, fn = 0;
  for (const Outcome& o : nonmated_best) fp += key(o) <= cutoff;
  for (const Outcome& o : mated) fn += key(o) > cutoff;
  *fpir = static_cast<double>(fp) / static_cast<double>(nonmated_best.size());
  *fnir = static_cast<double>(fn) / static_cast<double>(mated.size());
}

// The cutoff at which a share `fpir` of the non-mated best outcomes is
// reached (the empirical threshold of a rule without a model).
template <class Key>
double empirical_cutoff(const std::vector<Outcome>& nonmated_best, Key key, double fpir) {
  std::vector<double> k;
  for (const Outcome& o : nonmated_best) k.push_back(key(o));
  std::sort(k.begin(), k.end());
  const std::size_t allowed = static_cast<std::size_t>(std::floor(fpir * static_cast<double>(k.size())));
  if (allowed == 0) return std::nextafter(k.front(), -1e300);
  return std::nextafter(k[allowed], -1e300);
}

struct SyntheticRun {
  std::size_t subjects = 0, nonmated = 0, mated = 0;
  std::uint64_t seed = 1;
  double shortlist = 0;          // fraction of the subjects; 0 = exhaustive
  bool check_exhaustive = false;
  int threads = 0;               // 0 = all cores
  std::size_t pool = 2000;       // fingers in the synthetic impostor pool (2 million pairs)
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// f(i) for i in [0, n) on `threads` threads, the indices dealt round-robin
// (the impostor pool's row i has n - i - 1 pairs: contiguous runs would
// give the first thread most of the work).
template <class F>
void parallel_for(std::size_t n, int threads, F f) {
  const std::size_t t = static_cast<std::size_t>(std::max(1, threads));
  std::vector<std::thread> pool;
  for (std::size_t k = 0; k < t; ++k)
    pool.emplace_back([&, k] {
      for (std::size_t i = k; i < n; i += t) f(i);
    });
  for (std::thread& th : pool) th.join();
}

int synthetic(const SyntheticRun& run) {
  const std::size_t subjects = run.subjects, nonmated = run.nonmated, mated = run.mated;
  const std::uint64_t seed = run.seed;
  const int threads = run.threads > 0 ? run.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const auto t0 = std::chrono::steady_clock::now();
  fpm::SynthOptions so;
  so.seed = seed;
  const fpm::SyntheticFingers synth(so);
  fpm::Gallery g;
  // Made in blocks of subjects on every thread, enrolled in subject order
  // (the gallery's indices, which break ties, do not depend on threads).
  const std::size_t block = 2000;
  for (std::size_t s0 = 0; s0 < subjects; s0 += block) {
    const std::size_t n = std::min(block, subjects - s0);
    std::vector<fpm::EncodedTemplate> made(n * 10);
    parallel_for(n * 10, threads, [&](std::size_t i) {
      made[i] = fpm::encode_cylinders(synth.impression(s0 + i / 10, 1 + static_cast<int>(i % 10), 0));
    });
    for (std::size_t i = 0; i < made.size(); ++i)
      g.add("s" + std::to_string(s0 + i / 10), static_cast<std::uint8_t>(1 + i % 10), made[i]);
    std::fprintf(stderr, "\r%zu / %zu subjects enrolled", s0 + n, subjects);
  }
  std::fprintf(stderr, " (%.0f s)\n", seconds_since(t0));
  fpm::EngineOptions eo;
  eo.threads = threads;
  fpm::Engine engine(std::move(g), eo);
  auto probe_of = [&](std::uint64_t subject) {
    std::vector<fpm::FingerProbe> p;
    for (int f = 1; f <= 10; ++f)
      p.push_back({fpm::encode_cylinders(synth.impression(subject, f, 1)), static_cast<std::uint8_t>(f)});
    return p;
  };
  // Mated probe i is of enrolled subject mated_subject(i), spread over the gallery.
  auto mated_subject = [&](std::size_t i) { return i * subjects / std::max<std::size_t>(1, mated); };
  std::vector<std::vector<fpm::FingerProbe>> probes(nonmated + mated);
  parallel_for(probes.size(), threads, [&](std::size_t q) {
    probes[q] = q < nonmated ? probe_of(subjects + 1000000 + q) : probe_of(mated_subject(q - nonmated));
  });
  // A synthetic impostor pool (fingers of subjects never enrolled nor
  // probed), its tail model: the calibration a host would make from its own
  // data, here to test the fusion and FPIR(N) apart from the real-vs-
  // synthetic difference of the tails.
  std::vector<fpm::EncodedTemplate> pool_fingers;
  for (std::uint64_t s = 0; s < run.pool; ++s)
    pool_fingers.push_back(fpm::encode_cylinders(synth.impression(2000000 + s, 1 + static_cast<int>(s % 10), 0)));
  std::vector<std::vector<float>> rows(pool_fingers.size());
  parallel_for(pool_fingers.size(), threads, [&](std::size_t i) {
    thread_local fpm::Matcher matcher;
    for (std::size_t j = i + 1; j < pool_fingers.size(); ++j) rows[i].push_back(matcher.match(pool_fingers[i], pool_fingers[j]));
  });
  std::vector<float> imp;
  for (const std::vector<float>& r : rows) imp.insert(imp.end(), r.begin(), r.end());
  std::sort(imp.begin(), imp.end(), std::greater<float>());
  const fpm::TailModel own = fpm::fit_tail_model(imp, 0.01);
  std::fprintf(stderr, "probes and impostor pool made (%.0f s)\n", seconds_since(t0));
  // Per calibration (0: the shipped real one, 1: the synthetic pool's):
  // each non-mated probe's strongest candidate, each mated probe's own subject.
  struct Outcomes {
    std::vector<Outcome> nm_best[2], m_out[2];
  };
  auto search_all = [&](double shortlist, const char* what) {
    fpm::SearchOptions opt;
    opt.top_k = 10;
    opt.shortlist_fraction = shortlist;
    Outcomes out;
    const auto ts = std::chrono::steady_clock::now();
    for (std::size_t start = 0; start < probes.size(); start += 32) {
      const std::vector<std::vector<fpm::FingerProbe>> batch(
          probes.begin() + static_cast<long>(start),
          probes.begin() + static_cast<long>(std::min(probes.size(), start + 32)));
      const auto res = engine.search_subjects(batch, opt);
      for (std::size_t b = 0; b < res.size(); ++b) {
        const std::size_t q = start + b;
        const bool is_mated = q >= nonmated;
        const std::string truth = is_mated ? "s" + std::to_string(mated_subject(q - nonmated)) : "";
        for (int cal = 0; cal < 2; ++cal) {
          Outcome best{1.0, 0.0f, false}, mine{1.0, 0.0f, true};
          for (const fpm::SubjectCandidate& c : res[b]) {
            const double fmr = cal == 0 ? fpm::subject_evidence(c.finger_scores).fmr
                                        : fpm::subject_evidence(c.finger_scores, {}, own, imp).fmr;
            if (c.subject == truth) {
              mine = {fmr, c.score, true};
            } else {
              best.fmr = std::min(best.fmr, fmr);
              best.mean = std::max(best.mean, c.score);
            }
          }
          (is_mated ? out.m_out[cal] : out.nm_best[cal]).push_back(is_mated ? mine : best);
        }
      }
      std::fprintf(stderr, "\r%s: %zu / %zu probes (%.0f s)", what, std::min(probes.size(), start + 32),
                   probes.size(), seconds_since(ts));
    }
    std::fprintf(stderr, "\n");
    std::printf("%s search: %zu probes in %.1f s on %d threads\n", what, probes.size(), seconds_since(ts), threads);
    return out;
  };
  const Outcomes main_run = search_all(run.shortlist, run.shortlist > 0 ? "two-stage" : "exhaustive");
  const std::vector<Outcome>* nm_best = main_run.nm_best;
  const std::vector<Outcome>* m_out = main_run.m_out;
  if (run.check_exhaustive && run.shortlist > 0) {
    const Outcomes ex = search_all(0.0, "exhaustive");
    for (int cal = 0; cal < 2; ++cal) {
      std::size_t nm_changed = 0, m_changed = 0;
      for (std::size_t i = 0; i < ex.nm_best[cal].size(); ++i) nm_changed += ex.nm_best[cal][i].fmr != nm_best[cal][i].fmr;
      for (std::size_t i = 0; i < ex.m_out[cal].size(); ++i) m_changed += ex.m_out[cal][i].fmr != m_out[cal][i].fmr;
      std::printf("calibration %d: the shortlist changed the strongest non-mated candidate of %zu of %zu probes "
                  "and the mate's evidence of %zu of %zu\n",
                  cal, nm_changed, ex.nm_best[cal].size(), m_changed, ex.m_out[cal].size());
      for (double t : kTargets) {
        const double cutoff = fpm::subject_fmr_for_fpir(t, subjects);
        double f_two = 0, n_two = 0, f_ex = 0, n_ex = 0;
        rates_at(nm_best[cal], m_out[cal], [](const Outcome& o) { return o.fmr; }, cutoff, &f_two, &n_two);
        rates_at(ex.nm_best[cal], ex.m_out[cal], [](const Outcome& o) { return o.fmr; }, cutoff, &f_ex, &n_ex);
        std::printf("  target %.0e: FPIR two-stage %.2e exhaustive %.2e; FNIR two-stage %.4f exhaustive %.4f\n", t,
                    f_two, f_ex, n_two, n_ex);
      }
    }
  }
  std::printf("synthetic: %zu ten-print subjects enrolled, %zu non-mated and %zu mated ten-print probes, seed %llu, "
              "%s, impostor pool of %zu fingers\n",
              subjects, nonmated, mated, static_cast<unsigned long long>(seed),
              run.shortlist > 0 ? ("shortlist " + std::to_string(run.shortlist * 100) + "%").c_str() : "exhaustive",
              run.pool);
  for (int cal = 0; cal < 2; ++cal) {
  std::printf("%s\n", cal == 0 ? "calibration: the shipped real impostor scores"
                               : "calibration: the synthetic impostor pool's own tail model");
  std::printf("%10s  %14s  %14s  %12s  %18s\n", "target", "observed FPIR", "FNIR evidence", "(at observed)",
              "FNIR mean rule");
  const std::vector<Outcome>& nm = nm_best[cal];
  const std::vector<Outcome>& mo = m_out[cal];
  for (double t : kTargets) {
    const double cutoff = fpm::subject_fmr_for_fpir(t, subjects);
    double fpir = 0, fnir = 0;
    rates_at(nm, mo, [](const Outcome& o) { return o.fmr; }, cutoff, &fpir, &fnir);
    // Both rules at the same empirical FPIR, for a like-for-like ranking comparison.
    const double target_obs = std::max(fpir, 1.0 / static_cast<double>(nm.size()));
    double f1 = 0, fnir_e = 0, f2 = 0, fnir_m = 0;
    const auto ev = [](const Outcome& o) { return o.fmr; };
    const auto mean = [](const Outcome& o) { return -static_cast<double>(o.mean); };
    rates_at(nm, mo, ev, empirical_cutoff(nm, ev, target_obs), &f1, &fnir_e);
    rates_at(nm, mo, mean, empirical_cutoff(nm, mean, target_obs), &f2, &fnir_m);
    std::printf("%10.0e  %14.2e  %14.4f  %12.4f  %18.4f   (empirical FPIR %.2e / %.2e)\n", t, fpir, fnir, fnir_e,
                fnir_m, f1, f2);
  }
  }
  std::printf("per-finger impostor tail, synthetic (%zu pairs) against the shipped real calibration:\n", imp.size());
  for (double f : {1e-2, 1e-3, 1e-4}) {
    const float t = fpm::threshold_for_fmr(f);
    std::size_t above = 0;
    for (float x : imp) above += x >= t;
    std::printf("  real FMR %.0e at threshold %.4f: synthetic share %.2e\n", f, t,
                static_cast<double>(above) / static_cast<double>(imp.size()));
  }
  return 0;
}

int real(const std::vector<std::string>& dirs, const std::vector<std::pair<std::size_t, std::size_t>>& same) {
  // One subject per folder; files by finger label and impression.
  struct Subject {
    std::map<std::string, std::map<std::string, fpm::EncodedTemplate>> fingers;  // finger -> impression -> template
  };
  std::vector<Subject> subj(dirs.size());
  for (std::size_t d = 0; d < dirs.size(); ++d) {
    DIR* dir = ::opendir(dirs[d].c_str());
    if (!dir) throw fpm::Error(fpm::ErrorCode::Io, "cannot open folder '" + dirs[d] + "'");
    while (const dirent* e = ::readdir(dir)) {
      const std::string name = e->d_name;
      const std::string stem = name.substr(0, name.rfind('.'));
      const std::size_t us = stem.rfind('_');
      if (name[0] == '.' || us == std::string::npos || us == 0) continue;  // not FINGER_IMPRESSION.ext
      subj[d].fingers[stem.substr(0, us)].emplace(
          stem.substr(us + 1), fpm::encode_cylinders(fpm::decode_file(dirs[d] + "/" + name).views.front()));
    }
    ::closedir(dir);
  }
  auto linked = [&](std::size_t a, std::size_t b) {
    for (const auto& [x, y] : same)
      if ((x == a && y == b) || (x == b && y == a)) return true;
    return a == b;
  };
  fpm::Matcher m;
  std::vector<Outcome> mated, nonmated;
  for (std::size_t d = 0; d < dirs.size(); ++d) {
    std::set<std::string> impressions;
    for (const auto& [f, imps] : subj[d].fingers)
      for (const auto& [i, t] : imps) impressions.insert(i);
    for (const std::string& imp : impressions) {
      if (imp == "1") continue;
      for (std::size_t e = 0; e < dirs.size(); ++e) {
        if (e != d && linked(d, e)) continue;
        std::vector<float> scores;
        // Position k: the k-th finger (name order) of each folder.
        auto pf = subj[d].fingers.begin();
        auto ef = subj[e].fingers.begin();
        for (; pf != subj[d].fingers.end() && ef != subj[e].fingers.end(); ++pf, ++ef) {
          const auto p = pf->second.find(imp);
          if (p == pf->second.end()) continue;  // this probe lacks the finger
          const auto en = ef->second.find("1");
          scores.push_back(en == ef->second.end() ? 0.0f : m.match(p->second, en->second));
        }
        if (scores.empty()) continue;
        float mean = 0;
        for (float s : scores) mean += s;
        mean /= static_cast<float>(scores.size());
        (e == d ? mated : nonmated).push_back({fpm::subject_evidence(scores).fmr, mean, e == d});
      }
    }
  }
  std::printf("real chimeric subjects: %zu folders, %zu mated and %zu non-mated probe-subject comparisons\n", dirs.size(),
              mated.size(), nonmated.size());
  for (double a : {1e-1, 1e-2, 1e-3, 1e-4}) {
    std::size_t n = 0, fn = 0;
    for (const Outcome& o : nonmated) n += o.fmr <= a;
    for (const Outcome& o : mated) fn += o.fmr > a;
    std::printf("  subject FMR <= %.0e: %zu non-mated (expected %.2f), %zu of %zu mated above it\n", a, n,
                a * static_cast<double>(nonmated.size()), fn, mated.size());
  }
  double worst_mated = 0, best_nonmated = 1;
  for (const Outcome& o : mated) worst_mated = std::max(worst_mated, o.fmr);
  for (const Outcome& o : nonmated) best_nonmated = std::min(best_nonmated, o.fmr);
  std::printf("  weakest mated subject FMR %.2e; strongest non-mated %.2e\n", worst_mated, best_nonmated);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "synthetic" && argc >= 5) {
      SyntheticRun run;
      run.subjects = std::strtoull(argv[2], nullptr, 10);
      run.nonmated = std::strtoull(argv[3], nullptr, 10);
      run.mated = std::strtoull(argv[4], nullptr, 10);
      for (int i = 5; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--shortlist" && has_value) {
          run.shortlist = std::strtod(argv[++i], nullptr);
        } else if (a == "--check-exhaustive") {
          run.check_exhaustive = true;
        } else if (a == "--threads" && has_value) {
          run.threads = std::atoi(argv[++i]);
        } else if (a == "--pool" && has_value) {
          run.pool = std::strtoull(argv[++i], nullptr, 10);
        } else if (i == 5 && a[0] != '-') {
          run.seed = std::strtoull(argv[i], nullptr, 10);
        } else {
          std::fprintf(stderr, "fpm_fpir_check synthetic: unknown or incomplete option '%s'\n", a.c_str());
          return 2;
        }
      }
      // The tail model needs 50 scores above its top 1%: 5,000 pairs, 101 fingers.
      if (run.subjects == 0 || run.nonmated == 0 || run.mated == 0 || !(run.shortlist >= 0 && run.shortlist < 1) ||
          run.pool < 101) {
        std::fprintf(stderr, "fpm_fpir_check synthetic: SUBJECTS, NONMATED and MATED at least 1, "
                             "--shortlist in [0, 1), --pool at least 101\n");
        return 2;
      }
      return synthetic(run);
    }
    if (mode == "real" && argc >= 3) {
      std::vector<std::string> dirs;
      std::vector<std::pair<std::size_t, std::size_t>> same;
      for (int i = 2; i < argc; ++i) {
        if (std::string(argv[i]) == "--same" && i + 1 < argc) {
          unsigned a = 0, b = 0;
          if (std::sscanf(argv[++i], "%u,%u", &a, &b) != 2 || a == 0 || b == 0) {
            std::fprintf(stderr, "--same I,J: 1-based folder numbers\n");
            return 2;
          }
          same.emplace_back(a - 1, b - 1);
        } else {
          dirs.push_back(argv[i]);
        }
      }
      return real(dirs, same);
    }
    std::fprintf(stderr,
                 "usage: fpm_fpir_check synthetic SUBJECTS NONMATED MATED [SEED] [--shortlist F] [--check-exhaustive]\n"
                 "                      [--threads T] [--pool FINGERS]\n"
                 "       fpm_fpir_check real DIR... [--same I,J ...]\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fpm_fpir_check: %s\n", e.what());
    return 1;
  }
}
