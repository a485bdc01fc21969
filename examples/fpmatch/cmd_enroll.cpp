// fpmatch enroll: templates -> gallery file.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "commands.hpp"
#include "progress.hpp"

namespace cli {

namespace {

struct EnrollArgs {
  InputFlags in;
  std::string gallery;
  bool append = false;
  bool force = false;
  bool recursive = false;
  std::string subject;
  std::string subject_prefix;
  std::vector<std::string> paths;
  int threads = 0;
  bool quiet = false;
};

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// What a folder walk left out, so that the user learns why a folder gave
// fewer templates than it holds files.
struct Skipped {
  std::size_t folders = 0;  // sub-folders (without --recursive)
  std::size_t hidden = 0;   // names starting with '.'

  std::string text() const {
    std::string s;
    if (folders)
      s += std::to_string(folders) + " sub-folder" + (folders == 1 ? "" : "s") + " (use --recursive to read them)";
    if (hidden) s += (s.empty() ? "" : ", ") + std::to_string(hidden) + " hidden file" + (hidden == 1 ? "" : "s");
    return s;
  }
};

void walk(const std::string& dir, bool recursive, std::vector<std::string>* files, Skipped* skipped) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw fpm::Error(fpm::ErrorCode::Io, "cannot open folder '" + dir + "'");
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (n[0] == '.') {
      ++skipped->hidden;
      continue;
    }
    names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    const std::string path = dir + "/" + n;
    if (!is_dir(path))
      files->push_back(path);
    else if (recursive)
      walk(path, true, files, skipped);
    else
      ++skipped->folders;
  }
}

std::vector<std::string> expand(const std::vector<std::string>& paths, bool recursive, Skipped* skipped) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    if (is_dir(p))
      walk(p, recursive, &files, skipped);
    else
      files.push_back(p);
  }
  return files;
}

// Subject id: the file name up to its first '_' (or up to the extension).
std::string subject_of(const std::string& path) {
  std::string name = path.substr(path.rfind('/') + 1);
  name = name.substr(0, name.find('.'));
  return name.substr(0, name.find('_'));
}

int run_enroll(const EnrollArgs& a) {
  struct stat st;
  const bool exists = ::stat(a.gallery.c_str(), &st) == 0;
  if (exists && !a.append && !a.force)
    throw fpm::Error(fpm::ErrorCode::InvalidArgument,
                     "'" + a.gallery + "' exists: use --append to add to it or --force to replace it");
  Skipped skipped;
  const std::vector<std::string> files = expand(a.paths, a.recursive, &skipped);
  if (files.empty())
    throw fpm::Error(fpm::ErrorCode::NoViews, "nothing to enrol: no template file in the given paths" +
                                                  (skipped.text().empty() ? "" : "; skipped " + skipped.text()) +
                                                  "; no gallery written");
  if (!skipped.text().empty() && !a.quiet) std::fprintf(stderr, "fpmatch: skipped %s\n", skipped.text().c_str());
  fpm::Gallery g = (exists && a.append) ? load_gallery(a.gallery) : fpm::Gallery();
  const std::size_t before = g.live_size();
  const fpm::DecodeOptions opt = a.in.options();
  std::vector<fpm::Template> views;
  std::vector<std::string> subjects;
  Progress read_bar("reading", a.quiet);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const fpm::DecodedRecord rec = fpm::decode_file(files[i], opt);
    const std::string subject = a.subject_prefix + (a.subject.empty() ? subject_of(files[i]) : a.subject);
    if (subject.empty()) throw fpm::Error(fpm::ErrorCode::InvalidArgument, "no subject id in the name of '" + files[i] + "'");
    for (const auto& v : rec.views) {
      views.push_back(v);
      subjects.push_back(subject);
    }
    read_bar(i + 1, files.size());
  }
  read_bar.finish();
  if (views.empty()) throw fpm::Error(fpm::ErrorCode::NoViews, "nothing to enrol: the files hold no finger view");
  // Appending a second set whose file names give the same subject ids (FVC
  // sets all number their fingers from 101) would merge different people
  // into one subject: say so, and how to keep them apart.
  if (before > 0) {
    std::set<std::string> enrolled;
    for (std::size_t e = 0; e < g.size(); ++e) {
      const fpm::GalleryEntryInfo info = g.entry(e);
      if (!info.removed) enrolled.insert(info.subject);
    }
    std::set<std::string> shared;
    for (const auto& s : subjects)
      if (enrolled.count(s)) shared.insert(s);
    if (!shared.empty()) {
      std::string list;
      std::size_t shown = 0;
      for (const auto& s : shared) {
        if (shown++ == 5) {
          list += ", ...";
          break;
        }
        list += (list.empty() ? "" : ", ") + s;
      }
      std::fprintf(stderr,
                   "fpmatch: warning: %zu subject id(s) of the new files are already in '%s' (%s): their templates "
                   "join those subjects; if they are other people, use --subject-prefix to keep them apart\n",
                   shared.size(), a.gallery.c_str(), list.c_str());
    }
  }
  Progress enc_bar("encoding", a.quiet);
  const auto enc = fpm::encode_cylinders_all(views, {}, a.threads, [&](std::size_t d, std::size_t t) { enc_bar(d, t); });
  enc_bar.finish();
  for (std::size_t i = 0; i < views.size(); ++i)
    g.add(subjects[i], static_cast<std::uint8_t>(views[i].info().position), enc[i]);
  Progress save_bar("saving", a.quiet);
  g.save(a.gallery, [&](std::size_t d, std::size_t t) { save_bar(d, t); });
  save_bar.finish();
  const fpm::GalleryMemory m = g.memory();
  std::printf("%s: %zu templates added from %zu files; now %zu templates of %zu subjects, %.0f bytes per template\n",
              a.gallery.c_str(), g.live_size() - before, files.size(), g.live_size(), g.subjects(), m.bytes_per_entry);
  return kOk;
}

}  // namespace

void add_enroll(CLI::App& app, std::function<int()>* action) {
  auto [cmd, args] = reader_subcommand<EnrollArgs>(app, "enroll", "Encode template files (or folders of them) into a gallery file", action, run_enroll);
  cmd->add_option("--gallery", args->gallery, "Gallery file to write")->required();
  cmd->add_flag("--append", args->append, "Add to an existing gallery");
  cmd->add_flag("--force", args->force, "Replace an existing gallery");
  cmd->add_option("--subject", args->subject, "Subject id for every template (default: file name up to the first '_')");
  cmd->add_option("--subject-prefix", args->subject_prefix,
                  "Put this before every subject id (keeps sets whose file names repeat apart, e.g. db2/)");
  cmd->add_flag("--recursive", args->recursive, "Also read the files in sub-folders of the given folders");
  add_existing(cmd, "paths", args->paths, "Template files or folders", CLI::ExistingPath);
  cmd->add_option("--threads", args->threads, "Threads for encoding (default: all cores)")->check(CLI::Range(0, fpm::kMaxEngineThreads));
  cmd->add_flag("--quiet", args->quiet, "No progress bar");
}

}  // namespace cli
