// Shared pieces of the fpmatch CLI: exit codes, decode options, printing.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "fpmatch/fpmatch.hpp"

namespace cli {

// Exit codes (documented in docs/cli.md).
enum Exit : int {
  kOk = 0,
  kFailure = 1,      // unexpected failure
  kUsage = 2,        // bad command line
  kBadInput = 3,     // an input could not be decoded
  kIo = 4,           // a file could not be read or written
};

// Command-line flags that shape DecodeOptions, shared by every subcommand
// that reads templates.
struct InputFlags {
  std::string format = "auto";
  bool strict = false;
  std::string xyt = "nist";
  std::string image_size;  // "WxH" for .xyt input
  unsigned assume_ppcm = 0;

  void add_to(CLI::App* app);
  fpm::DecodeOptions options() const;  // throws fpm::Error(InvalidArgument)
};

// Command-line flags that shape EngineOptions (search, bench).
struct EngineFlags {
  std::string backend = "auto";
  int threads = 0;
  std::vector<int> devices;  // CUDA devices; empty = device 0

  void add_to(CLI::App* app);
  fpm::EngineOptions options() const;  // throws fpm::Error(InvalidArgument)
};

fpm::XytConvention parse_convention(const std::string& s);
const char* position_name(fpm::FingerPosition p);
const char* impression_name(fpm::ImpressionType t);
const char* minutia_type_name(fpm::MinutiaType t);
// Maps an exception to an exit code after printing it on stderr.
int report(const std::exception& e);

}  // namespace cli
