// fpmatch: command-line front end of the library. Every subcommand has
// --help; exit codes are listed in docs/cli.md.
#include <cstdio>

#include "commands.hpp"

namespace cli {

void add_version(CLI::App& app, std::function<int()>* action) {
  CLI::App* cmd = app.add_subcommand("version", "Print the library version, CUDA build and devices");
  auto self_test = std::make_shared<bool>(false);
  cmd->add_flag("--self-test", *self_test, "Run the CUDA self-test kernel on every device");
  cmd->callback([action, self_test] {
    *action = [self_test] {
      const fpm::RuntimeInfo r = fpm::runtime_info();
      std::printf("fpmatch %s\ncuda backend: %s\ncuda status: %s\n", r.version.c_str(),
                  r.cuda_built ? "built" : "not built", r.cuda_status.c_str());
      int status = kOk;
      for (const auto& d : r.devices) {
        std::printf("device %d: %s, compute %d.%d, %.1f GiB\n", d.index, d.name.c_str(), d.compute_major,
                    d.compute_minor, d.total_memory / 1073741824.0);
        if (*self_test) {
          std::string why;
          const bool ok = fpm::cuda_self_test(d.index, &why);
          std::printf("  self-test: %s%s%s\n", ok ? "passed" : "FAILED", ok ? "" : ": ", why.c_str());
          if (!ok) status = kFailure;
        }
      }
      return status;
    };
  });
}

}  // namespace cli

int main(int argc, char** argv) {
  CLI::App app{"fpmatch: fingerprint template tools (" FPM_VERSION_STRING ")"};
  app.require_subcommand(1);
  std::function<int()> action;
  cli::add_info(app, &action);
  cli::add_convert(app, &action);
  cli::add_enroll(app, &action);
  cli::add_search(app, &action);
  cli::add_verify(app, &action);
  cli::add_eval(app, &action);
  cli::add_synth(app, &action);
  cli::add_bench(app, &action);
  cli::add_gallery(app, &action);
  cli::add_calibrate(app, &action);
  cli::add_version(app, &action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cli::kUsage;
  }
  try {
    return action ? action() : cli::kUsage;
  } catch (const std::exception& e) {
    return cli::report(e);
  }
}
