// The messages of fpmatch-mpi as bytes (wire.hpp).
#include "mpi/wire.hpp"

#include <cstring>

#include "fpmatch/error.hpp"

namespace fpm::mpi {

void WireWriter::u32(std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void WireWriter::u64(std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void WireWriter::f32(float v) {
  std::uint32_t u;
  std::memcpy(&u, &v, 4);
  u32(u);
}
void WireWriter::f64(double v) {
  std::uint64_t u;
  std::memcpy(&u, &v, 8);
  u64(u);
}
void WireWriter::str(const std::string& s) {
  u64(s.size());
  b_.insert(b_.end(), s.begin(), s.end());
}
void WireWriter::bytes(const std::vector<std::uint8_t>& v) {
  u64(v.size());
  b_.insert(b_.end(), v.begin(), v.end());
}

const std::uint8_t* WireReader::take(std::size_t k) {
  if (k > n_ - at_) throw Error(ErrorCode::Internal, "fpmatch-mpi: a message between ranks ends early");
  const std::uint8_t* p = p_ + at_;
  at_ += k;
  return p;
}
std::uint8_t WireReader::u8() { return *take(1); }
std::uint32_t WireReader::u32() {
  const std::uint8_t* p = take(4);
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint64_t WireReader::u64() {
  const std::uint8_t* p = take(8);
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
float WireReader::f32() {
  const std::uint32_t u = u32();
  float v;
  std::memcpy(&v, &u, 4);
  return v;
}
double WireReader::f64() {
  const std::uint64_t u = u64();
  double v;
  std::memcpy(&v, &u, 8);
  return v;
}
std::string WireReader::str() {
  const std::uint64_t n = u64();
  const std::uint8_t* p = take(n);
  return std::string(reinterpret_cast<const char*>(p), n);
}
std::vector<std::uint8_t> WireReader::bytes() {
  const std::uint64_t n = u64();
  const std::uint8_t* p = take(n);
  return std::vector<std::uint8_t>(p, p + n);
}
void WireReader::end() const {
  if (at_ != n_) throw Error(ErrorCode::Internal, "fpmatch-mpi: a message between ranks has bytes left over");
}

void write_request(WireWriter& w, const Request& r) {
  w.u8(r.subjects ? 1 : 0);
  w.u64(r.options.top_k);
  w.f32(r.options.min_score);
  w.u64(r.options.shortlist);
  w.f64(r.options.shortlist_fraction);
  w.u64(r.probes.size());
  for (const ProbeFile& p : r.probes) {
    w.str(p.label);
    w.bytes(p.bytes);
  }
}

Request read_request(WireReader& r) {
  Request q;
  q.subjects = r.u8() != 0;
  q.options.top_k = r.u64();
  q.options.min_score = r.f32();
  q.options.shortlist = r.u64();
  q.options.shortlist_fraction = r.f64();
  const std::uint64_t n = r.u64();
  for (std::uint64_t i = 0; i < n; ++i) {
    ProbeFile p;
    p.label = r.str();
    p.bytes = r.bytes();
    q.probes.push_back(std::move(p));
  }
  return q;
}

void write_answer(WireWriter& w, const RankAnswer& a) {
  w.u32(static_cast<std::uint32_t>(a.error));
  w.str(a.message);
  w.u64(a.comparisons);
  w.f64(a.seconds);
  w.u64(a.candidates.size());
  for (const auto& list : a.candidates) {
    w.u64(list.size());
    for (const Candidate& c : list) {
      w.u64(c.index);
      w.str(c.subject);
      w.u8(c.position);
      w.f32(c.score);
    }
  }
  w.u64(a.subjects.size());
  for (std::size_t p = 0; p < a.subjects.size(); ++p) {
    w.u64(a.subjects[p].size());
    for (std::size_t k = 0; k < a.subjects[p].size(); ++k) {
      const SubjectCandidate& s = a.subjects[p][k];
      w.str(s.subject);
      w.f32(s.score);
      w.u64(s.finger_scores.size());
      for (std::size_t f = 0; f < s.finger_scores.size(); ++f) {
        w.f32(s.finger_scores[f]);
        w.u64(s.finger_entries[f]);
        w.u64(a.compared[p][k][f]);
      }
    }
  }
}

RankAnswer read_answer(WireReader& r) {
  RankAnswer a;
  a.error = static_cast<int>(r.u32());
  a.message = r.str();
  a.comparisons = r.u64();
  a.seconds = r.f64();
  a.candidates.resize(r.u64());
  for (auto& list : a.candidates) {
    list.resize(r.u64());
    for (Candidate& c : list) {
      c.index = r.u64();
      c.subject = r.str();
      c.position = r.u8();
      c.score = r.f32();
    }
  }
  const std::uint64_t P = r.u64();
  a.subjects.resize(P);
  a.compared.resize(P);
  for (std::size_t p = 0; p < P; ++p) {
    a.subjects[p].resize(r.u64());
    a.compared[p].resize(a.subjects[p].size());
    for (std::size_t k = 0; k < a.subjects[p].size(); ++k) {
      SubjectCandidate& s = a.subjects[p][k];
      s.subject = r.str();
      s.score = r.f32();
      const std::uint64_t F = r.u64();
      for (std::uint64_t f = 0; f < F; ++f) {
        s.finger_scores.push_back(r.f32());
        s.finger_entries.push_back(r.u64());
        a.compared[p][k].push_back(r.u64());
      }
    }
  }
  return a;
}

void write_keys(WireWriter& w, const std::vector<std::vector<ShortlistKey>>& keys) {
  w.u64(keys.size());
  for (const auto& list : keys) {
    w.u64(list.size());
    for (const ShortlistKey& k : list) {
      w.u32(k.score);
      w.u64(k.rank);
    }
  }
}

std::vector<std::vector<ShortlistKey>> read_keys(WireReader& r) {
  std::vector<std::vector<ShortlistKey>> keys(r.u64());
  for (auto& list : keys) {
    list.resize(r.u64());
    for (ShortlistKey& k : list) {
      k.score = r.u32();
      k.rank = r.u64();
    }
  }
  return keys;
}

}  // namespace fpm::mpi
