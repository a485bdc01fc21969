// fpmatch convert IN OUT --to FORMAT: re-encode a template record.
#include <cstdio>

#include "commands.hpp"

namespace cli {

namespace {

struct ConvertArgs {
  InputFlags in;
  std::string input, output, to;
  std::string out_xyt = "nist";
};

int run_convert(const ConvertArgs& a) {
  // A format that is read but not written is a bad command line (exit 2),
  // found before the input is read.
  const fpm::Format to = fpm::parse_format_name(a.to);
  if (to != fpm::Format::Iso19794_2_2005 && to != fpm::Format::Ansi378_2004 && to != fpm::Format::NistXyt &&
      to != fpm::Format::AnsiNistItl)
    throw fpm::Error(fpm::ErrorCode::InvalidArgument, std::string("--to ") + a.to + ": " + fpm::format_title(to) +
                                                          " is read but not written; --to takes iso2005, ansi2004, "
                                                          "xyt or an2k");
  const fpm::DecodedRecord rec = fpm::decode_file(a.input, a.in.options());
  for (const auto& w : rec.warnings) std::fprintf(stderr, "fpmatch: warning: %s: %s\n", a.input.c_str(), w.c_str());
  fpm::EncodeOptions eo;
  eo.xyt_convention = parse_convention(a.out_xyt);
  std::vector<fpm::Template> views = rec.views;
  if (to == fpm::Format::NistXyt && views.size() > 1) {
    std::fprintf(stderr, "fpmatch: note: .xyt holds one view; writing view 0 of %zu\n", views.size());
    views.resize(1);
  }
  // What the target format cannot hold (more views, view numbers or
  // coordinates than it has room for) is neither a bad command line nor an
  // undecodable input: its own exit code.
  std::vector<std::uint8_t> bytes;
  try {
    bytes = fpm::encode(views, to, eo);
  } catch (const fpm::Error& e) {
    std::fprintf(stderr, "fpmatch: error: '%s' cannot be written as %s: %s\n", a.input.c_str(), fpm::format_name(to),
                 e.what());
    return kCannotWrite;
  }
  fpm::write_file_atomic(a.output, bytes.data(), bytes.size());
  std::printf("%s (%s, %zu view%s) -> %s (%s, %zu bytes)\n", a.input.c_str(), fpm::format_name(rec.format),
              rec.views.size(), rec.views.size() == 1 ? "" : "s", a.output.c_str(), fpm::format_name(to),
              bytes.size());
  return kOk;
}

}  // namespace

void add_convert(CLI::App& app, std::function<int()>* action) {
  auto [cmd, args] = reader_subcommand<ConvertArgs>(app, "convert", "Convert a template record to another format", action, run_convert);
  add_existing(cmd, "input", args->input, "Input template file");
  cmd->add_option("output", args->output, "Output file (written atomically)")->required();
  cmd->add_option("--to", args->to, "Output format: iso2005, ansi2004, xyt or an2k")->required();
  cmd->add_option("--out-xyt", args->out_xyt, "Convention of .xyt output: nist or m1")->capture_default_str();
}

}  // namespace cli
