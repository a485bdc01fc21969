#include "fpmatch/error.hpp"

#include <utility>

namespace fpm {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::Ok: return "ok";
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::Io: return "i/o error";
    case ErrorCode::UnknownFormat: return "unknown format";
    case ErrorCode::UnsupportedFormat: return "unsupported format";
    case ErrorCode::Truncated: return "truncated record";
    case ErrorCode::LengthMismatch: return "length mismatch";
    case ErrorCode::CountMismatch: return "count mismatch";
    case ErrorCode::ReservedValue: return "reserved value";
    case ErrorCode::OutOfRange: return "value out of range";
    case ErrorCode::NoViews: return "no finger views";
    case ErrorCode::Syntax: return "syntax error";
    case ErrorCode::Internal: return "internal error";
    case ErrorCode::Corrupt: return "corrupt file";
    case ErrorCode::Unavailable: return "backend unavailable";
    case ErrorCode::OutOfMemory: return "out of memory";
  }
  return "unknown error";
}

Error::Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}

namespace {
std::string decode_message(ErrorCode code, const std::string& format, const std::string& field,
                           std::size_t offset, const std::string& detail, std::size_t line) {
  std::string m = format.empty() ? std::string() : format + ": ";
  m += error_code_name(code);
  if (!field.empty()) m += " in field '" + field + "'";
  if (line > 0) m += " on line " + std::to_string(line);
  m += " at byte offset " + std::to_string(offset);
  if (!detail.empty()) m += ": " + detail;
  return m;
}
}  // namespace

DecodeError::DecodeError(ErrorCode code, std::string format, std::string field, std::size_t offset,
                         const std::string& detail, std::size_t line)
    : Error(code, decode_message(code, format, field, offset, detail, line)),
      format_(std::move(format)),
      detail_(detail),
      field_(std::move(field)),
      offset_(offset),
      line_(line) {}

}  // namespace fpm
