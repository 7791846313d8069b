#pragma once
// NumPy .npy files of float32 matrices [rows, cols] (C order, little-endian), the exchange
// format of `pv forward` with code outside C++. Format: numpy.org "NEP 1" (.npy v1.0-3.0).
#include <cstddef>
#include <string>
#include <vector>

namespace pv::engine::io {

struct Matrix {
  std::size_t rows = 0, cols = 0;
  std::vector<float> data;  // row-major, rows * cols
};

// Reads a '<f4' (or '|f4'-equivalent little-endian float32) C-order array of rank 2; rank 1
// [n] reads as [1, n]. Throws std::runtime_error naming the file, the byte offset and what
// was expected for a bad magic, header, dtype, order, shape or a short data section.
Matrix read_npy(const std::string& path);

// Writes a v1.0 .npy file of shape [rows, cols], dtype '<f4'. Throws naming the file.
void write_npy(const std::string& path, const float* data, std::size_t rows, std::size_t cols);
inline void write_npy(const std::string& path, const Matrix& m) {
  write_npy(path, m.data.data(), m.rows, m.cols);
}

// Parses the header dictionary text ({'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), })
// into the shape; exposed for tests and fuzzing. `where` prefixes error messages.
std::vector<std::size_t> parse_npy_header(const std::string& header, const std::string& where);

}  // namespace pv::engine::io
