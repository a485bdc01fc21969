// What the ranks of fpmatch-mpi send each other, as bytes: the request rank
// 0 broadcasts, and each rank's answer gathered at rank 0. Little-endian,
// length-prefixed; a reader refuses a message that ends early or has bytes
// left over (fpm::Error(Internal): ranks of one job run the same program, so
// a bad message is a bug, never input).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fpmatch/engine.hpp"

namespace fpm::mpi {

// One probe file as every rank gets it: rank 0 reads the file once and
// sends its bytes, so that ranks on other nodes need no shared file system.
struct ProbeFile {
  std::string label;  // the path as given (printed with the answers)
  std::vector<std::uint8_t> bytes;
};

struct Request {
  bool subjects = false;  // per-subject search (each file one multi-finger probe)
  SearchOptions options;
  std::vector<ProbeFile> probes;
};

// A stage-1 key of the two-stage search across shards: the stage-1 score and
// the global rank that breaks ties (the source entry index, per template;
// the subject's rank by id, per subject). Better = higher score, then lower rank.
struct ShortlistKey {
  std::uint32_t score = 0;
  std::uint64_t rank = 0;
};
inline bool better(const ShortlistKey& a, const ShortlistKey& b) {
  return a.score != b.score ? a.score > b.score : a.rank < b.rank;
}

// One rank's answer to a request: an error, or per probe its candidates
// (source indices) and, per subject, the compared counts of
// fpm::compared_entries.
struct RankAnswer {
  int error = 0;            // an fpm::ErrorCode; 0 = fine
  std::string message;      // when error != 0
  std::uint64_t comparisons = 0;
  double seconds = 0;       // the rank's own search time
  std::vector<std::vector<Candidate>> candidates;
  std::vector<std::vector<SubjectCandidate>> subjects;
  std::vector<std::vector<std::vector<std::size_t>>> compared;
};

class WireWriter {
 public:
  void u8(std::uint8_t v) { b_.push_back(v); }
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void f32(float v);
  void f64(double v);
  void str(const std::string& s);
  void bytes(const std::vector<std::uint8_t>& v);
  std::vector<std::uint8_t>& buffer() { return b_; }

 private:
  std::vector<std::uint8_t> b_;
};

class WireReader {
 public:
  WireReader(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
  std::uint8_t u8();
  std::uint32_t u32();
  std::uint64_t u64();
  float f32();
  double f64();
  std::string str();
  std::vector<std::uint8_t> bytes();
  void end() const;  // throws unless every byte was read

 private:
  const std::uint8_t* take(std::size_t k);
  const std::uint8_t* p_;
  std::size_t n_, at_ = 0;
};

void write_request(WireWriter& w, const Request& r);
Request read_request(WireReader& r);
void write_answer(WireWriter& w, const RankAnswer& a);
RankAnswer read_answer(WireReader& r);
void write_keys(WireWriter& w, const std::vector<std::vector<ShortlistKey>>& keys);
std::vector<std::vector<ShortlistKey>> read_keys(WireReader& r);

}  // namespace fpm::mpi
