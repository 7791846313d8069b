// f64 dequantisation of one row; formats as in ../shared/docs/moe-facts.md.
#include "engine/reference/dequant_f64.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace pv::engine::reference {
namespace {

std::uint16_t u16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }

// Q4_K, 144 bytes: d, dmin (f16), scales[12], qs[128].
void q4k_block(const std::uint8_t* b, double* y) {
  const double d = f16_to_double(u16(b)), dmin = f16_to_double(u16(b + 2));
  const std::uint8_t* s = b + 4;
  const std::uint8_t* qs = b + 16;
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    if (j < 4) {
      sc = s[j] & 63;
      m = s[j + 4] & 63;
    } else {
      sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
      m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
    const int chunk = j / 2;            // 64-value chunk, 32 bytes of qs
    const bool high = (j % 2) == 1;     // odd sub-block: high nibbles
    for (int l = 0; l < 32; ++l) {
      const std::uint8_t byte = qs[32 * chunk + l];
      const int q = high ? (byte >> 4) : (byte & 0xF);
      y[32 * j + l] = d * sc * q - dmin * m;
    }
  }
}

// Q6_K, 210 bytes: ql[128], qh[64], scales[16] (i8), d (f16).
void q6k_block(const std::uint8_t* b, double* y) {
  const std::uint8_t* ql = b;
  const std::uint8_t* qh = b + 128;
  const std::int8_t* sc = reinterpret_cast<const std::int8_t*>(b + 192);
  const double d = f16_to_double(u16(b + 208));
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * sc[is + 0] * q1;
      y[l + 32] = d * sc[is + 2] * q2;
      y[l + 64] = d * sc[is + 4] * q3;
      y[l + 96] = d * sc[is + 6] * q4;
    }
    ql += 64;
    qh += 32;
    sc += 8;
    y += 128;
  }
}

// Q8_0, 34 bytes: d (f16), qs[32] (i8).
void q80_block(const std::uint8_t* b, double* y) {
  const double d = f16_to_double(u16(b));
  for (int l = 0; l < 32; ++l) y[l] = d * static_cast<std::int8_t>(b[2 + l]);
}

}  // namespace

double f16_to_double(std::uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
  double v;
  if (exp == 0) v = std::ldexp(static_cast<double>(man), -24);            // subnormal
  else if (exp == 31) v = man ? std::numeric_limits<double>::quiet_NaN()
                              : std::numeric_limits<double>::infinity();
  else v = std::ldexp(static_cast<double>(man | 0x400), exp - 25);        // 1.man * 2^(exp-15)
  return sign ? -v : v;
}

double bf16_to_double(std::uint16_t h) {
  const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

bool supports(quant::Type t) {
  using quant::Type;
  return t == Type::F32 || t == Type::F16 || t == Type::BF16 || t == Type::Q8_0 ||
         t == Type::Q4_K || t == Type::Q6_K;
}

void dequantise_row(const ExpertTensor& t, int expert, int row, double* y) {
  using quant::Type;
  const std::size_t rb = t.row_bytes();
  const std::uint8_t* p = t.expert(expert) + rb * static_cast<std::size_t>(row);
  const int n = t.cols;
  switch (t.type) {
    case Type::F32:
      for (int i = 0; i < n; ++i) {
        float f;
        std::memcpy(&f, p + 4 * i, 4);
        y[i] = f;
      }
      return;
    case Type::F16:
      for (int i = 0; i < n; ++i) y[i] = f16_to_double(u16(p + 2 * i));
      return;
    case Type::BF16:
      for (int i = 0; i < n; ++i) y[i] = bf16_to_double(u16(p + 2 * i));
      return;
    case Type::Q8_0:
      for (int b = 0; b < n / 32; ++b) q80_block(p + 34 * b, y + 32 * b);
      return;
    case Type::Q4_K:
      for (int b = 0; b < n / 256; ++b) q4k_block(p + 144 * b, y + 256 * b);
      return;
    case Type::Q6_K:
      for (int b = 0; b < n / 256; ++b) q6k_block(p + 210 * b, y + 256 * b);
      return;
    default:
      break;
  }
  throw std::invalid_argument("reference: tensor " + t.name + " has type " +
                              std::to_string(static_cast<unsigned>(t.type)) +
                              ", which the f64 oracle cannot dequantise");
}

std::vector<double> dequantise_row(const ExpertTensor& t, int expert, int row) {
  std::vector<double> y(static_cast<std::size_t>(t.cols));
  dequantise_row(t, expert, row, y.data());
  return y;
}

}  // namespace pv::engine::reference
