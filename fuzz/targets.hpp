// Fuzz targets, one per decoder. Each decodes the input leniently and
// strictly; whatever decodes must re-encode into a record that decodes back to
// the same minutiae. Anything other than a DecodeError (or an encoder's
// documented InvalidArgument) aborts, which libFuzzer reports as a finding.
// One more target loads gallery files (see gallery()), another drives the C
// API (see capi()).
// Shared by the libFuzzer executables and by the corpus replay test.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fpm_fuzz {

struct Target {
  const char* name;  // also the corpus sub-folder
  int (*run)(const std::uint8_t* data, std::size_t size);
};

int iso2005(const std::uint8_t* data, std::size_t size);
int iso2011(const std::uint8_t* data, std::size_t size);
int ansi2004(const std::uint8_t* data, std::size_t size);
int ansi2009(const std::uint8_t* data, std::size_t size);
int xyt(const std::uint8_t* data, std::size_t size);
int an2k(const std::uint8_t* data, std::size_t size);   // ANSI/NIST-ITL transactions
int detect(const std::uint8_t* data, std::size_t size);  // Format::Auto
// Gallery::load on the input with its checksums recomputed (so that the
// mutations reach the structure checks): it must load or refuse with
// ErrorCode::Corrupt; what loads must score the same on every SIMD level and
// survive a save and load.
int gallery(const std::uint8_t* data, std::size_t size);
// read_shard_info on the input as a shard's metadata file, its CRC and the
// CRC of the gallery file it names recomputed (so that the mutations reach
// the structure checks): it must read or refuse with ErrorCode::Corrupt, and
// what it reads must keep the documented invariants.
int shard(const std::uint8_t* data, std::size_t size);
// The C API driven by random call sequences (fuzz/capi.cpp): handles of every
// kind, destroyed and NULL ones, sizes near SIZE_MAX, NaN options, subject
// ids with control characters, gallery files; each call is checked against
// the documented contract and a model of the galleries and engines.
int capi(const std::uint8_t* data, std::size_t size);

extern const Target kTargets[];
extern const std::size_t kTargetCount;

}  // namespace fpm_fuzz
