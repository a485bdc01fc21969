// C++ exceptions of the library as the Python exceptions of fpmatch._errors,
// with the C++ message and, for decode errors, field, offset and line.
#include <new>

#include "bindings.hpp"
#include "fpmatch/error.hpp"

namespace fpy {

namespace {

void raise(const nb::object& exc) {
  nb::handle type = exc.type();
  PyErr_SetObject(type.ptr(), exc.ptr());
}

}  // namespace

void bind_errors(nb::module_& m) {
  (void)m;
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const fpm::DecodeError& e) {
      nb::object make = nb::module_::import_("fpmatch._errors").attr("_make");
      raise(make(1, e.what(), fpm::error_code_name(e.code()), static_cast<int>(e.code()), e.format(), e.field(),
                 e.offset(), e.line(), e.detail()));
    } catch (const fpm::Error& e) {
      nb::object make = nb::module_::import_("fpmatch._errors").attr("_make");
      raise(make(0, e.what(), fpm::error_code_name(e.code()), static_cast<int>(e.code())));
    } catch (const std::bad_alloc& e) {
      // Host memory exhausted inside the library: fpmatch.OutOfMemory (a MemoryError).
      nb::object make = nb::module_::import_("fpmatch._errors").attr("_make");
      raise(make(0, "out of memory", fpm::error_code_name(fpm::ErrorCode::OutOfMemory),
                 static_cast<int>(fpm::ErrorCode::OutOfMemory)));
    }
  });
}

}  // namespace fpy
