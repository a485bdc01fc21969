// Finger views (fpm::Template) with their minutiae as numpy arrays, and the
// record readers and writers of formats.hpp.
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <string>

#include "bindings.hpp"
#include "fpmatch/error.hpp"
#include "fpmatch/formats.hpp"
#include "fpmatch/synth.hpp"

namespace fpy {

namespace {

using F32 = nb::ndarray<const float, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using U8 = nb::ndarray<const std::uint8_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

constexpr std::size_t kPackedMinutia = 14;  // fpmatch._dtypes.MINUTIA_DTYPE: 3 x f4, 2 x u1

template <typename T>
T checked(long long v, long long hi, const char* what) {
  if (v < 0 || v > hi)
    throw fpm::Error(fpm::ErrorCode::InvalidArgument,
                     std::string(what) + " must be in [0, " + std::to_string(hi) + "], got " + std::to_string(v));
  return static_cast<T>(v);
}

fpm::Template from_columns(F32 x, F32 y, F32 angle, U8 type, U8 quality, long long width, long long height,
                           long long x_ppcm, long long y_ppcm, long long position, long long view,
                           long long impression, long long finger_quality) {
  const std::size_t n = x.shape(0);
  if (y.shape(0) != n || angle.shape(0) != n || type.shape(0) != n || quality.shape(0) != n)
    throw fpm::Error(fpm::ErrorCode::InvalidArgument, "minutiae columns differ in length");
  fpm::TemplateInfo info;
  info.width = checked<std::uint16_t>(width, 65535, "width");
  info.height = checked<std::uint16_t>(height, 65535, "height");
  info.source_x_ppcm = checked<std::uint16_t>(x_ppcm, 65535, "x_ppcm");
  info.source_y_ppcm = checked<std::uint16_t>(y_ppcm, 65535, "y_ppcm");
  info.position = static_cast<fpm::FingerPosition>(checked<std::uint8_t>(position, 255, "position"));
  info.view = checked<std::uint8_t>(view, 255, "view");
  info.impression = static_cast<fpm::ImpressionType>(checked<std::uint8_t>(impression, 255, "impression"));
  info.finger_quality = checked<std::uint8_t>(finger_quality, 255, "finger_quality");
  std::vector<fpm::Minutia> ms(n);
  for (std::size_t i = 0; i < n; ++i) {
    ms[i].x = x(i);
    ms[i].y = y(i);
    ms[i].theta = angle(i);
    ms[i].type = static_cast<fpm::MinutiaType>(type(i));
    ms[i].quality = quality(i);
  }
  return fpm::Template(info, std::move(ms));  // validates everything (InvalidArgument)
}

// The minutiae as a numpy structured array (MINUTIA_DTYPE), a copy.
nb::object minutiae_array(const fpm::Template& t) {
  const auto& ms = t.minutiae();
  std::string buf(ms.size() * kPackedMinutia, '\0');
  char* p = buf.data();
  for (const fpm::Minutia& m : ms) {
    std::memcpy(p, &m.x, 4);
    std::memcpy(p + 4, &m.y, 4);
    std::memcpy(p + 8, &m.theta, 4);
    p[12] = static_cast<char>(m.type);
    p[13] = static_cast<char>(m.quality);
    p += kPackedMinutia;
  }
  nb::object dtype = nb::module_::import_("fpmatch._dtypes").attr("MINUTIA_DTYPE");
  nb::object np = nb::module_::import_("numpy");
  return np.attr("frombuffer")(nb::bytes(buf.data(), buf.size()), dtype).attr("copy")();
}

fpm::XytConvention convention(const std::string& name) {
  if (name == "nist") return fpm::XytConvention::Nist;
  if (name == "m1") return fpm::XytConvention::M1;
  throw fpm::Error(fpm::ErrorCode::InvalidArgument, "xyt_convention must be 'nist' or 'm1', got '" + name + "'");
}

fpm::DecodeOptions decode_options(const std::string& format, bool strict, const std::string& xyt, long long w,
                                  long long h, long long ppcm, double rescale_x, double rescale_y) {
  fpm::DecodeOptions o;
  o.format = fpm::parse_format_name(format);
  if (o.format == fpm::Format::Unknown)
    throw fpm::Error(fpm::ErrorCode::InvalidArgument, "format 'unknown' cannot be decoded");
  o.strict = strict;
  o.xyt_convention = convention(xyt);
  o.xyt_image_width = checked<std::uint16_t>(w, 65535, "xyt_image_width");
  o.xyt_image_height = checked<std::uint16_t>(h, 65535, "xyt_image_height");
  o.assume_resolution_ppcm = checked<std::uint16_t>(ppcm, 65535, "assume_resolution_ppcm");
  o.rescale_x = rescale_x;  // checked by fpm::decode
  o.rescale_y = rescale_y;
  return o;
}

std::vector<fpm::Template> view_list(nb::handle views) {
  std::vector<fpm::Template> out;
  if (nb::isinstance<fpm::Template>(views)) {
    out.push_back(nb::cast<const fpm::Template&>(views));
    return out;
  }
  for (nb::handle v : nb::iter(views)) {
    if (!nb::isinstance<fpm::Template>(v)) throw nb::type_error("encode: every item must be a View");
    out.push_back(nb::cast<const fpm::Template&>(v));
  }
  return out;
}

}  // namespace

void bind_records(nb::module_& m) {
  nb::class_<fpm::Template>(m, "View", "One finger view's minutiae in the canonical frame (immutable).")
      .def(nb::init<>())
      .def_static("_from_columns", &from_columns)
      .def_prop_ro("minutiae", &minutiae_array, "The minutiae, a numpy structured array (MINUTIA_DTYPE); a copy.")
      .def_prop_ro("width", [](const fpm::Template& t) { return t.info().width; })
      .def_prop_ro("height", [](const fpm::Template& t) { return t.info().height; })
      .def_prop_ro("source_ppcm",
                   [](const fpm::Template& t) { return std::make_pair(t.info().source_x_ppcm, t.info().source_y_ppcm); })
      .def_prop_ro("position", [](const fpm::Template& t) { return static_cast<int>(t.info().position); })
      .def_prop_ro("view_number", [](const fpm::Template& t) { return static_cast<int>(t.info().view); })
      .def_prop_ro("impression", [](const fpm::Template& t) { return static_cast<int>(t.info().impression); })
      .def_prop_ro("finger_quality", [](const fpm::Template& t) { return static_cast<int>(t.info().finger_quality); })
      .def("__len__", &fpm::Template::size)
      .def("__eq__", [](const fpm::Template& a, const fpm::Template& b) { return a == b; })
      .def("__ne__", [](const fpm::Template& a, const fpm::Template& b) { return a != b; })
      .def("__repr__", [](const fpm::Template& t) {
        return "<fpmatch.View " + std::to_string(t.size()) + " minutiae, position " +
               std::to_string(static_cast<int>(t.info().position)) + ", " + std::to_string(t.info().width) + "x" +
               std::to_string(t.info().height) + ">";
      });

  nb::class_<fpm::DecodedRecord>(m, "Record", "A decoded template record: its views in record order.")
      .def_prop_ro("format", [](const fpm::DecodedRecord& r) { return std::string(fpm::format_name(r.format)); })
      .def_prop_ro("header",
                   [](const fpm::DecodedRecord& r) {
                     std::vector<std::pair<std::string, std::string>> h;
                     for (const auto& f : r.header) h.emplace_back(f.name, f.value);
                     return h;
                   })
      .def_ro("views", &fpm::DecodedRecord::views)
      .def_ro("warnings", &fpm::DecodedRecord::warnings)
      .def("__len__", [](const fpm::DecodedRecord& r) { return r.views.size(); })
      .def("__repr__", [](const fpm::DecodedRecord& r) {
        return std::string("<fpmatch.Record ") + fpm::format_name(r.format) + ", " + std::to_string(r.views.size()) +
               " view(s)>";
      });

  m.def(
      "_decode_bytes",
      [](nb::bytes data, const std::string& format, bool strict, const std::string& xyt, long long w, long long h,
         long long ppcm, double sx, double sy) {
        const fpm::DecodeOptions o = decode_options(format, strict, xyt, w, h, ppcm, sx, sy);
        const auto* p = static_cast<const std::uint8_t*>(data.data());
        const std::size_t n = data.size();
        nb::gil_scoped_release release;
        return fpm::decode(p, n, o);
      });
  m.def("_decode_file", [](const std::string& path, const std::string& format, bool strict, const std::string& xyt,
                           long long w, long long h, long long ppcm, double sx, double sy) {
    const fpm::DecodeOptions o = decode_options(format, strict, xyt, w, h, ppcm, sx, sy);
    nb::gil_scoped_release release;
    return fpm::decode_file(path, o);
  });
  m.def("detect_format", [](nb::bytes data) {
    return std::string(fpm::format_name(fpm::detect_format(static_cast<const std::uint8_t*>(data.data()), data.size())));
  }, "The format name of a record's bytes, or 'unknown'.");
  m.def("format_title", [](const std::string& name) { return std::string(fpm::format_title(fpm::parse_format_name(name))); },
        "The long name of a format, e.g. 'ISO/IEC 19794-2:2005'.");

  m.def(
      "encode",
      [](nb::handle views, const std::string& format, const std::string& xyt, long long equipment, long long owner,
         long long type) {
        const std::vector<fpm::Template> vs = view_list(views);
        const fpm::Format f = fpm::parse_format_name(format);
        fpm::EncodeOptions o;
        o.xyt_convention = convention(xyt);
        o.capture_equipment_id = checked<std::uint16_t>(equipment, 4095, "capture_equipment_id");
        o.cbeff_owner = checked<std::uint16_t>(owner, 65535, "cbeff_owner");
        o.cbeff_type = checked<std::uint16_t>(type, 65535, "cbeff_type");
        std::vector<std::uint8_t> out;
        {
          nb::gil_scoped_release release;
          out = fpm::encode(vs, f, o);
        }
        return nb::bytes(reinterpret_cast<const char*>(out.data()), out.size());
      },
      nb::arg("views"), nb::arg("format"), nb::kw_only(), nb::arg("xyt_convention") = "nist",
      nb::arg("capture_equipment_id") = 0, nb::arg("cbeff_owner") = 0, nb::arg("cbeff_type") = 0,
      "Encodes one view or a sequence of views as one record (iso2005, ansi2004, xyt); the GIL is released.");

  nb::class_<fpm::SyntheticFingers>(m, "SyntheticFingers",
                                    "Synthetic fingers (synth.hpp): a pure function of (seed, subject, finger, impression).")
      .def("__init__",
           [](fpm::SyntheticFingers* self, unsigned long long seed) {
             fpm::SynthOptions o;
             o.seed = seed;
             new (self) fpm::SyntheticFingers(o);
           },
           nb::arg("seed") = 1)
      .def("master", &fpm::SyntheticFingers::master, nb::arg("subject"), nb::arg("finger"))
      .def("impression", &fpm::SyntheticFingers::impression, nb::arg("subject"), nb::arg("finger"),
           nb::arg("impression"));
}

}  // namespace fpy
