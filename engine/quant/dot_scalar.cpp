// The scalar reference dot products. dot_f32 dequantises a block, then sums left to right;
// dot_q8k forms exact integer sums per sub-block and finishes each block in dot_impl.hpp.
#include <cstring>

#include "engine/quant/dequant.hpp"
#include "engine/quant/dot_impl.hpp"
#include "engine/quant/scales.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::quant::detail {

float dot_f32_scalar(int type, const std::uint8_t* row, const float* x, std::int64_t n) {
  const Type t = static_cast<Type>(type);
  const TypeInfo& ti = info(t);
  const int chunk = ti.block_values == 1 ? QK_K : ti.block_values;  // values dequantised at once
  float w[QK_K];
  float acc = 0;
  for (std::int64_t i = 0; i < n; i += chunk) {
    const std::int64_t len = n - i < chunk ? n - i : chunk;
    dequantize_row(t, row + static_cast<std::size_t>(i / ti.block_values) * ti.block_bytes, w, len);
    for (std::int64_t l = 0; l < len; ++l) acc = acc + w[l] * x[i + l];
  }
  return acc;
}

namespace {

float q4k(const std::uint8_t* row, const BlockQ8K* x, std::int64_t nb) {
  float acc = 0;
  BlockQ4K b;
  for (std::int64_t i = 0; i < nb; ++i) {
    std::memcpy(&b, row + i * sizeof(BlockQ4K), sizeof b);
    const ScaleMin s = unpack_q4k_scales(b.scales);
    std::int32_t sumi = 0, summ = 0;
    for (int j = 0; j < 8; ++j) {
      const int c = j / 2, shift = (j % 2) * 4;
      std::int32_t dot = 0;
      for (int l = 0; l < 32; ++l) dot += ((b.qs[32 * c + l] >> shift) & 0xF) * x[i].qs[32 * j + l];
      sumi += s.sc[j] * dot;
      summ += s.m[j] * (x[i].bsums[2 * j] + x[i].bsums[2 * j + 1]);
    }
    acc = q4k_block_finish(acc, x[i].d, b.d, b.dmin, sumi, summ);
  }
  return acc;
}

float q6k(const std::uint8_t* row, const BlockQ8K* x, std::int64_t nb) {
  float acc = 0;
  BlockQ6K b;
  for (std::int64_t i = 0; i < nb; ++i) {
    std::memcpy(&b, row + i * sizeof(BlockQ6K), sizeof b);
    std::int32_t sub[16] = {};
    for (int h = 0; h < 2; ++h) {
      const std::uint8_t* ql = b.ql + 64 * h;
      const std::uint8_t* qh = b.qh + 32 * h;
      const std::int8_t* xq = x[i].qs + 128 * h;
      for (int l = 0; l < 32; ++l) {
        const int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        const int is = 8 * h + l / 16;
        sub[is + 0] += q1 * xq[l];
        sub[is + 2] += q2 * xq[l + 32];
        sub[is + 4] += q3 * xq[l + 64];
        sub[is + 6] += q4 * xq[l + 96];
      }
    }
    std::int32_t sumi = 0;
    for (int j = 0; j < 16; ++j) sumi += b.scales[j] * sub[j];
    acc = q6k_block_finish(acc, x[i].d, b.d, sumi);
  }
  return acc;
}

float q8_0(const std::uint8_t* row, const BlockQ8K* x, std::int64_t nb) {
  float acc = 0;
  BlockQ8_0 b;
  for (std::int64_t i = 0; i < nb; ++i) {
    std::memcpy(&b, row + i * sizeof(BlockQ8_0), sizeof b);
    const BlockQ8K& xb = x[i / 8];
    const std::int8_t* xq = xb.qs + 32 * (i % 8);
    std::int32_t sumi = 0;
    for (int l = 0; l < 32; ++l) sumi += b.qs[l] * xq[l];
    acc = q8_0_block_finish(acc, xb.d, b.d, sumi);
  }
  return acc;
}

}  // namespace

float dot_q8k_scalar(int type, const std::uint8_t* row, const BlockQ8K* x, std::int64_t n) {
  const Type t = static_cast<Type>(type);
  if (t == Type::Q4_K) return q4k(row, x, n / QK_K);
  if (t == Type::Q6_K) return q6k(row, x, n / QK_K);
  if (t == Type::Q8_0) return q8_0(row, x, n / QK8_0);
  // Float weight types (and Q8_K itself): dequantise both sides, sum in f32.
  float xf[QK_K];
  float acc = 0;
  for (std::int64_t b = 0; b < n / QK_K; ++b) {
    dequantize_q8k(x[b], xf);
    const std::size_t off = static_cast<std::size_t>(b) * row_bytes(t, QK_K);
    float w[QK_K];
    dequantize_row(t, row + off, w, QK_K);
    for (int l = 0; l < QK_K; ++l) acc = acc + w[l] * xf[l];
  }
  return acc;
}

}  // namespace pv::engine::quant::detail
