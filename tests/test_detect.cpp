// Format detection and the dispatcher.
#include <catch2/catch.hpp>

#include "decode_helpers.hpp"
#include "record_builders.hpp"
#include "support.hpp"

using fpm::ErrorCode;
using fpm::Format;
using namespace fpm_test;

TEST_CASE("detect: ISO and ANSI records with the same magic are told apart", "[detect]") {
  std::mt19937 rng(31);
  const auto t = random_template(rng, 20);
  const auto iso = fpm::encode({t}, Format::Iso19794_2_2005);
  const auto ansi = fpm::encode({t}, Format::Ansi378_2004);
  CHECK(fpm::detect_format(iso.data(), iso.size()) == Format::Iso19794_2_2005);
  CHECK(fpm::detect_format(ansi.data(), ansi.size()) == Format::Ansi378_2004);
  CHECK(fpm::decode(iso).format == Format::Iso19794_2_2005);
  CHECK(fpm::decode(ansi).format == Format::Ansi378_2004);

  // Zero padding after an ISO record (seen in the wild) keeps it ISO.
  auto padded = iso;
  padded.resize(iso.size() + 100, 0);
  CHECK(fpm::detect_format(padded.data(), padded.size()) == Format::Iso19794_2_2005);

  // A broken ANSI record is still named ANSI, and its error is ANSI's.
  auto broken = ansi;
  broken[29] = 200;  // minutiae count past the data
  CHECK(fpm::detect_format(broken.data(), broken.size()) == Format::Ansi378_2004);
  const fpm::DecodeError e = decode_error(broken);
  CHECK(e.format() == "ANSI INCITS 378-2004");
  CHECK(e.code() == ErrorCode::CountMismatch);
}

TEST_CASE("detect: version 030 records and text and transactions and garbage", "[detect]") {
  Rep2011 rep;
  rep.minutiae.push_back({1, 10, 10, 0, 50});
  const auto iso11 = build_iso2011({rep});
  CHECK(fpm::detect_format(iso11.data(), iso11.size()) == Format::Iso19794_2_2011);
  View2009 view;
  view.minutiae.push_back({1, 10, 10, 0, 50});
  const auto ansi09 = build_ansi2009({view});
  CHECK(fpm::detect_format(ansi09.data(), ansi09.size()) == Format::Ansi378_2009);

  const std::string xyt = "10 20 30 40\n";
  CHECK(fpm::detect_format(reinterpret_cast<const std::uint8_t*>(xyt.data()), xyt.size()) == Format::NistXyt);
  const std::string an2k = "1.001:134\x1d" "1.002:0300";
  CHECK(fpm::detect_format(reinterpret_cast<const std::uint8_t*>(an2k.data()), an2k.size()) ==
        Format::AnsiNistItl);
  const fpm::DecodeError e = decode_error({an2k.begin(), an2k.end()});
  CHECK(e.code() == ErrorCode::Truncated);  // a 134-byte Type-1 record, 19 bytes given

  const std::vector<std::uint8_t> junk = {0x89, 'P', 'N', 'G', 0, 1, 2, 3, 4};
  CHECK(fpm::detect_format(junk.data(), junk.size()) == Format::Unknown);
  CHECK(decode_error(junk).code() == ErrorCode::UnknownFormat);
  CHECK(fpm::detect_format(nullptr, 0) == Format::Unknown);
  CHECK(decode_error({}).code() == ErrorCode::UnknownFormat);

  std::vector<std::uint8_t> v99 = {'F', 'M', 'R', 0, '9', '9', '9', 0, 0, 0, 0, 30};
  CHECK(decode_error(v99).code() == ErrorCode::UnsupportedFormat);
}

TEST_CASE("detect: an explicit format overrides detection", "[detect]") {
  std::mt19937 rng(32);
  const auto iso = fpm::encode({random_template(rng, 5)}, Format::Iso19794_2_2005);
  const fpm::DecodeError e = decode_error(iso, as(Format::Ansi378_2004));
  CHECK(e.format() == "ANSI INCITS 378-2004");
  CHECK(fpm::decode(iso, as(Format::Iso19794_2_2005)).views.size() == 1);
}

TEST_CASE("format names parse and print", "[detect]") {
  for (Format f : {Format::Iso19794_2_2005, Format::Iso19794_2_2011, Format::Ansi378_2004, Format::Ansi378_2009,
                   Format::NistXyt, Format::Auto})
    CHECK(fpm::parse_format_name(fpm::format_name(f)) == f);
  CHECK(fpm::parse_format_name("ISO19794-2:2005") == Format::Iso19794_2_2005);
  CHECK(fpm::parse_format_name("ansi378-2009") == Format::Ansi378_2009);
  CHECK_THROWS_AS(fpm::parse_format_name("jpeg"), fpm::Error);
  std::mt19937 rng(33);
  const auto t = random_template(rng, 3);
  CHECK(encode_error({t}, Format::Iso19794_2_2011) == ErrorCode::UnsupportedFormat);
}

TEST_CASE("files: read and atomic write and decode_file errors", "[detect]") {
  std::mt19937 rng(34);
  const auto bytes = fpm::encode({random_template(rng, 9)}, Format::Ansi378_2004);
  const std::string path = "fpm_test_file.ansi";
  fpm::write_file_atomic(path, bytes.data(), bytes.size());
  CHECK(fpm::read_file(path) == bytes);
  CHECK(fpm::decode_file(path).format == Format::Ansi378_2004);
  // Overwrite in place: the old content is replaced whole.
  const std::vector<std::uint8_t> small = {'1', ' ', '2', ' ', '3', '\n'};
  fpm::write_file_atomic(path, small.data(), small.size());
  CHECK(fpm::read_file(path) == small);
  std::remove(path.c_str());
  try {
    fpm::decode_file("/nonexistent/dir/file.ist");
    FAIL("read a missing file");
  } catch (const fpm::Error& e) {
    CHECK(e.code() == ErrorCode::Io);
  }
  CHECK_THROWS_AS(fpm::write_file_atomic("/nonexistent/dir/x", small.data(), small.size()), fpm::Error);
  // An empty .xyt file is a valid template: the extension decides.
  const std::string empty = "fpm_test_empty.xyt";
  fpm::write_file_atomic(empty, nullptr, 0);
  CHECK(fpm::decode_file(empty).views.at(0).size() == 0);
  std::remove(empty.c_str());
}
