// Per-cylinder counts computed once per template, from which a comparison
// gets most of the popcounts of local_similarity (score.hpp) without
// counting them per pair. The CUDA score kernel uses them; the tests compare
// local_similarity_summarised with local_similarity on every cell pair of
// the shared templates and of synthetic ones.
//
// local_similarity needs, on the common validity m = va & vb, the counts
// |m|, |a & m|, |b & m| and |(a & m) ^ (b & m)|. An encoded cylinder's bits
// lie inside its validity, and its validity inside the disc (the encoder
// builds them so, the gallery loader refuses anything else). Hence
// |a & m| = |a & vb|, |b & m| = |b & va|, a & b lies inside m, and
//   |(a & m) ^ (b & m)| = |a & m| + |b & m| - 2 |a & b|.
// |a & vb| over the six layers is a weighted count of three bit planes of
// the per-cell layer count (p0 + 2 p1 + 4 p2): 12 words instead of 24. And
// when a cylinder's validity is the whole disc (|va| = kDiscCells), m = vb,
// |a & m| = |a| and |m| = |vb| are known in advance. Every count is an
// integer, so the similarity is the same float as local_similarity's.
#pragma once

#include <cstdint>

#include "mcc/layout.hpp"
#include "mcc/score.hpp"

namespace fpm::mcc {

// Words of one cylinder's bit planes: plane q, word w at [q * 4 + w].
constexpr int kPlaneWords = 3 * kWordsPerLayer;

// The three bit planes of the per-cell count of set layers (0 to 6) of the
// cylinder bits `c`: two full adders over three layers each, then their sums
// added.
FPM_HD_INLINE void layer_count_planes(const std::uint64_t* c, std::uint64_t* planes) {
  for (int w = 0; w < kWordsPerLayer; ++w) {
    const std::uint64_t l0 = c[0 * kWordsPerLayer + w], l1 = c[1 * kWordsPerLayer + w],
                        l2 = c[2 * kWordsPerLayer + w], l3 = c[3 * kWordsPerLayer + w],
                        l4 = c[4 * kWordsPerLayer + w], l5 = c[5 * kWordsPerLayer + w];
    const std::uint64_t s1 = l0 ^ l1 ^ l2, c1 = (l0 & l1) | (l2 & (l0 ^ l1));
    const std::uint64_t s2 = l3 ^ l4 ^ l5, c2 = (l3 & l4) | (l5 & (l3 ^ l4));
    const std::uint64_t k = s1 & s2;  // carry into the 2s
    planes[w] = s1 ^ s2;
    planes[kWordsPerLayer + w] = c1 ^ c2 ^ k;
    planes[2 * kWordsPerLayer + w] = (c1 & c2) | (k & (c1 ^ c2));
  }
}

// Sum over the six layers of |layer AND v|, from the planes.
FPM_HD_INLINE int plane_count(const std::uint64_t* planes, const std::uint64_t* v) {
  int c0 = 0, c1 = 0, c2 = 0;
  for (int w = 0; w < kWordsPerLayer; ++w) {
    c0 += popcount64(planes[w] & v[w]);
    c1 += popcount64(planes[kWordsPerLayer + w] & v[w]);
    c2 += popcount64(planes[2 * kWordsPerLayer + w] & v[w]);
  }
  return c0 + 2 * c1 + 4 * c2;
}

// |bits| and |validity| of one cylinder, packed: bits count in the low 16
// bits (at most 1536), validity count above (at most 256).
FPM_HD_INLINE std::uint32_t cylinder_counts(const std::uint64_t* c, const std::uint64_t* v) {
  int nb = 0, nv = 0;
  for (int i = 0; i < kCylinderWords; ++i) nb += popcount64(c[i]);
  for (int w = 0; w < kValidityWords; ++w) nv += popcount64(v[w]);
  return static_cast<std::uint32_t>(nb) | (static_cast<std::uint32_t>(nv) << 16);
}
FPM_HD_INLINE int counts_bits(std::uint32_t c) { return static_cast<int>(c & 0xffffu); }
FPM_HD_INLINE int counts_valid(std::uint32_t c) { return static_cast<int>(c >> 16); }

// One side of a cell comparison: the cylinder's bits, validity, planes and
// counts.
struct CylinderRef {
  const std::uint64_t* bits;
  const std::uint64_t* valid;
  const std::uint64_t* planes;
  std::uint32_t counts;
};

// |a AND b| over the 24 words of two cylinders. On a GPU in two 16-byte
// loads per step: device cylinder arrays are 256-byte aligned and a
// cylinder takes 192 bytes. (Integer sums: the order does not matter.)
static_assert(kCylinderWords * 8 % 16 == 0, "a cylinder is a whole number of 16-byte loads");
FPM_HD_INLINE int and_count(const std::uint64_t* a, const std::uint64_t* b) {
  int n = 0;
#if defined(__CUDA_ARCH__)
  const auto* a2 = reinterpret_cast<const ulonglong2*>(a);
  const auto* b2 = reinterpret_cast<const ulonglong2*>(b);
  for (int i = 0; i < kCylinderWords / 2; ++i) {
    const ulonglong2 x = a2[i], y = b2[i];
    n += __popcll(x.x & y.x) + __popcll(x.y & y.y);
  }
#else
  for (int i = 0; i < kCylinderWords; ++i) n += popcount64(a[i] & b[i]);
#endif
  return n;
}

// lambda_from_counts with the square roots read from `sqrt_count`
// (ScoreTables::sqrt_count): the same float.
FPM_HD_INLINE float lambda_from_counts_table(const float* sqrt_count, int pa, int pb, int px) {
  if (pa + pb == 0) return 0.0f;
  return 1.0f - sqrt_count[px] / (sqrt_count[pa] + sqrt_count[pb]);
}

// Whether a cylinder's validity is the whole disc, from its counts.
FPM_HD_INLINE bool whole_disc(std::uint32_t counts) { return counts_valid(counts) == kDiscCells; }

// local_similarity of two direction-compatible cylinders whose validity are
// both the whole disc: only |a & b| is left to count (m is the disc).
static_assert(kDiscCells >= kMinMatchableCells, "two whole discs are always matchable");
FPM_HD_INLINE float local_similarity_whole_discs(const CylinderRef& a, const CylinderRef& b, const float* sqrt_count) {
  const int ab = and_count(a.bits, b.bits);
  const int pa = counts_bits(a.counts), pb = counts_bits(b.counts);
  return lambda_from_counts_table(sqrt_count, pa, pb, pa + pb - 2 * ab);
}

// local_similarity of two direction-compatible cylinders, from their
// summaries (the same float, see the top of this file).
FPM_HD_INLINE float local_similarity_summarised(const CylinderRef& a, const CylinderRef& b, const float* sqrt_count) {
  const bool fa = whole_disc(a.counts), fb = whole_disc(b.counts);
  int pm;
  if (fa)
    pm = counts_valid(b.counts);
  else if (fb)
    pm = counts_valid(a.counts);
  else {
    pm = 0;
    for (int w = 0; w < kValidityWords; ++w) pm += popcount64(a.valid[w] & b.valid[w]);
  }
  if (pm < kMinMatchableCells) return 0.0f;
  const int pa = fb ? counts_bits(a.counts) : plane_count(a.planes, b.valid);
  const int pb = fa ? counts_bits(b.counts) : plane_count(b.planes, a.valid);
  const int ab = and_count(a.bits, b.bits);
  return lambda_from_counts_table(sqrt_count, pa, pb, pa + pb - 2 * ab);
}

}  // namespace fpm::mcc
