#include "util/byte_reader.hpp"

namespace fpm::detail {

std::string ByteReader::field_name(const char* field) const {
  std::string name;
  if (view_ >= 0) name += "view[" + std::to_string(view_) + "].";
  if (minutia_ >= 0) name += "minutia[" + std::to_string(minutia_) + "].";
  name += field;
  return name;
}

void ByteReader::fail(ErrorCode code, const char* field, std::size_t offset,
                      const std::string& detail) const {
  throw DecodeError(code, format_, field_name(field), offset, detail);
}

void ByteReader::truncated(std::size_t n, const char* field) const {
  std::string detail = "needs " + std::to_string(n) + " byte" + (n == 1 ? "" : "s") + ", " +
                       std::to_string(end_ - pos_) + " left";
  if (end_ < size_) detail += " before the declared end at offset " + std::to_string(end_);
  throw DecodeError(ErrorCode::Truncated, format_, field_name(field), pos_, detail);
}

}  // namespace fpm::detail
