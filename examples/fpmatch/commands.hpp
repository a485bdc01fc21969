// Each subcommand registers itself on the CLI11 app and, when chosen, leaves
// the function that runs it in *action.
#pragma once

#include <functional>

#include "common.hpp"

namespace cli {

void add_info(CLI::App& app, std::function<int()>* action);
void add_convert(CLI::App& app, std::function<int()>* action);
void add_version(CLI::App& app, std::function<int()>* action);
void add_verify(CLI::App& app, std::function<int()>* action);
void add_eval(CLI::App& app, std::function<int()>* action);
void add_penetration(CLI::App& app, std::function<int()>* action);
void add_calibrate(CLI::App& app, std::function<int()>* action);
void add_synth(CLI::App& app, std::function<int()>* action);
void add_enroll(CLI::App& app, std::function<int()>* action);
void add_search(CLI::App& app, std::function<int()>* action);
void add_bench(CLI::App& app, std::function<int()>* action);
void add_gallery(CLI::App& app, std::function<int()>* action);

}  // namespace cli
