// fpmatch: command-line front end of the library. Every subcommand has
// --help; exit codes are listed in docs/cli.md.
#include <cstdio>
#include <cstdlib>
#include <cstring>

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
      if (g_verbose && !r.cuda_detail.empty()) std::printf("cuda runtime: %s\n", r.cuda_detail.c_str());
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
      // Say what was not tested rather than nothing: a script asking for a
      // self-test must not read "no device" as "passed".
      if (*self_test && r.devices.empty()) {
        std::printf("self-test: not run: %s\n",
                    r.cuda_built ? r.cuda_status.c_str() : "this build has no CUDA backend");
        status = kUnavailable;
      }
      return status;
    };
  });
}

namespace {

bool is_option_token(const char* t) { return t[0] == '-' && t[1] != '\0' && std::strcmp(t, "--") != 0; }

// The option `name` of `app` (or, with fallthrough, of an app above it).
const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
  for (; app; app = app->get_parent())
    for (const CLI::Option* o : app->get_options())
      if (o->check_name(name)) return o;
  return nullptr;
}

// CLI11 checks positional arguments before it reports unknown options, so
// `search --tpo 3 p.ist` would say "File does not exist: 3", and an unknown
// subcommand reads "A subcommand is required". Name unknown subcommands and
// options first. Returns false after printing the message.
bool check_names(CLI::App& app, int argc, char** argv) {
  CLI::App* at = &app;
  bool positional_seen = false;  // subcommands come before any positional
  bool value_next = false;       // the previous token was an option wanting a value
  auto where = [&] { return at == &app ? std::string("fpmatch") : "fpmatch " + at->get_name(); };
  for (int i = 1; i < argc; ++i) {
    const char* t = argv[i];
    if (std::strcmp(t, "--") == 0) break;
    char* end = nullptr;
    std::strtod(t, &end);
    const bool number = *t != '\0' && *end == '\0';  // "-1" is a value, not an option
    if (is_option_token(t) && !(value_next && number)) {
      std::string name(t);
      name = name.substr(0, name.find('='));
      const CLI::Option* o = find_option(at, name);
      if (!o) {
        std::fprintf(stderr, "fpmatch: error: unknown option '%s' for '%s' (see %s --help)\n", name.c_str(),
                     where().c_str(), where().c_str());
        return false;
      }
      value_next = std::strchr(t, '=') == nullptr && o->get_type_size_max() > 0;
      continue;
    }
    if (value_next) {
      value_next = false;
      continue;
    }
    if (!positional_seen) {
      CLI::App* sub = nullptr;
      for (CLI::App* c : at->get_subcommands([](CLI::App*) { return true; }))
        if (c->check_name(t)) sub = c;
      if (sub) {
        at = sub;
        continue;
      }
      if (at->get_require_subcommand_min() > 0) {
        std::fprintf(stderr, "fpmatch: error: unknown subcommand '%s' for '%s' (see %s --help)\n", t,
                     where().c_str(), where().c_str());
        return false;
      }
    }
    positional_seen = true;
  }
  return true;
}

}  // namespace

}  // namespace cli

int main(int argc, char** argv) {
  CLI::App app{"fpmatch: fingerprint template tools (" FPM_VERSION_STRING ")"};
  app.require_subcommand(1);
  app.fallthrough();  // -v/--verbose also after the subcommand
  app.set_version_flag("--version", std::string("fpmatch ") + FPM_VERSION_STRING);
  app.add_flag("-v,--verbose", cli::g_verbose, "More detail on standard error (e.g. why CUDA is not used)");
  std::function<int()> action;
  cli::add_info(app, &action);
  cli::add_convert(app, &action);
  cli::add_enroll(app, &action);
  cli::add_search(app, &action);
  cli::add_verify(app, &action);
  cli::add_eval(app, &action);
  cli::add_penetration(app, &action);
  cli::add_synth(app, &action);
  cli::add_bench(app, &action);
  cli::add_gallery(app, &action);
  cli::add_calibrate(app, &action);
  cli::add_version(app, &action);
  if (!cli::check_names(app, argc, argv)) return cli::kUsage;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
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
