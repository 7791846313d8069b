#include "engine/quant/dequant.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "engine/quant/f16.hpp"
#include "engine/quant/scales.hpp"

namespace pv::engine::quant {

void check_row_length(Type t, std::int64_t n, const char* what) {
  const int bv = info(t).block_values;
  if (n <= 0 || n % bv != 0)
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(n) + " values of " +
                                name(t) + " is not a positive multiple of its block size " +
                                std::to_string(bv));
}

void dequantize_q4k(const BlockQ4K& b, float* y) {
  const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
  const ScaleMin s = unpack_q4k_scales(b.scales);
  for (int c = 0; c < 4; ++c) {  // 64-value chunks: low nibbles then high nibbles
    const std::uint8_t* q = b.qs + 32 * c;
    const float d1 = d * static_cast<float>(s.sc[2 * c]), m1 = dmin * static_cast<float>(s.m[2 * c]);
    const float d2 = d * static_cast<float>(s.sc[2 * c + 1]), m2 = dmin * static_cast<float>(s.m[2 * c + 1]);
    for (int l = 0; l < 32; ++l) y[64 * c + l] = d1 * static_cast<float>(q[l] & 0xF) - m1;
    for (int l = 0; l < 32; ++l) y[64 * c + 32 + l] = d2 * static_cast<float>(q[l] >> 4) - m2;
  }
}

void dequantize_q6k(const BlockQ6K& b, float* y) {
  const float d = f16_to_f32(b.d);
  for (int h = 0; h < 2; ++h) {  // two 128-value halves
    const std::uint8_t* ql = b.ql + 64 * h;
    const std::uint8_t* qh = b.qh + 32 * h;
    const std::int8_t* sc = b.scales + 8 * h;
    float* out = y + 128 * h;
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      out[l] = (d * static_cast<float>(sc[is + 0])) * static_cast<float>(q1);
      out[l + 32] = (d * static_cast<float>(sc[is + 2])) * static_cast<float>(q2);
      out[l + 64] = (d * static_cast<float>(sc[is + 4])) * static_cast<float>(q3);
      out[l + 96] = (d * static_cast<float>(sc[is + 6])) * static_cast<float>(q4);
    }
  }
}

void dequantize_q8_0(const BlockQ8_0& b, float* y) {
  const float d = f16_to_f32(b.d);
  for (int i = 0; i < QK8_0; ++i) y[i] = d * static_cast<float>(b.qs[i]);
}

void dequantize_q8k(const BlockQ8K& b, float* y) {
  for (int i = 0; i < QK_K; ++i) y[i] = b.d * static_cast<float>(b.qs[i]);
}

namespace {
// Blocks are read through memcpy: GGUF data is only guaranteed to be 1-byte aligned per row.
template <class Block, class Fn>
void each_block(const void* src, float* dst, std::int64_t n, int per_block, Fn fn) {
  const auto* p = static_cast<const std::uint8_t*>(src);
  Block b;
  for (std::int64_t i = 0; i < n / per_block; ++i) {
    std::memcpy(&b, p + i * static_cast<std::int64_t>(sizeof(Block)), sizeof(Block));
    fn(b, dst + i * per_block);
  }
}
}  // namespace

void dequantize_row(Type t, const void* src, float* dst, std::int64_t n) {
  check_row_length(t, n, "dequantize_row");
  const auto* p = static_cast<const std::uint8_t*>(src);
  switch (t) {
    case Type::F32: std::memcpy(dst, src, static_cast<std::size_t>(n) * 4); return;
    case Type::F16:
    case Type::BF16:
      for (std::int64_t i = 0; i < n; ++i) {
        std::uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        dst[i] = t == Type::F16 ? f16_to_f32(h) : bf16_to_f32(h);
      }
      return;
    case Type::Q4_K: each_block<BlockQ4K>(src, dst, n, QK_K, [](const BlockQ4K& b, float* y) { dequantize_q4k(b, y); }); return;
    case Type::Q6_K: each_block<BlockQ6K>(src, dst, n, QK_K, [](const BlockQ6K& b, float* y) { dequantize_q6k(b, y); }); return;
    case Type::Q8_0: each_block<BlockQ8_0>(src, dst, n, QK8_0, [](const BlockQ8_0& b, float* y) { dequantize_q8_0(b, y); }); return;
    case Type::Q8_K: each_block<BlockQ8K>(src, dst, n, QK_K, [](const BlockQ8K& b, float* y) { dequantize_q8k(b, y); }); return;
  }
  throw std::invalid_argument("dequantize_row: unknown type");
}

}  // namespace pv::engine::quant
