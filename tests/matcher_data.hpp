// Loading the shared FVC ISO templates for matcher tests.
#pragma once

#include <string>
#include <vector>

#include "fpmatch/fpmatch.hpp"
#include "support.hpp"

namespace fpm_test {

struct FvcSet {
  std::vector<std::string> names;
  std::vector<fpm::Template> templates;
  std::vector<fpm::EncodedTemplate> encoded;
};

inline FvcSet load_fvc(const std::string& set) {
  FvcSet s;
  for (const std::string& path : list_files(require_data_dir() + "/" + set + "/iso", ".ist")) {
    s.names.push_back(path.substr(path.rfind('/') + 1));
    s.templates.push_back(fpm::decode_file(path).views.at(0));
    s.encoded.push_back(fpm::encode_cylinders(s.templates.back()));
  }
  return s;
}

}  // namespace fpm_test
