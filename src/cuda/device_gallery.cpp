#include "cuda/device_gallery.hpp"

#include <algorithm>
#include <cstring>

#include "index/first_stage_code.hpp"

namespace fpm::detail::gpu {

namespace {
// (Named here: `index` is the subject index in the functions below.)
constexpr std::size_t kCodeWords = fpm::index::kCodeWords;
}  // namespace

void DeviceSets::allocate(std::size_t sets, std::size_t cylinders) {
  offset.allocate(sets + 1);
  hash.allocate(std::max<std::size_t>(sets, 1));
  position.allocate(std::max<std::size_t>(sets, 1));
  bits.allocate(std::max<std::size_t>(cylinders, 1) * mcc::kCylinderWords);
  valid.allocate(std::max<std::size_t>(cylinders, 1) * mcc::kValidityWords);
  x.allocate(std::max<std::size_t>(cylinders, 1));
  y.allocate(std::max<std::size_t>(cylinders, 1));
  theta.allocate(std::max<std::size_t>(cylinders, 1));
}

mcc::PackedSetsView DeviceSets::view() const {
  mcc::PackedSetsView v;
  v.offset = offset.get();
  v.hash = hash.get();
  v.position = position.get();
  v.bits = bits.get();
  v.valid = valid.get();
  v.x = x.get();
  v.y = y.get();
  v.theta = theta.get();
  v.count = count;
  v.max_cylinders = max_cylinders;
  return v;
}

Uploader::Uploader(Pinned& staging, cudaStream_t stream, std::size_t* done, std::size_t total,
                   const ProgressFn& progress)
    : stream_(stream), done_(done), total_(total), progress_(progress) {
  auto* buf = static_cast<unsigned char*>(staging.ensure(kStagingBytes));
  half_[0] = buf;
  half_[1] = buf + kHalf;
}

void Uploader::begin(void* dst) {
  issue();
  dst_ = static_cast<unsigned char*>(dst);
}

void Uploader::put(const void* src, std::size_t bytes) {
  const auto* s = static_cast<const unsigned char*>(src);
  while (bytes > 0) {
    const std::size_t n = std::min(bytes, kHalf - used_);
    std::memcpy(half_[cur_] + used_, s, n);
    used_ += n;
    s += n;
    bytes -= n;
    if (used_ == kHalf) issue();
  }
}

void Uploader::finish() {
  issue();
  complete();
}

void Uploader::complete() {
  if (in_flight_ == 0) return;
  check(cudaStreamSynchronize(stream_), "upload");
  *done_ += in_flight_;
  in_flight_ = 0;
  if (progress_) progress_(*done_, total_);
}

void Uploader::issue() {
  if (used_ == 0) return;
  complete();
  check(cudaMemcpyAsync(dst_, half_[cur_], used_, cudaMemcpyHostToDevice, stream_), "upload");
  dst_ += used_;
  in_flight_ = used_;
  used_ = 0;
  cur_ ^= 1;
}

std::vector<double> gallery_shares(const std::vector<int>& ids, std::size_t fixed) {
  std::vector<double> share(ids.size(), 0.0);
  double sum = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::size_t free_bytes = 0, total_bytes = 0;
    try {
      check(cudaSetDevice(ids[i]), "memory query");
      check(cudaMemGetInfo(&free_bytes, &total_bytes), "memory query");
    } catch (const Error& e) {
      throw device_failure(ids[i], "", e);
    }
    share[i] = free_bytes > fixed ? static_cast<double>(free_bytes - fixed) : 0.0;
    sum += share[i];
  }
  for (double& v : share) v = sum > 0 ? v / sum : 1.0 / static_cast<double>(ids.size());
  return share;
}

std::vector<GalleryPart> split_gallery(const Gallery::Data& g, const SubjectIndex& index,
                                       const std::vector<double>& share) {
  const std::size_t S = index.subject_list.size();
  const std::size_t total_entries = index.subject_entries.size();
  std::vector<GalleryPart> parts(share.size());
  std::size_t s = 0;
  double before = 0;
  for (std::size_t i = 0; i < share.size(); ++i) {
    GalleryPart& p = parts[i];
    p.first_subject = static_cast<std::uint32_t>(s);
    before += share[i];
    const auto target = static_cast<std::size_t>(static_cast<double>(total_entries) * before);
    while (s < S && (index.subject_offset[s] < target || i + 1 == share.size())) ++s;
    p.subjects = static_cast<std::uint32_t>(s - p.first_subject);
    p.entry_begin = index.subject_offset[p.first_subject];
    p.entries = index.subject_offset[p.first_subject + p.subjects] - p.entry_begin;
    for (std::size_t k = p.entry_begin; k < p.entry_begin + p.entries; ++k) {
      const std::uint32_t e = index.subject_entries[k];
      const std::size_t n = g.offset[e + 1] - g.offset[e];
      p.cylinders += n;
      p.max_cylinders = std::max(p.max_cylinders, static_cast<int>(n));
    }
  }
  return parts;
}

std::size_t DeviceGallery::bytes(const GalleryPart& p) {
  return DeviceSets::bytes(p.entries, p.cylinders) + p.entries * 4 + (p.subjects + 1) * 4 + p.subjects * 4 +
         code_bytes(p) + p.entries * 4;
}

std::size_t DeviceGallery::code_bytes(const GalleryPart& p) { return p.entries * kCodeWords * 8; }

mcc::PackedSetsView DeviceGallery::view() const {
  mcc::PackedSetsView v = sets.view();
  v.code = code.get();
  v.code_aux = code_aux.get();
  return v;
}

void DeviceGallery::allocate(const GalleryPart& p) {
  part = p;
  sets.allocate(p.entries, p.cylinders);
  sets.count = static_cast<std::uint32_t>(p.entries);
  sets.max_cylinders = p.max_cylinders;
  entry_id.allocate(std::max<std::size_t>(p.entries, 1));
  subject_offset.allocate(p.subjects + 1);
  subject_rank.allocate(std::max<std::uint32_t>(p.subjects, 1));
  code.allocate(std::max<std::size_t>(p.entries, 1) * kCodeWords);
  code_aux.allocate(std::max<std::size_t>(p.entries, 1));
}

void DeviceGallery::upload(const Gallery::Data& g, const SubjectIndex& index, Pinned& staging, cudaStream_t stream,
                           const ProgressFn& progress, std::size_t total, std::size_t* done) {
  const std::size_t E = part.entries, e0 = part.entry_begin;
  // Host-side per-entry tables, then the cylinder arrays through staging.
  std::vector<std::uint64_t> offset(E + 1), hash(E);
  std::vector<std::uint32_t> ids(E), aux(E);
  h_position.resize(E);
  std::size_t c = 0;
  for (std::size_t k = 0; k < E; ++k) {
    const std::uint32_t e = index.subject_entries[e0 + k];
    offset[k] = c;
    hash[k] = g.hash[e];
    ids[k] = e;
    aux[k] = g.code_aux[e];
    h_position[k] = g.position[e];
    c += g.offset[e + 1] - g.offset[e];
  }
  offset[E] = c;
  h_subject_offset.resize(part.subjects + 1);
  std::vector<std::uint32_t> ranks(part.subjects);
  for (std::uint32_t s = 0; s <= part.subjects; ++s)
    h_subject_offset[s] = static_cast<std::uint32_t>(index.subject_offset[part.first_subject + s] - e0);
  for (std::uint32_t s = 0; s < part.subjects; ++s) ranks[s] = part.first_subject + s;
  auto copy = [&](void* dst, const void* src, std::size_t bytes) {
    if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "upload");
  };
  copy(sets.offset.get(), offset.data(), (E + 1) * 8);
  copy(sets.hash.get(), hash.data(), E * 8);
  copy(sets.position.get(), h_position.data(), E);
  copy(entry_id.get(), ids.data(), E * 4);
  copy(code_aux.get(), aux.data(), E * 4);
  copy(subject_offset.get(), h_subject_offset.data(), (part.subjects + 1) * 4);
  copy(subject_rank.get(), ranks.data(), part.subjects * 4);
  Uploader up(staging, stream, done, total, progress);
  struct Field {
    void* dst;
    const unsigned char* src;
    std::size_t per_cylinder;
  };
  const Field fields[] = {
      {sets.bits.get(), reinterpret_cast<const unsigned char*>(g.bits.data()), mcc::kCylinderWords * 8},
      {sets.valid.get(), reinterpret_cast<const unsigned char*>(g.valid.data()), mcc::kValidityWords * 8},
      {sets.x.get(), reinterpret_cast<const unsigned char*>(g.x.data()), 4},
      {sets.y.get(), reinterpret_cast<const unsigned char*>(g.y.data()), 4},
      {sets.theta.get(), reinterpret_cast<const unsigned char*>(g.theta.data()), 4},
  };
  for (const Field& f : fields) {
    up.begin(f.dst);
    for (std::size_t k = 0; k < E; ++k) {
      const std::uint32_t e = index.subject_entries[e0 + k];
      up.put(f.src + g.offset[e] * f.per_cylinder, (g.offset[e + 1] - g.offset[e]) * f.per_cylinder);
    }
  }
  // The first-stage codes, per entry.
  up.begin(code.get());
  for (std::size_t k = 0; k < E; ++k)
    up.put(g.code.data() + std::size_t(index.subject_entries[e0 + k]) * kCodeWords, kCodeWords * 8);
  up.finish();
}

}  // namespace fpm::detail::gpu
