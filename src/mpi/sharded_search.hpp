// A gallery sharded over the ranks of an MPI communicator: rank r holds
// shard r of a split (fpm::split_gallery) in its own Engine; rank 0 hands
// out requests and gets the merged answers, exactly those of one engine on
// the unsplit gallery (docs/scale-out.md). Every member function is
// collective: all ranks call it, in the same order.
#pragma once

#include <mpi.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fpmatch/engine.hpp"
#include "fpmatch/error.hpp"
#include "fpmatch/formats.hpp"
#include "fpmatch/shard.hpp"
#include "mpi/wire.hpp"

namespace fpm::mpi {

// The merged answer to a request, at rank 0.
struct Answer {
  // Per template: one probe per view of each file, with its file and view.
  std::vector<std::string> labels;
  std::vector<std::size_t> views;
  std::vector<std::vector<Candidate>> candidates;
  // Per subject: one probe per file (its fingers), the merged candidates,
  // and for each candidate and finger how many entries were compared.
  std::vector<std::vector<FingerProbe>> fingers;
  std::vector<std::vector<SubjectCandidate>> subjects;
  std::vector<std::vector<std::vector<std::size_t>>> compared;
  std::uint64_t comparisons = 0;  // all ranks together
  double seconds = 0;             // rank 0: from the broadcast to the merged answer
  double slowest_rank_seconds = 0;  // the longest local search (stage 1 keys included)
  double merge_seconds = 0;       // rank 0: reading the gathered lists and merging them
};

// Thrown on every rank when a collective step failed on some rank; at rank
// 0 the message names each failing rank and what failed.
struct RankFailure : Error {
  using Error::Error;
};

class ShardedSearch {
 public:
  // Rank r loads DIR/shard-<r>-of-<size>.fpg with its metadata (load_shard)
  // and makes its Engine; then the shards are checked to be one complete
  // split. When any rank fails, every rank throws RankFailure (the code of
  // the first failure; at rank 0 a message naming every failing rank and
  // its file), never hangs.
  ShardedSearch(MPI_Comm comm, const std::string& dir, const EngineOptions& engine, const DecodeOptions& decode);
  ~ShardedSearch();

  int rank() const noexcept { return rank_; }
  int ranks() const noexcept { return size_; }
  const ShardInfo& shard() const noexcept { return info_; }  // this rank's
  std::uint64_t templates() const noexcept { return info_.source_live; }
  std::uint64_t subjects() const noexcept { return info_.source_subjects; }
  const Engine& engine() const noexcept { return *engine_; }
  // Per rank (at rank 0; empty elsewhere): its backend and fallback reason.
  const std::vector<std::string>& backends() const noexcept { return backends_; }

  // Rank 0 passes the next request, or nullptr to stop; the other ranks
  // pass nullptr and get rank 0's request (false: stop).
  bool next(const Request* at_rank0, Request* out);
  // Answers a request that every rank got from next(). At rank 0: the
  // merged answer; elsewhere an empty one. A request that fails on any rank
  // (a probe that does not decode, a device failure) throws RankFailure on
  // every rank; the ranks stay in step and may go on with the next request.
  Answer run(const Request& request);

 private:
  // The two-stage key exchange (one collective step): this rank's best keys
  // per probe (or its error) to rank 0; returns per probe how many of the
  // global best m are this rank's.
  std::vector<std::uint64_t> exchange_keys(const std::vector<std::vector<ShortlistKey>>& keys, std::size_t probes,
                                           std::size_t m, int code, const std::string& message);
  std::vector<std::uint8_t> gather(const std::vector<std::uint8_t>& mine, std::vector<std::size_t>* sizes);
  void agree(int code, const std::string& message);  // throws RankFailure on every rank when any code != 0

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  DecodeOptions decode_;
  ShardInfo info_;
  std::unique_ptr<Engine> engine_;
  std::vector<std::string> backends_;
};

}  // namespace fpm::mpi
