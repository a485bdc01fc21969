// The storage behind fpm::Gallery: every entry's cylinders packed in
// structure-of-arrays form, entries delimited by cylinder offsets (CSR). The
// same arrays are the sections of the gallery file and what a GPU copies.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "fpmatch/gallery.hpp"
#include "mcc/layout.hpp"
#include "mcc/packed_sets.hpp"
#include "util/pod_array.hpp"

namespace fpm {

struct Gallery::Data {
  static constexpr std::uint8_t kRemoved = 1;

  // Per entry.
  detail::PodArray<std::uint64_t> offset{0};  // size() + 1 cylinder offsets
  detail::PodArray<std::uint32_t> subject;    // index into subject_names
  detail::PodArray<std::uint8_t> position;    // finger position code
  detail::PodArray<std::uint8_t> flags;       // kRemoved
  detail::PodArray<std::uint64_t> hash;       // content hash of the entry's cylinders
  // The entry's first-stage code (index/first_stage_code.hpp): kCodeWords
  // words and the code's auxiliary value, computed from its cylinders at
  // add(), stored with the gallery (docs/gallery-format.md).
  detail::PodArray<std::uint64_t> code;
  detail::PodArray<std::uint32_t> code_aux;
  // Per cylinder.
  detail::PodArray<std::uint64_t> bits;   // kCylinderWords each
  detail::PodArray<std::uint64_t> valid;  // kValidityWords each
  detail::PodArray<float> x, y, theta;
  // Subjects.
  std::vector<std::string> subject_names;
  std::unordered_map<std::string, std::uint32_t> subject_index;
  std::vector<std::uint32_t> subject_live;  // live entries per subject
  std::size_t live = 0;
  std::string load_note;  // Gallery::load_note
  std::size_t live_subjects = 0;

  std::size_t size() const { return subject.size(); }
  bool removed(std::size_t i) const { return (flags[i] & kRemoved) != 0; }
  // Every entry, removed ones included (max_cylinders not tracked: 0).
  mcc::PackedSetsView packed() const {
    mcc::PackedSetsView v;
    v.offset = offset.data();
    v.hash = hash.data();
    v.position = position.data();
    v.bits = bits.data();
    v.valid = valid.data();
    v.x = x.data();
    v.y = y.data();
    v.theta = theta.data();
    v.code = code.data();
    v.code_aux = code_aux.data();
    v.count = static_cast<std::uint32_t>(size());
    return v;
  }
  mcc::CylinderSetView view(std::size_t i) const { return packed().set(i); }
  // Appends the first-stage code of the cylinders of entry i (the last
  // entry added, i == code_aux.size()).
  void append_code(std::size_t i);
  std::uint32_t intern_subject(const std::string& s);
  void rebuild_subject_index();

  // The position of the first control character (a byte below 0x20, or
  // 0x7f) of a subject id, or npos. Such ids are refused (add, load): they
  // would reach terminals, logs and JSON. Bytes from 0x80 (UTF-8) are fine.
  static std::size_t control_byte(const char* s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x20 || c == 0x7f) return i;
    }
    return std::string::npos;
  }
};

}  // namespace fpm
