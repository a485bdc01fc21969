// Shared pieces of the fpmatch CLI: exit codes, decode options, printing.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fpmatch/fpmatch.hpp"

namespace cli {

// Exit codes (documented in docs/cli.md).
enum Exit : int {
  kOk = 0,
  kFailure = 1,      // unexpected failure
  kUsage = 2,        // bad command line
  kBadInput = 3,     // an input could not be decoded, or holds no template
  kIo = 4,           // a file could not be read or written
  kUnavailable = 5,  // the requested backend or device is unavailable
  kOutOfMemory = 6,  // not enough (device) memory for the request
  kCannotWrite = 7,  // the input cannot be written in the requested format
};

// -v/--verbose, a global flag: the CUDA runtime's own reasons and other
// detail on standard error.
extern bool g_verbose;

// Command-line flags that shape DecodeOptions, shared by every subcommand
// that reads templates.
struct InputFlags {
  std::string format = "auto";
  bool strict = false;
  std::string xyt = "nist";
  std::string image_size;  // "WxH" for .xyt input
  unsigned assume_ppcm = 0;
  std::string rescale;  // "SX,SY": coordinates not at the declared resolution

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

// --shortlist: the two-stage search's shortlist (docs/two-stage.md) as a
// count ("500"), a fraction ("0.02") or a percentage ("2%"); "0" or empty
// is an exhaustive search.
struct ShortlistFlag {
  std::string text;
  void add_to(CLI::App* app);
  void apply(fpm::SearchOptions& so) const;  // throws fpm::Error(InvalidArgument)
};

// Gallery::load, then the gallery's load note (codes computed from an
// older file...) on standard error.
fpm::Gallery load_gallery(const std::string& path);

// --same-fingers I,J (repeatable): folders I and J (1-based, in the order
// given) hold the same fingers under the same names. `effect` ends the help.
void add_same_fingers(CLI::App* cmd, std::vector<std::string>& texts, const std::string& effect);
// The pairs as 0-based folder indices; InvalidArgument for a malformed pair
// or a number outside 1..folders.
std::vector<std::pair<std::size_t, std::size_t>> folder_pairs(const std::vector<std::string>& texts,
                                                              std::size_t folders);

fpm::XytConvention parse_convention(const std::string& s);

// The FMR of a score as text: "2.47e-03", or "< 8.22e-05" where no
// calibration impostor score reaches it (an upper bound, never zero).
std::string fmr_text(const fpm::FmrEstimate& f);
// The same in JSON: "fmr" (null when only a bound is known) and
// "fmr_below" (the bound, present only then).
void put_fmr(nlohmann::json& j, const fpm::FmrEstimate& f);
// The engine's backend situation in words for standard error, once per
// command: empty when the engine uses what was asked for; "no CUDA device
// found; searching on the CPU" (or "built without CUDA; ...") when Auto
// found none, with the CUDA runtime's reason under --verbose; else the
// reason devices were left out or CUDA was not used.
std::string backend_note(const fpm::Engine& engine);
// Prints JSON on standard output, indented. Bytes that are not UTF-8 (file
// names, subject ids and header text come from outside) are replaced by
// U+FFFD instead of making the dump throw.
void print_json(const nlohmann::json& j);
// "fpmatch: <note>" on standard error; nothing for an empty note.
void print_note(const std::string& note);
// Header values for JSON: numbers where the text is a decimal integer
// (counts, sizes, resolutions), strings otherwise (hex ids, versions with
// leading zeros, dates, text).
nlohmann::json header_value(const std::string& name, const std::string& text);
// "image 388x374 px", "image height 320 px (width not recorded)", ...
std::string image_size_text(unsigned width, unsigned height);
const char* position_name(fpm::FingerPosition p);
const char* impression_name(fpm::ImpressionType t);
const char* minutia_type_name(fpm::MinutiaType t);
// Maps an exception to an exit code after printing it on stderr.
int report(const std::exception& e);
// The exit code of an exception, printing nothing.
int exit_code_of(const std::exception& e);

// A subcommand `name` of `parent` whose options fill an Args; when it is
// the one chosen, *action becomes run(args). Returns the subcommand, to add
// options to, and the arguments they fill.
template <class Args>
std::pair<CLI::App*, std::shared_ptr<Args>> subcommand(CLI::App& parent, const char* name, const char* help,
                                                       std::function<int()>* action, int (*run)(const Args&)) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = parent.add_subcommand(name, help);
  cmd->callback([args, action, run] { *action = [args, run] { return run(*args); }; });
  return {cmd, args};
}

// A required argument `name` (positional, or an option where it starts
// with '-') whose paths must exist: `check` is CLI::ExistingFile,
// ExistingDirectory or ExistingPath. CLI11 then reports a missing file by
// name before the command runs.
template <class T>
CLI::Option* add_existing(CLI::App* cmd, const std::string& name, T& into, const std::string& help,
                          const CLI::Validator& check = CLI::ExistingFile) {
  return cmd->add_option(name, into, help)->required()->check(check);
}

// A subcommand that reads templates: subcommand() with the decode flags of
// Args::in (an InputFlags) added first, so that every such command takes
// the same --format, --strict, ... before its own options.
template <class Args>
std::pair<CLI::App*, std::shared_ptr<Args>> reader_subcommand(CLI::App& parent, const char* name, const char* help,
                                                              std::function<int()>* action,
                                                              int (*run)(const Args&)) {
  auto made = subcommand<Args>(parent, name, help, action, run);
  made.second->in.add_to(made.first);
  return made;
}

}  // namespace cli
