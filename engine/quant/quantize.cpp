// Q8_0, Q8_K and the float types, and the row-level dispatch over every type.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "engine/quant/dequant.hpp"
#include "engine/quant/f16.hpp"
#include "engine/quant/quantize.hpp"
#include "engine/quant/rounding.hpp"

namespace pv::engine::quant {
namespace {
int round_clamp(float v, int lim) { return quant::round_clamp(v, -lim, lim); }
float max_abs(const float* x, int n) {
  float a = 0;
  for (int i = 0; i < n; ++i) a = std::max(a, std::fabs(x[i]));
  return a;
}
}  // namespace

void quantize_q8_0(const float* x, BlockQ8_0& b) {
  b.d = f32_to_f16(std::min(max_abs(x, QK8_0) / 127, 65504.0f));
  const float d = f16_to_f32(b.d);
  for (int i = 0; i < QK8_0; ++i)
    b.qs[i] = static_cast<std::int8_t>(d > 0 ? round_clamp(x[i] / d, 127) : 0);
}

void quantize_q8k(const float* x, BlockQ8K& b) {
  const float amax = max_abs(x, QK_K);
  b.d = amax / 127;
  for (int i = 0; i < QK_K; ++i)
    b.qs[i] = static_cast<std::int8_t>(b.d > 0 ? round_clamp(x[i] / b.d, 127) : 0);
  for (int g = 0; g < QK_K / 16; ++g) {
    int s = 0;
    for (int i = 0; i < 16; ++i) s += b.qs[16 * g + i];
    b.bsums[g] = static_cast<std::int16_t>(s);
  }
}

void quantize_row_q8k(const float* x, BlockQ8K* out, std::int64_t n) {
  check_row_length(Type::Q8_K, n, "quantize_row_q8k");
  for (std::int64_t i = 0; i < n / QK_K; ++i) quantize_q8k(x + i * QK_K, out[i]);
}

namespace {
template <class Block, class Fn>
void each_block(const float* src, void* dst, std::int64_t n, int per_block, Fn fn) {
  auto* p = static_cast<std::uint8_t*>(dst);
  Block b;
  for (std::int64_t i = 0; i < n / per_block; ++i) {
    fn(src + i * per_block, b);
    std::memcpy(p + i * static_cast<std::int64_t>(sizeof(Block)), &b, sizeof(Block));
  }
}
}  // namespace

void quantize_row(Type t, const float* src, void* dst, std::int64_t n) {
  check_row_length(t, n, "quantize_row");
  auto* p = static_cast<std::uint8_t*>(dst);
  switch (t) {
    case Type::F32: std::memcpy(dst, src, static_cast<std::size_t>(n) * 4); return;
    case Type::F16:
    case Type::BF16:
      for (std::int64_t i = 0; i < n; ++i) {
        const std::uint16_t h = t == Type::F16 ? f32_to_f16(src[i]) : f32_to_bf16(src[i]);
        std::memcpy(p + 2 * i, &h, 2);
      }
      return;
    case Type::Q4_K: each_block<BlockQ4K>(src, dst, n, QK_K, quantize_q4k); return;
    case Type::Q6_K: each_block<BlockQ6K>(src, dst, n, QK_K, quantize_q6k); return;
    case Type::Q8_0: each_block<BlockQ8_0>(src, dst, n, QK8_0, quantize_q8_0); return;
    case Type::Q8_K: each_block<BlockQ8K>(src, dst, n, QK_K, quantize_q8k); return;
  }
  throw std::invalid_argument("quantize_row: unknown type");
}

}  // namespace pv::engine::quant
