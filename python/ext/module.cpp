// fpmatch._fpmatch: the extension module behind the fpmatch package. The
// Python layer (src/fpmatch/__init__.py) adds the numpy conversions and
// keyword defaults; everything computed here is the C++ library's.
#include "bindings.hpp"

NB_MODULE(_fpmatch, m) {
  m.doc() = "fpmatch C++ library bindings (use the fpmatch package)";
  fpy::bind_errors(m);
  fpy::bind_records(m);
  fpy::bind_matching(m);
  fpy::bind_gallery_engine(m);
  fpy::bind_accuracy(m);
  fpy::bind_identification(m);
  fpy::bind_shards(m);
}
