#include "eval/labelled_folders.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "fpmatch/engine.hpp"
#include "fpmatch/error.hpp"

namespace fpm::detail {

namespace {

std::vector<std::string> regular_files(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw Error(ErrorCode::Io, "cannot open folder '" + dir + "'");
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n.empty() || n[0] == '.') continue;
    struct stat st;
    if (::stat((dir + "/" + n).c_str(), &st) == 0 && S_ISREG(st.st_mode)) names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// FINGER_IMPRESSION.ext -> {FINGER, IMPRESSION}.
std::pair<std::string, std::string> finger_label(const std::string& name) {
  const std::string stem = name.substr(0, name.rfind('.'));
  const std::size_t us = stem.rfind('_');
  if (us == std::string::npos || us == 0)
    throw Error(ErrorCode::InvalidArgument,
                "'" + name + "' is not named FINGER_IMPRESSION.ext (no '_' to split the finger label off)");
  return {stem.substr(0, us), stem.substr(us + 1)};
}

}  // namespace

LabelledTemplates read_labelled_folders(const std::vector<std::string>& dirs, const DecodeOptions& options,
                                        const std::vector<std::size_t>& groups) {
  LabelledTemplates out;
  for (std::size_t f = 0; f < dirs.size(); ++f) {
    const std::vector<std::string> names = regular_files(dirs[f]);
    if (names.empty()) throw Error(ErrorCode::InvalidArgument, "'" + dirs[f] + "' holds no files");
    for (const std::string& name : names) {
      const auto [label, impression] = finger_label(name);
      const std::string path = dirs[f] + "/" + name;
      DecodedRecord rec = decode_file(path, options);
      out.files.push_back(path);
      out.names.push_back(label);
      out.impressions.push_back(impression);
      out.fingers.push_back(std::to_string(groups.empty() ? f : groups[f]) + ":" + label);
      out.folder.push_back(f);
      out.encoded.push_back(encode_cylinders(rec.views.front()));
    }
  }
  return out;
}

std::vector<std::size_t> same_finger_groups(const char* what,
                                            const std::vector<std::pair<std::size_t, std::size_t>>& pairs,
                                            std::size_t folders) {
  std::vector<std::size_t> group(folders);
  for (std::size_t f = 0; f < folders; ++f) group[f] = f;
  for (const auto& [a, b] : pairs) {
    if (a >= folders || b >= folders)
      throw Error(ErrorCode::InvalidArgument, std::string(what) + ": same-fingers pair " + std::to_string(a) + "," +
                                                  std::to_string(b) + " names a folder beyond the " +
                                                  std::to_string(folders) + " given");
    if (a == b) throw Error(ErrorCode::InvalidArgument, std::string(what) + ": a folder cannot be paired with itself");
  }
  // Union by smallest index, repeated until stable: a handful of folders.
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [a, b] : pairs) {
      const std::size_t g = std::min(group[a], group[b]);
      for (std::size_t f = 0; f < folders; ++f)
        if ((group[f] == group[a] || group[f] == group[b]) && group[f] != g) {
          group[f] = g;
          changed = true;
        }
    }
  }
  return group;
}

unsigned evaluation_workers(const char* what, int threads, std::size_t items, std::size_t min_items_per_thread) {
  if (threads < 0 || threads > kMaxEngineThreads)
    throw Error(ErrorCode::InvalidArgument, std::string(what) + ": threads must be 0 (all cores) to " +
                                                std::to_string(kMaxEngineThreads));
  const unsigned workers =
      threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
  return std::min<unsigned>(workers, static_cast<unsigned>(std::max<std::size_t>(1, items / min_items_per_thread)));
}

}  // namespace fpm::detail
