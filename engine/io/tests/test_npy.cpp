// .npy reader/writer: round trips, the byte layout numpy writes, and clear errors on bad files.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "engine/io/npy.hpp"

using pv::engine::io::Matrix;
using pv::engine::io::read_npy;
using pv::engine::io::write_npy;

namespace {
std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("pv_npy_" + std::to_string(::getpid()) + "_" + name)).string();
}
void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}
std::string npy_bytes(const std::string& dict, const std::string& data) {
  std::string h = dict;
  while ((10 + h.size() + 1) % 64 != 0) h.push_back(' ');
  h.push_back('\n');
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(h.size() & 0xff));
  out.push_back(static_cast<char>(h.size() >> 8));
  return out + h + data;
}
}  // namespace

TEST_CASE("npy round trip keeps shape and every bit") {
  Matrix m{3, 5, {}};
  for (int i = 0; i < 15; ++i) m.data.push_back(static_cast<float>(i) * -0.37f + 1e-30f);
  const std::string p = temp_path("rt.npy");
  write_npy(p, m);
  const Matrix r = read_npy(p);
  CHECK(r.rows == 3);
  CHECK(r.cols == 5);
  CHECK(r.data == m.data);
  std::remove(p.c_str());
}

TEST_CASE("npy header is what numpy writes with 64-byte aligned data") {
  const std::string p = temp_path("hdr.npy");
  const float v[6] = {1, 2, 3, 4, 5, 6};
  write_npy(p, v, 2, 3);
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() == 128 + 24);
  CHECK(bytes.substr(10, 59) == "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  CHECK(bytes[127] == '\n');
  std::remove(p.c_str());
}

TEST_CASE("npy rank-1 reads as one row and double-quoted keys parse") {
  const std::string p = temp_path("r1.npy");
  const float v[2] = {1.5f, -2.f};
  write_bytes(p, npy_bytes("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,)}",
                           std::string(reinterpret_cast<const char*>(v), 8)));
  Matrix m = read_npy(p);
  CHECK(m.rows == 1);
  CHECK(m.cols == 2);
  CHECK(m.data[1] == -2.f);
  std::remove(p.c_str());
}

TEST_CASE("npy errors name the file and the problem") {
  const std::string p = temp_path("bad.npy");
  auto err = [&](const std::string& bytes) {
    write_bytes(p, bytes);
    try {
      read_npy(p);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(err("hello"), Catch::Contains("not a .npy file") && Catch::Contains(p));
  CHECK_THAT(err(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", "12345678")),
             Catch::Contains("'<f8' is not supported"));
  CHECK_THAT(err(npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }", "1234")),
             Catch::Contains("fortran_order is True"));
  CHECK_THAT(err(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", "1234")),
             Catch::Contains("data ends early") && Catch::Contains("byte 132"));
  CHECK_THAT(err(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1), }", "1234")),
             Catch::Contains("rank 3"));
  CHECK_THAT(err(npy_bytes("{'descr': '<f4', 'shape': (1, 1), }", "1234")),
             Catch::Contains("lacks"));
  CHECK_THAT(err(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, x), }", "1234")),
             Catch::Contains("expected an integer"));
  CHECK_THAT(err(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 1), }", "")),
             Catch::Contains("overflows"));
  CHECK_THAT(err(std::string("\x93NUMPY\x09\x00\x00\x00", 10)), Catch::Contains("version 9"));
  std::remove(p.c_str());
  CHECK_THROWS_WITH(read_npy(p), Catch::Contains("cannot open"));
}
