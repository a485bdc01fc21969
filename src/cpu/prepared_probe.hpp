// A probe prepared once per search (the probe side of a comparison does not
// change from one gallery entry to the next): its per-cylinder summaries are
// computed once, at the search's SIMD level, and read against every entry.
#pragma once

#include <memory>

#include "cpu/score_stages.hpp"

namespace fpm::cpu {

class PreparedProbe {
 public:
  PreparedProbe(const ScoreStages& stages, const mcc::CylinderSetView& set)
      : set_(set), summary_(std::make_unique<SetSummary>()) {
    if (stages.summarise) stages.summarise(set, *summary_);
  }
  ScoreSide side() const { return {set_, summary_.get()}; }

 private:
  mcc::CylinderSetView set_;
  std::unique_ptr<SetSummary> summary_;
};

}  // namespace fpm::cpu
