// A DET curve (FNMR against FMR, both on log scales) as a standalone SVG.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fpmatch/evaluation.hpp"

namespace cli {

std::string det_svg(const std::vector<std::pair<std::string, std::vector<fpm::DetPoint>>>& curves);

}  // namespace cli
