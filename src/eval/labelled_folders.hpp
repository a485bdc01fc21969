// Folders of FVC-style templates (FINGER_IMPRESSION.ext) read for the
// evaluations (evaluate_folders, evaluate_penetration): every regular file,
// folder by folder in name order, labelled with its finger.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "fpmatch/formats.hpp"
#include "fpmatch/matcher.hpp"

namespace fpm::detail {

struct LabelledTemplates {
  std::vector<std::string> files;    // paths
  std::vector<std::string> names;    // finger label alone (the part of the name before the last '_')
  std::vector<std::string> impressions;  // the part of the name after the last '_', extension off
  std::vector<std::string> fingers;  // "FOLDER_INDEX:FINGER": files of different folders are different fingers
  std::vector<std::size_t> folder;   // index into the folders given
  std::vector<EncodedTemplate> encoded;
};

// Decodes (first view of each record) and encodes every regular file of the
// folders, hidden files left out. Throws fpm::Error for an unreadable or
// empty folder, a name without '_' and a file that does not decode.
// `groups` (from same_finger_groups; empty: each folder its own) sets the
// folder part of the finger labels.
LabelledTemplates read_labelled_folders(const std::vector<std::string>& dirs, const DecodeOptions& options,
                                        const std::vector<std::size_t>& groups = {});

// Checks folder pairs said to hold the same fingers (InvalidArgument
// naming `what` for an index beyond `folders` or a folder paired with
// itself) and returns each folder's group: the smallest folder index it is
// linked to, directly or through others.
std::vector<std::size_t> same_finger_groups(const char* what,
                                            const std::vector<std::pair<std::size_t, std::size_t>>& pairs,
                                            std::size_t folders);

// The threads an evaluation runs on: `threads` (0: all cores) checked
// against kMaxEngineThreads (InvalidArgument naming `what` otherwise), and
// no more than one per `min_items_per_thread` of `items`.
unsigned evaluation_workers(const char* what, int threads, std::size_t items, std::size_t min_items_per_thread);

}  // namespace fpm::detail
