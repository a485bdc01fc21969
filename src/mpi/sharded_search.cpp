// A gallery sharded over MPI ranks (sharded_search.hpp). Every collective
// step is reached by every rank whatever failed locally: a rank that could
// not load its shard or decode a probe still takes part in the gather and
// the broadcast that follow, carrying its error, so that a failure anywhere
// ends the step everywhere with one message at rank 0, never a hang.
#include "mpi/sharded_search.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <dirent.h>
#include <map>
#include <new>
#include <set>

#include "fpmatch/identification.hpp"
#include "fpmatch/matcher.hpp"

namespace fpm::mpi {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Runs f; returns (0, "") or the error's code and message.
template <class F>
std::pair<int, std::string> attempt(F&& f) {
  try {
    f();
    return {0, ""};
  } catch (const Error& e) {
    return {static_cast<int>(e.code()), e.what()};
  } catch (const std::bad_alloc&) {
    return {static_cast<int>(ErrorCode::OutOfMemory), "out of memory"};
  } catch (const std::exception& e) {
    return {static_cast<int>(ErrorCode::Internal), e.what()};
  }
}

// The shard counts of the split files in `dir` (shard-<i>-of-<N>.fpg).
std::set<unsigned long> split_counts(const std::string& dir) {
  std::set<unsigned long> counts;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return counts;
  while (dirent* e = ::readdir(d)) {
    unsigned long i = 0, n = 0;
    char tail[8] = {0};
    if (std::sscanf(e->d_name, "shard-%lu-of-%lu.fp%7s", &i, &n, tail) == 3 && std::string(tail) == "g") counts.insert(n);
  }
  ::closedir(d);
  return counts;
}

struct DecodedProbes {
  std::vector<EncodedTemplate> views;  // per template
  std::vector<std::string> labels;
  std::vector<std::size_t> view_index;
  std::vector<std::vector<FingerProbe>> fingers;  // per subject
};

DecodedProbes decode_probes(const Request& r, const DecodeOptions& opt) {
  DecodedProbes d;
  for (const ProbeFile& f : r.probes) {
    DecodedRecord rec;
    try {
      rec = decode(f.bytes, opt);
    } catch (const Error& e) {
      throw Error(e.code(), f.label + ": " + e.what());
    }
    if (r.subjects) {
      std::vector<FingerProbe> fingers;
      for (const auto& v : rec.views) fingers.push_back({encode_cylinders(v), static_cast<std::uint8_t>(v.info().position)});
      d.fingers.push_back(std::move(fingers));
    } else {
      for (std::size_t v = 0; v < rec.views.size(); ++v) {
        d.views.push_back(encode_cylinders(rec.views[v]));
        d.labels.push_back(f.label);
        d.view_index.push_back(v);
      }
    }
  }
  return d;
}

}  // namespace

std::vector<std::uint8_t> ShardedSearch::gather(const std::vector<std::uint8_t>& mine, std::vector<std::size_t>* sizes) {
  // Each rank's part, and all of them together, must fit an int (MPI
  // counts): 2 GB of candidates is far beyond any top-K list.
  int n = mine.size() > static_cast<std::size_t>(INT_MAX) ? -1 : static_cast<int>(mine.size());
  std::vector<int> counts(rank_ == 0 ? size_ : 0);
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm_);
  std::vector<int> displs;
  std::size_t total = 0;
  int fits = 1;
  if (rank_ == 0) {
    for (int c : counts) {
      if (c < 0) fits = 0;
      displs.push_back(static_cast<int>(std::min<std::size_t>(total, INT_MAX)));
      total += static_cast<std::size_t>(std::max(c, 0));
    }
    if (total > static_cast<std::size_t>(INT_MAX)) fits = 0;
  }
  // Every rank learns whether the parts fit one message before any is sent.
  MPI_Bcast(&fits, 1, MPI_INT, 0, comm_);
  if (!fits) throw RankFailure(ErrorCode::OutOfMemory, "fpmatch-mpi: the ranks' answers exceed one message (2 GB)");
  std::vector<std::uint8_t> all(total);
  MPI_Gatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, 0, comm_);
  if (sizes) sizes->assign(counts.begin(), counts.end());
  return all;
}

void ShardedSearch::agree(int code, const std::string& message) {
  // Rank 0's verdict to every rank: the first error code, or 0.
  MPI_Bcast(&code, 1, MPI_INT, 0, comm_);
  if (code != 0)
    throw RankFailure(static_cast<ErrorCode>(code), rank_ == 0 ? message : "failed on some rank (rank 0 says which)");
}

ShardedSearch::ShardedSearch(MPI_Comm comm, const std::string& dir, const EngineOptions& engine,
                             const DecodeOptions& decode)
    : comm_(comm), decode_(decode) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  const std::string path = dir + "/" + shard_file_name(static_cast<std::uint32_t>(rank_), static_cast<std::uint32_t>(size_));
  auto [code, message] = attempt([&] {
    if (rank_ == 0) {
      const std::set<unsigned long> counts = split_counts(dir);
      if (!counts.empty() && !counts.count(static_cast<unsigned long>(size_))) {
        std::string found;
        for (unsigned long n : counts) found += (found.empty() ? "" : ", ") + std::to_string(n);
        throw Error(ErrorCode::InvalidArgument, "'" + dir + "' holds a split into " + found +
                                                    " shard(s), not " + std::to_string(size_) +
                                                    ": run one rank per shard (mpirun -np " +
                                                    std::to_string(*counts.begin()) + ")");
      }
    }
    Shard s = load_shard(path);
    info_ = std::move(s.info);
    engine_ = std::make_unique<Engine>(std::move(s.gallery), engine);
  });
  // Each rank's outcome and shard summary to rank 0.
  WireWriter w;
  w.u32(static_cast<std::uint32_t>(code));
  w.str(code ? "rank " + std::to_string(rank_) + ": " + path + ": " + message : "");
  w.str(info_.split_id);
  w.u32(info_.shard);
  w.u32(info_.shards);
  w.u32(info_.source_crc);
  w.u64(info_.source_entries);
  w.u64(info_.source_live);
  w.u64(info_.source_subjects);
  w.u64(info_.entries);
  w.u64(info_.subjects);
  w.str(engine_ ? backend_name(engine_->backend()) : "");
  w.str(engine_ ? engine_->fallback_reason() : "");
  std::vector<std::size_t> sizes;
  const std::vector<std::uint8_t> all = gather(w.buffer(), &sizes);
  int verdict = 0;
  std::string why;
  if (rank_ == 0) {
    auto [c0, m0] = attempt([&] {
      std::vector<ShardInfo> summary;
      std::size_t at = 0;
      for (int r = 0; r < size_; ++r) {
        WireReader rd(all.data() + at, sizes[r]);
        at += sizes[r];
        const int c = static_cast<int>(rd.u32());
        const std::string m = rd.str();
        ShardInfo s;
        s.split_id = rd.str();
        s.shard = rd.u32();
        s.shards = rd.u32();
        s.source_crc = rd.u32();
        s.source_entries = rd.u64();
        s.source_live = rd.u64();
        s.source_subjects = rd.u64();
        s.entries = rd.u64();
        s.subjects = rd.u64();
        const std::string backend = rd.str(), reason = rd.str();
        backends_.push_back(reason.empty() ? backend : backend + " (" + reason + ")");
        summary.push_back(std::move(s));
        if (c != 0) {
          if (verdict == 0) verdict = c;
          why += (why.empty() ? "" : "\n") + m;
        }
      }
      if (verdict == 0) {
        auto [c, m] = attempt([&] { check_complete_split(summary); });
        verdict = c;
        why = "the shards in '" + dir + "' are not one split: " + m;
      }
    });
    if (c0 != 0 && verdict == 0) {
      verdict = c0;
      why = "rank 0: " + m0;
    }
  }
  agree(verdict, why);
}

ShardedSearch::~ShardedSearch() = default;

bool ShardedSearch::next(const Request* at_rank0, Request* out) {
  std::vector<std::uint8_t> bytes;
  std::uint64_t n = 0;
  if (rank_ == 0 && at_rank0) {
    WireWriter w;
    w.u8(1);
    write_request(w, *at_rank0);
    bytes = std::move(w.buffer());
    n = bytes.size();
  }
  MPI_Bcast(&n, 1, MPI_UINT64_T, 0, comm_);
  if (n == 0) return false;
  bytes.resize(n);
  // In pieces of at most 1 GB: MPI counts are ints.
  for (std::uint64_t at = 0; at < n; at += (std::uint64_t(1) << 30))
    MPI_Bcast(bytes.data() + at, static_cast<int>(std::min<std::uint64_t>(n - at, std::uint64_t(1) << 30)), MPI_BYTE, 0,
              comm_);
  WireReader r(bytes.data(), bytes.size());
  r.u8();
  *out = read_request(r);
  r.end();
  return true;
}

std::vector<std::uint64_t> ShardedSearch::exchange_keys(const std::vector<std::vector<ShortlistKey>>& keys,
                                                        std::size_t probes, std::size_t m, int code,
                                                        const std::string& message) {
  WireWriter w;
  w.u32(static_cast<std::uint32_t>(code));
  w.str(code ? "rank " + std::to_string(rank_) + ": " + message : "");
  write_keys(w, keys);
  std::vector<std::size_t> sizes;
  const std::vector<std::uint8_t> all = gather(w.buffer(), &sizes);
  std::vector<std::uint64_t> shares;  // probe-major: probes x ranks
  int verdict = 0;
  std::string why;
  if (rank_ == 0) {
    auto [c0, m0] = attempt([&] {
      std::vector<std::vector<std::vector<ShortlistKey>>> per_rank;
      std::size_t at = 0;
      for (int r = 0; r < size_; ++r) {
        WireReader rd(all.data() + at, sizes[r]);
        at += sizes[r];
        const int c = static_cast<int>(rd.u32());
        const std::string msg = rd.str();
        per_rank.push_back(read_keys(rd));
        rd.end();
        if (c != 0 && verdict == 0) {
          verdict = c;
          why = msg;
        }
      }
      if (verdict == 0) {
        shares.assign(probes * size_, 0);
        for (std::size_t p = 0; p < probes; ++p) {
          std::vector<std::pair<ShortlistKey, int>> best;
          for (int r = 0; r < size_; ++r)
            for (const ShortlistKey& k : per_rank[r].at(p)) best.push_back({k, r});
          const std::size_t k = std::min(m, best.size());
          std::partial_sort(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(k), best.end(),
                            [](const auto& a, const auto& b) { return better(a.first, b.first); });
          for (std::size_t i = 0; i < k; ++i) ++shares[p * size_ + best[i].second];
        }
      }
    });
    if (c0 != 0 && verdict == 0) {
      verdict = c0;
      why = "rank 0: " + m0;
    }
  }
  agree(verdict, why);
  shares.resize(probes * size_);
  MPI_Bcast(shares.data(), static_cast<int>(shares.size()), MPI_UINT64_T, 0, comm_);
  std::vector<std::uint64_t> mine(probes);
  for (std::size_t p = 0; p < probes; ++p) mine[p] = shares[p * size_ + rank_];
  return mine;
}

Answer ShardedSearch::run(const Request& request) {
  const auto t0 = Clock::now();
  DecodedProbes probes;
  auto [code, message] = attempt([&] { probes = decode_probes(request, decode_); });
  const std::size_t P = request.subjects ? probes.fingers.size() : probes.views.size();
  const std::uint64_t N = request.subjects ? info_.source_subjects : info_.source_live;
  const std::size_t M = shortlist_size(request.options, static_cast<std::size_t>(N));  // the whole gallery's

  SearchOptions o = request.options;
  bool exchanged = false;
  if (M != 0) {
    // Two-stage: the global shortlist. Between its engine's stages, each
    // rank sends its best M stage-1 keys (with global ranks) to rank 0,
    // which takes the best M of all and tells each rank how many of them
    // are its own; the engine's stage 2 then scores exactly those.
    o.shortlist = M;
    o.shortlist_fraction = 0;
    o.shortlist_filter = [&](std::vector<std::vector<ShortlistEntry>>& lists) {
      std::vector<std::vector<ShortlistKey>> keys(lists.size());
      for (std::size_t p = 0; p < lists.size(); ++p)
        for (const ShortlistEntry& e : lists[p])
          keys[p].push_back({e.score, request.subjects ? info_.subject_rank.at(e.index) : info_.global_index.at(e.index)});
      exchanged = true;
      const std::vector<std::uint64_t> mine = exchange_keys(keys, lists.size(), M, 0, "");
      for (std::size_t p = 0; p < lists.size(); ++p)
        if (mine[p] < lists[p].size()) lists[p].resize(mine[p]);
    };
  }

  RankAnswer local;
  if (code == 0) {
    std::tie(code, message) = attempt([&] {
      const std::uint64_t before = engine_->comparisons();
      if (request.subjects) {
        local.subjects = engine_->search_subjects(probes.fingers, o);
        engine_->with_gallery([&](const Gallery& g) { local.compared = compared_entries(g, probes.fingers, local.subjects); });
        for (auto& list : local.subjects) to_source_indices(info_, list);
      } else {
        local.candidates = engine_->search(probes.views, o);
        for (auto& list : local.candidates) to_source_indices(info_, list);
      }
      local.comparisons = engine_->comparisons() - before;
      local.seconds = since(t0);
    });
  }
  // A rank that failed before its engine reached the key exchange still
  // takes part in it, with its error, so that no rank waits for it.
  if (M != 0 && !exchanged) {
    auto [c, m] = attempt([&] { exchange_keys({}, P, M, code ? code : static_cast<int>(ErrorCode::Internal), message); });
    if (code == 0) std::tie(code, message) = std::make_pair(c, m);
  }
  if (code != 0) local = RankAnswer{};  // nothing half-made goes on the wire
  local.error = code;
  local.message = code ? "rank " + std::to_string(rank_) + ": " + message : "";
  WireWriter w;
  write_answer(w, local);
  std::vector<std::size_t> sizes;
  const std::vector<std::uint8_t> all = gather(w.buffer(), &sizes);
  Answer out;
  int verdict = 0;
  std::string why;
  if (rank_ == 0) {
    auto [c0, m0] = attempt([&] {
      const auto tm = Clock::now();
      std::vector<RankAnswer> answers;
      std::size_t at = 0;
      for (int r = 0; r < size_; ++r) {
        WireReader rd(all.data() + at, sizes[r]);
        at += sizes[r];
        answers.push_back(read_answer(rd));
        rd.end();
        if (answers.back().error != 0 && verdict == 0) {
          verdict = answers.back().error;
          why = answers.back().message;
        }
      }
      if (verdict == 0) {
        for (const RankAnswer& a : answers) {
          out.comparisons += a.comparisons;
          out.slowest_rank_seconds = std::max(out.slowest_rank_seconds, a.seconds);
        }
        if (request.subjects) {
          out.fingers = std::move(probes.fingers);
          for (std::size_t p = 0; p < P; ++p) {
            std::vector<std::vector<SubjectCandidate>> lists;
            std::map<std::string, const std::vector<std::size_t>*> compared;
            for (const RankAnswer& a : answers) {
              lists.push_back(a.subjects[p]);
              for (std::size_t k = 0; k < a.subjects[p].size(); ++k) compared[a.subjects[p][k].subject] = &a.compared[p][k];
            }
            out.subjects.push_back(merge_shard_subjects(lists, request.options.top_k));
            std::vector<std::vector<std::size_t>> c;
            for (const SubjectCandidate& s : out.subjects.back()) c.push_back(*compared.at(s.subject));
            out.compared.push_back(std::move(c));
          }
        } else {
          out.labels = std::move(probes.labels);
          out.views = std::move(probes.view_index);
          for (std::size_t p = 0; p < P; ++p) {
            std::vector<std::vector<Candidate>> lists;
            for (const RankAnswer& a : answers) lists.push_back(a.candidates[p]);
            out.candidates.push_back(merge_shard_candidates(lists, request.options.top_k));
          }
        }
      }
      out.merge_seconds = since(tm);
      out.seconds = since(t0);
    });
    if (c0 != 0 && verdict == 0) {
      verdict = c0;
      why = "rank 0: " + m0;
    }
  }
  agree(verdict, why);
  return out;
}

}  // namespace fpm::mpi
