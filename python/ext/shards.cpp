// A gallery split into shards and the exact merge of the shards' answers
// (fpmatch/shard.hpp, docs/scale-out.md): for hosts that spread a gallery
// over several processes or machines with their own transport.
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.hpp"
#include "fpmatch/shard.hpp"

namespace fpy {

void bind_shards(nb::module_& m) {
  nb::class_<fpm::ShardInfo>(m, "ShardInfo", "A shard's metadata (docs/scale-out.md, \"Shard files\").")
      .def_ro("split_id", &fpm::ShardInfo::split_id, "32 hex digits, the same for every shard of one split.")
      .def_ro("shard", &fpm::ShardInfo::shard)
      .def_ro("shards", &fpm::ShardInfo::shards)
      .def_ro("source_crc", &fpm::ShardInfo::source_crc, "The source gallery file's header CRC-32C.")
      .def_ro("source_entries", &fpm::ShardInfo::source_entries)
      .def_ro("source_live", &fpm::ShardInfo::source_live)
      .def_ro("source_subjects", &fpm::ShardInfo::source_subjects)
      .def_ro("weight", &fpm::ShardInfo::weight)
      .def_ro("entries", &fpm::ShardInfo::entries)
      .def_ro("subjects", &fpm::ShardInfo::subjects)
      .def_ro("global_index", &fpm::ShardInfo::global_index, "Per shard entry: its index in the source gallery.")
      .def_ro("subject_rank", &fpm::ShardInfo::subject_rank,
              "Per shard subject (in id order): its rank in id order among the source's subjects.")
      .def("__repr__", [](const fpm::ShardInfo& s) {
        return "<fpmatch.ShardInfo shard " + std::to_string(s.shard) + " of " + std::to_string(s.shards) + ", " +
               std::to_string(s.entries) + " entries, split " + s.split_id + ">";
      });
  m.def(
      "split_gallery",
      [](const std::string& path, const std::string& out_dir, std::size_t shards, const std::vector<double>& weights) {
        fpm::SplitOptions o;
        o.shards = shards;
        o.weights = weights;
        nb::gil_scoped_release release;
        return fpm::split_gallery(path, out_dir, o);
      },
      nb::arg("path"), nb::arg("out_dir"), nb::arg("shards"), nb::arg("weights") = std::vector<double>{},
      "Splits a gallery file into shards of whole subjects in out_dir; returns the shard files in order.");
  m.def("shard_file_name", &fpm::shard_file_name, nb::arg("shard"), nb::arg("shards"));
  m.def("read_shard_info", &fpm::read_shard_info, nb::arg("path"),
        "The verified metadata of the shard gallery file `path` (its .shard file).");
  m.def(
      "load_shard",
      [](const std::string& path) {
        fpm::Shard s;
        {
          nb::gil_scoped_release release;
          s = fpm::load_shard(path);
        }
        return std::make_pair(std::move(s.gallery), std::move(s.info));
      },
      nb::arg("path"), "A shard's gallery and metadata, cross-checked: (Gallery, ShardInfo).");
  m.def("check_complete_split", &fpm::check_complete_split, nb::arg("shards"),
        "Raises unless the ShardInfo list (shard i at position i) is the whole of one split.");
  m.def(
      "to_source_indices",
      [](const fpm::ShardInfo& s, std::vector<fpm::Candidate> c) {
        fpm::to_source_indices(s, c);
        return c;
      },
      nb::arg("shard"), nb::arg("candidates"), "The candidates with the source gallery's entry indices.");
  m.def(
      "to_source_indices",
      [](const fpm::ShardInfo& s, std::vector<fpm::SubjectCandidate> c) {
        fpm::to_source_indices(s, c);
        return c;
      },
      nb::arg("shard"), nb::arg("candidates"));
  m.def("merge_shard_candidates", &fpm::merge_shard_candidates, nb::arg("lists"), nb::arg("top_k"),
        "The top_k of several shards' answers to one probe, as one engine on the unsplit gallery orders them.");
  m.def("merge_shard_subjects", &fpm::merge_shard_subjects, nb::arg("lists"), nb::arg("top_k"));
}

}  // namespace fpy
