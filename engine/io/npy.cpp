// .npy reader/writer for float32 matrices. Layout (NEP 1): magic "\x93NUMPY", u8 major, u8 minor,
// header length (u16 LE for v1, u32 LE for v2/v3), an ASCII Python dict literal padded with
// spaces and a '\n' so the data starts at a multiple of 64 bytes, then the raw array.
#include "engine/io/npy.hpp"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace pv::engine::io {
namespace {

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw std::runtime_error(where + ": " + what);
}

// A minimal scanner for the header's dict literal: quoted strings, True/False, int tuples.
struct Scanner {
  const std::string& s;
  std::size_t i = 0;
  const std::string& where;
  void skip_ws() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  bool peek(char c) {
    skip_ws();
    return i < s.size() && s[i] == c;
  }
  void expect(char c) {
    if (!peek(c))
      fail(where, "header offset " + std::to_string(i) + ": expected '" + std::string(1, c) +
                      "' in " + s);
    ++i;
  }
  std::string quoted() {
    skip_ws();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"'))
      fail(where, "header offset " + std::to_string(i) + ": expected a quoted string in " + s);
    const char q = s[i++];
    const std::size_t end = s.find(q, i);
    if (end == std::string::npos) fail(where, "header: unterminated string in " + s);
    std::string out = s.substr(i, end - i);
    i = end + 1;
    return out;
  }
  std::string word() {
    skip_ws();
    std::size_t b = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(b, i - b);
  }
  std::size_t integer() {
    skip_ws();
    std::size_t b = i;
    std::size_t v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      const std::size_t d = static_cast<std::size_t>(s[i] - '0');
      if (v > (std::numeric_limits<std::size_t>::max() - d) / 10)
        fail(where, "header: shape dimension overflows at offset " + std::to_string(b));
      v = v * 10 + d;
      ++i;
    }
    if (i == b) fail(where, "header offset " + std::to_string(b) + ": expected an integer in " + s);
    skip_ws();
    if (i < s.size() && s[i] == 'L') ++i;  // Python 2 long suffix
    return v;
  }
  std::vector<std::size_t> tuple() {
    expect('(');
    std::vector<std::size_t> dims;
    while (!peek(')')) {
      dims.push_back(integer());
      if (peek(',')) ++i;
      else if (!peek(')')) fail(where, "header: expected ',' or ')' in shape of " + s);
    }
    ++i;
    return dims;
  }
};

std::uint32_t le_u32(const unsigned char* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
         std::uint32_t(p[3]) << 24;
}

}  // namespace

std::vector<std::size_t> parse_npy_header(const std::string& header, const std::string& where) {
  Scanner sc{header, 0, where};
  std::string descr;
  bool have_descr = false, have_order = false, have_shape = false;
  std::vector<std::size_t> shape;
  sc.expect('{');
  while (!sc.peek('}')) {
    const std::string key = sc.quoted();
    sc.expect(':');
    if (key == "descr") {
      descr = sc.quoted();
      have_descr = true;
    } else if (key == "fortran_order") {
      const std::string w = sc.word();
      if (w == "True") fail(where, "fortran_order is True; only C-order arrays are supported "
                                   "(write with numpy.ascontiguousarray)");
      if (w != "False") fail(where, "header: fortran_order must be True or False, got '" + w + "'");
      have_order = true;
    } else if (key == "shape") {
      shape = sc.tuple();
      have_shape = true;
    } else {
      fail(where, "header: unknown key '" + key + "'");
    }
    if (sc.peek(',')) ++sc.i;
    else if (!sc.peek('}')) fail(where, "header: expected ',' or '}' after key '" + key + "'");
  }
  if (!have_descr || !have_order || !have_shape)
    fail(where, "header lacks one of 'descr', 'fortran_order', 'shape': " + header);
  if (descr != "<f4" && descr != "=f4")
    fail(where, "dtype '" + descr + "' is not supported; expected float32 '<f4' "
                "(convert with array.astype(numpy.float32))");
  return shape;
}

Matrix read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open for reading");
  unsigned char pre[12] = {};
  in.read(reinterpret_cast<char*>(pre), 10);
  if (in.gcount() < 10 || std::memcmp(pre, "\x93NUMPY", 6) != 0)
    fail(path, "byte 0: not a .npy file (magic \\x93NUMPY missing)");
  const int major = pre[6];
  std::size_t header_len = 0, data_offset = 0;
  if (major == 1) {
    header_len = std::size_t(pre[8]) | std::size_t(pre[9]) << 8;
    data_offset = 10 + header_len;
  } else if (major == 2 || major == 3) {
    in.read(reinterpret_cast<char*>(pre + 10), 2);
    if (in.gcount() < 2) fail(path, "byte 10: file ends inside the header length");
    header_len = le_u32(pre + 8);
    data_offset = 12 + header_len;
  } else {
    fail(path, "byte 6: unsupported .npy version " + std::to_string(major) + "." +
                   std::to_string(pre[7]));
  }
  if (header_len > (1u << 20)) fail(path, "header length " + std::to_string(header_len) + " is implausible");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  if (static_cast<std::size_t>(in.gcount()) < header_len)
    fail(path, "file ends inside the header (expected " + std::to_string(header_len) + " bytes)");
  const std::vector<std::size_t> shape = parse_npy_header(header, path);
  Matrix m;
  if (shape.size() == 2) {
    m.rows = shape[0];
    m.cols = shape[1];
  } else if (shape.size() == 1) {
    m.rows = 1;
    m.cols = shape[0];
  } else {
    fail(path, "array has rank " + std::to_string(shape.size()) + "; expected [rows, cols] float32");
  }
  if (m.cols != 0 && m.rows > (std::size_t(1) << 40) / m.cols)
    fail(path, "shape [" + std::to_string(m.rows) + ", " + std::to_string(m.cols) + "] is too large");
  const std::size_t n = m.rows * m.cols;
  m.data.resize(n);
  in.read(reinterpret_cast<char*>(m.data.data()), static_cast<std::streamsize>(n * sizeof(float)));
  const std::size_t got = static_cast<std::size_t>(in.gcount());
  if (got < n * sizeof(float))
    fail(path, "byte " + std::to_string(data_offset + got) + ": data ends early; shape [" +
                   std::to_string(m.rows) + ", " + std::to_string(m.cols) + "] needs " +
                   std::to_string(n * sizeof(float)) + " bytes, found " + std::to_string(got));
  static_assert(sizeof(float) == 4);
  return m;  // host is little-endian (x86-64/aarch64), as is '<f4'
}

void write_npy(const std::string& path, const float* data, std::size_t rows, std::size_t cols) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  // Pad with spaces so that 10 + header length (with its '\n') is a multiple of 64.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  if (header.size() > 65535) fail(path, "header too long for .npy v1.0");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(path, "cannot open for writing");
  const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                 static_cast<unsigned char>(header.size() & 0xff),
                                 static_cast<unsigned char>(header.size() >> 8)};
  out.write(reinterpret_cast<const char*>(pre), 10);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(rows * cols * sizeof(float)));
  out.flush();
  if (!out) fail(path, "write failed (disk full?)");
}

}  // namespace pv::engine::io
