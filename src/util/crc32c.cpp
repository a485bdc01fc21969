#include "util/crc32c.hpp"

#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace fpm::detail {

namespace {

struct Table {
  std::uint32_t t[256];
  Table() {
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
      t[i] = c;
    }
  }
};

std::uint32_t crc_table(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  static const Table table;
  for (std::size_t i = 0; i < n; ++i) crc = table.t[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

constexpr std::uint32_t kPoly = 0x82f63b78u;  // reflected Castagnoli polynomial

// a * b modulo the polynomial, bit-reflected (as zlib's crc32_combine).
std::uint32_t multmodp(std::uint32_t a, std::uint32_t b) {
  std::uint32_t m = 1u << 31, p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>= 1;
    b = b & 1 ? (b >> 1) ^ kPoly : b >> 1;
  }
  return p;
}

// x^(2^k) modulo the polynomial, k = 0..31.
struct PowerTable {
  std::uint32_t x2n[32];
  PowerTable() {
    std::uint32_t p = 1u << 30;  // x^1
    for (auto& v : x2n) {
      v = p;
      p = multmodp(p, p);
    }
  }
};

// x^(n * 2^k) modulo the polynomial.
std::uint32_t x2nmodp(std::uint64_t n, unsigned k) {
  static const PowerTable table;
  std::uint32_t p = 1u << 31;  // x^0
  for (; n; n >>= 1, ++k)
    if (n & 1) p = multmodp(table.x2n[k & 31], p);
  return p;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc_hw_1(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  std::uint64_t c = crc;
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
    p += 8;
    n -= 8;
  }
  std::uint32_t c32 = static_cast<std::uint32_t>(c);
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}

// The crc32 instruction has a latency of three cycles and a throughput of
// one: three independent streams over the thirds of a long buffer run three
// times as fast, and their CRCs combine into the whole buffer's.
__attribute__((target("sse4.2"))) std::uint32_t crc_hw(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  if (n < 3 * 4096) return crc_hw_1(crc, p, n);
  const std::size_t third = n / 3 / 8 * 8;
  const unsigned char* q = p + third;
  const unsigned char* r = p + 2 * third;
  std::uint64_t a = crc, b = 0xffffffffu, c = 0xffffffffu;  // raw states: b and c start a fresh CRC
  for (std::size_t i = 0; i < third; i += 8) {
    std::uint64_t wa, wb, wc;
    std::memcpy(&wa, p + i, 8);
    std::memcpy(&wb, q + i, 8);
    std::memcpy(&wc, r + i, 8);
    a = _mm_crc32_u64(a, wa);
    b = _mm_crc32_u64(b, wb);
    c = _mm_crc32_u64(c, wc);
  }
  const std::size_t rest = n - 3 * third;
  const std::uint32_t last = crc_hw_1(static_cast<std::uint32_t>(c), r + third, rest);
  // Conditioned CRCs of the parts, combined as crc32c_combine does.
  const std::uint32_t ca = ~static_cast<std::uint32_t>(a), cb = ~static_cast<std::uint32_t>(b), cc = ~last;
  return ~crc32c_combine(crc32c_combine(ca, cb, third), cc, third + rest);
}
#endif

}  // namespace

std::uint32_t crc32c_combine(std::uint32_t crc1, std::uint32_t crc2, std::uint64_t len2) {
  return multmodp(x2nmodp(len2, 3), crc1) ^ crc2;
}

std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
#if defined(__x86_64__)
  static const bool hw = __builtin_cpu_supports("sse4.2");
  crc = hw ? crc_hw(crc, p, size) : crc_table(crc, p, size);
#else
  crc = crc_table(crc, p, size);
#endif
  return ~crc;
}

}  // namespace fpm::detail
