#include "access.hpp"
#include "gallery/gallery_data.hpp"

#include <cstdio>
#include <numeric>

#include "fpmatch/error.hpp"
#include "index/first_stage_code.hpp"
#include "mcc/encoded.hpp"

namespace fpm {

std::uint32_t Gallery::Data::intern_subject(const std::string& s) {
  auto it = subject_index.find(s);
  if (it != subject_index.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(subject_names.size());
  subject_names.push_back(s);
  subject_live.push_back(0);
  subject_index.emplace(s, id);
  return id;
}

void Gallery::Data::append_code(std::size_t i) {
  const std::size_t at = code.size();
  code.resize(at + index::kCodeWords);
  code_aux.push_back(index::make_code(view(i), code.data() + at));
}

void Gallery::Data::rebuild_subject_index() {
  subject_index.clear();
  for (std::uint32_t i = 0; i < subject_names.size(); ++i) subject_index.emplace(subject_names[i], i);
  subject_live.assign(subject_names.size(), 0);
  live = 0;
  for (std::size_t e = 0; e < size(); ++e)
    if (!removed(e)) {
      ++subject_live[subject[e]];
      ++live;
    }
  live_subjects = 0;
  for (std::uint32_t n : subject_live) live_subjects += n > 0;
}

Gallery::Gallery() : d_(std::make_unique<Data>()) {}
Gallery::~Gallery() = default;
Gallery::Gallery(Gallery&&) noexcept = default;
Gallery& Gallery::operator=(Gallery&&) noexcept = default;
Gallery::Gallery(const Gallery& o) : d_(std::make_unique<Data>(*o.d_)) {}
Gallery& Gallery::operator=(const Gallery& o) {
  if (this != &o) d_ = std::make_unique<Data>(*o.d_);
  return *this;
}

void Gallery::reserve(std::size_t entries, std::size_t cylinders) {
  Data& d = *d_;
  const std::size_t e = d.size() + entries, c = d.x.size() + cylinders;
  d.offset.reserve(e + 1);
  d.subject.reserve(e);
  d.position.reserve(e);
  d.flags.reserve(e);
  d.hash.reserve(e);
  d.code.reserve(e * index::kCodeWords);
  d.code_aux.reserve(e);
  d.bits.reserve(c * mcc::kCylinderWords);
  d.valid.reserve(c * mcc::kValidityWords);
  d.x.reserve(c);
  d.y.reserve(c);
  d.theta.reserve(c);
}

std::size_t Gallery::add(const std::string& subject, std::uint8_t position, const EncodedTemplate& t) {
  if (subject.empty() || subject.size() > 255)
    throw Error(ErrorCode::InvalidArgument, "gallery: a subject id must be 1-255 bytes");
  if (const std::size_t at = Data::control_byte(subject.data(), subject.size()); at != std::string::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(subject[at]));
    throw Error(ErrorCode::InvalidArgument, "gallery: a subject id must not hold control characters (byte " +
                                                std::to_string(at) + " is " + byte + ")");
  }
  if (position > 10)
    throw Error(ErrorCode::InvalidArgument, "gallery: finger position " + std::to_string(position) + " (valid: 0-10)");
  Data& d = *d_;
  const EncodedTemplate::Data& e = detail::Access::data(t);
  const std::uint32_t sid = d.intern_subject(subject);
  d.subject.push_back(sid);
  d.position.push_back(position);
  d.flags.push_back(0);
  d.hash.push_back(e.hash);
  d.bits.insert(d.bits.end(), e.bits.begin(), e.bits.end());
  d.valid.insert(d.valid.end(), e.valid.begin(), e.valid.end());
  d.x.insert(d.x.end(), e.x.begin(), e.x.end());
  d.y.insert(d.y.end(), e.y.begin(), e.y.end());
  d.theta.insert(d.theta.end(), e.theta.begin(), e.theta.end());
  d.offset.push_back(d.offset.back() + e.x.size());
  d.append_code(d.size() - 1);
  if (d.subject_live[sid]++ == 0) ++d.live_subjects;
  ++d.live;
  return d.size() - 1;
}

std::size_t Gallery::add(const std::string& subject, const Template& t) {
  return add(subject, static_cast<std::uint8_t>(t.info().position), encode_cylinders(t));
}

void Gallery::remove(std::size_t index) {
  Data& d = *d_;
  if (index >= d.size()) throw Error(ErrorCode::InvalidArgument, "gallery: no entry " + std::to_string(index));
  if (d.removed(index)) return;
  d.flags[index] |= Data::kRemoved;
  --d.live;
  if (--d.subject_live[d.subject[index]] == 0) --d.live_subjects;
}

std::size_t Gallery::remove_subject(const std::string& subject) {
  Data& d = *d_;
  auto it = d.subject_index.find(subject);
  if (it == d.subject_index.end()) return 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < d.size(); ++i)
    if (d.subject[i] == it->second && !d.removed(i)) {
      remove(i);
      ++n;
    }
  return n;
}

void Gallery::compact() {
  const Data& d = *d_;
  auto out = std::make_unique<Data>();
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (d.removed(i)) continue;
    const std::uint32_t sid = out->intern_subject(d.subject_names[d.subject[i]]);
    const std::uint64_t c0 = d.offset[i], c1 = d.offset[i + 1];
    out->subject.push_back(sid);
    out->position.push_back(d.position[i]);
    out->flags.push_back(0);
    out->hash.push_back(d.hash[i]);
    out->bits.insert(out->bits.end(), d.bits.begin() + static_cast<long>(c0 * mcc::kCylinderWords),
                     d.bits.begin() + static_cast<long>(c1 * mcc::kCylinderWords));
    out->valid.insert(out->valid.end(), d.valid.begin() + static_cast<long>(c0 * mcc::kValidityWords),
                      d.valid.begin() + static_cast<long>(c1 * mcc::kValidityWords));
    out->x.insert(out->x.end(), d.x.begin() + static_cast<long>(c0), d.x.begin() + static_cast<long>(c1));
    out->y.insert(out->y.end(), d.y.begin() + static_cast<long>(c0), d.y.begin() + static_cast<long>(c1));
    out->theta.insert(out->theta.end(), d.theta.begin() + static_cast<long>(c0), d.theta.begin() + static_cast<long>(c1));
    out->offset.push_back(out->offset.back() + (c1 - c0));
    out->code.insert(out->code.end(), d.code.begin() + static_cast<long>(i * index::kCodeWords),
                     d.code.begin() + static_cast<long>((i + 1) * index::kCodeWords));
    out->code_aux.push_back(d.code_aux[i]);
  }
  out->rebuild_subject_index();
  d_ = std::move(out);
}

const std::string& Gallery::load_note() const noexcept { return d_->load_note; }
std::size_t Gallery::size() const noexcept { return d_->size(); }
std::size_t Gallery::live_size() const noexcept { return d_->live; }
std::size_t Gallery::subjects() const noexcept { return d_->live_subjects; }

GalleryEntryInfo Gallery::entry(std::size_t index) const {
  const Data& d = *d_;
  if (index >= d.size()) throw Error(ErrorCode::InvalidArgument, "gallery: no entry " + std::to_string(index));
  GalleryEntryInfo e;
  e.subject = d.subject_names[d.subject[index]];
  e.position = d.position[index];
  e.cylinders = d.offset[index + 1] - d.offset[index];
  e.removed = d.removed(index);
  return e;
}

EncodedTemplate Gallery::encoded(std::size_t index) const {
  const Data& d = *d_;
  if (index >= d.size()) throw Error(ErrorCode::InvalidArgument, "gallery: no entry " + std::to_string(index));
  auto e = std::make_shared<EncodedTemplate::Data>();
  const std::uint64_t c0 = d.offset[index], c1 = d.offset[index + 1];
  e->info.position = static_cast<FingerPosition>(d.position[index]);
  e->source_minutiae = static_cast<std::uint32_t>(c1 - c0);
  e->bits.assign(d.bits.begin() + static_cast<long>(c0 * mcc::kCylinderWords), d.bits.begin() + static_cast<long>(c1 * mcc::kCylinderWords));
  e->valid.assign(d.valid.begin() + static_cast<long>(c0 * mcc::kValidityWords), d.valid.begin() + static_cast<long>(c1 * mcc::kValidityWords));
  e->x.assign(d.x.begin() + static_cast<long>(c0), d.x.begin() + static_cast<long>(c1));
  e->y.assign(d.y.begin() + static_cast<long>(c0), d.y.begin() + static_cast<long>(c1));
  e->theta.assign(d.theta.begin() + static_cast<long>(c0), d.theta.begin() + static_cast<long>(c1));
  e->source_index.resize(c1 - c0);
  std::iota(e->source_index.begin(), e->source_index.end(), 0);
  e->hash = d.hash[index];
  return detail::Access::make_encoded(std::move(e));
}

GalleryMemory Gallery::memory() const noexcept {
  const Data& d = *d_;
  GalleryMemory m;
  m.entries = d.live;
  for (std::size_t i = 0; i < d.size(); ++i)
    if (!d.removed(i)) m.cylinders += d.offset[i + 1] - d.offset[i];
  m.bytes = d.offset.size() * 8 + d.subject.size() * (4 + 1 + 1 + 8) + d.bits.size() * 8 + d.valid.size() * 8 +
            (d.x.size() + d.y.size() + d.theta.size()) * 4 + d.code.size() * 8 + d.code_aux.size() * 4;
  m.first_stage_bytes = d.code.size() * 8 + d.code_aux.size() * 4;
  for (const auto& s : d.subject_names) m.bytes += s.size() + 1 + 4;
  m.bytes_per_entry = d.live ? static_cast<double>(m.bytes) / static_cast<double>(d.live) : 0.0;
  return m;
}

}  // namespace fpm
