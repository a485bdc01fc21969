// Stage 1 of the two-stage search on one shard, as keys that compare across
// shards: what makes a sharded two-stage search shortlist exactly the
// entries (subjects) the unsplit gallery's would (docs/scale-out.md,
// "Two-stage search over shards"). The scores are fpm::first_stage_score,
// the engine's own stage-1 score (integer arithmetic, the same everywhere).
#pragma once

#include <cstddef>
#include <vector>

#include "fpmatch/engine.hpp"
#include "fpmatch/first_stage.hpp"
#include "fpmatch/gallery.hpp"
#include "fpmatch/shard.hpp"
#include "mpi/wire.hpp"

namespace fpm::mpi {

class ShardStageOne {
 public:
  // The codes of every entry of the shard's gallery (computed from the
  // cylinders: the same codes the gallery stores).
  ShardStageOne(const Gallery& g, const ShardInfo& info);

  // Per probe, this shard's best `m` keys, best first (fewer when the shard
  // has fewer entries). Per template: the stage-1 score of each entry.
  std::vector<std::vector<ShortlistKey>> entry_keys(const std::vector<EncodedTemplate>& probes, std::size_t m) const;
  // Per subject: the sum over the probe's fingers of each finger's best
  // score among the subject's compatible entries (positions equal or either
  // 0), as the engine ranks subjects in stage 1.
  std::vector<std::vector<ShortlistKey>> subject_keys(const std::vector<std::vector<FingerProbe>>& probes,
                                                      std::size_t m) const;

 private:
  std::vector<FirstStageCode> codes_;
  std::vector<std::uint8_t> position_;
  std::vector<std::uint64_t> entry_rank_;    // per entry: its source index
  std::vector<std::vector<std::size_t>> subject_entries_;  // per subject in id order
  std::vector<std::uint64_t> subject_rank_;  // per subject: its global rank
};

}  // namespace fpm::mpi
