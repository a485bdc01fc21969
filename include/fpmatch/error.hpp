// fpmatch: error types of the C++ API.
//
// Every failure is reported as an fpm::Error (or a subclass) carrying an
// ErrorCode. The numeric values of ErrorCode are frozen: the C API returns
// them unchanged as fpm_status.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "fpmatch/export.h"

namespace fpm {

enum class ErrorCode : int {
  Ok = 0,
  InvalidArgument = 1,   // a caller-supplied value is out of its documented range
  Io = 2,                // a file could not be opened, read or written
  UnknownFormat = 3,     // the bytes are not a template record of any known format
  UnsupportedFormat = 4, // recognised, but this library does not decode it
  Truncated = 5,         // the data ends before a field the record declares
  LengthMismatch = 6,    // two length fields (or a length and the data) disagree
  CountMismatch = 7,     // a count field promises more items than the data holds
  ReservedValue = 8,     // a field holds a value the standard reserves
  OutOfRange = 9,        // a value outside its valid range (e.g. a minutia outside the image)
  NoViews = 10,          // a record with zero finger views
  Syntax = 11,           // a text record (.xyt) that does not parse
  Internal = 12,         // a bug in fpmatch; please report it
  Corrupt = 13,          // a gallery file that is truncated, altered, or of another format version
  Unavailable = 14,      // a backend that is not built or has no usable device (or a device that failed)
  OutOfMemory = 15,      // not enough (device) memory for the request
};

// Short, stable, human-readable name of a code ("truncated", ...).
FPM_API const char* error_code_name(ErrorCode code) noexcept;

class FPM_API Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message);
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// A record that could not be decoded. field() names the offending field
// (e.g. "view[1].minutia[16].x"), offset() is its byte offset in the input
// (for text formats: the offset of the offending token; line() its line).
class FPM_API DecodeError : public Error {
 public:
  DecodeError(ErrorCode code, std::string format, std::string field, std::size_t offset,
              const std::string& detail, std::size_t line = 0);
  const std::string& format() const noexcept { return format_; }
  const std::string& field() const noexcept { return field_; }
  std::size_t offset() const noexcept { return offset_; }
  std::size_t line() const noexcept { return line_; }
  // The explanation alone, without format, field and offset.
  const std::string& detail() const noexcept { return detail_; }

 private:
  std::string format_;
  std::string detail_;
  std::string field_;
  std::size_t offset_;
  std::size_t line_;
};

}  // namespace fpm
