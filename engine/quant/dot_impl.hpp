#pragma once
// Internal to engine/quant: per-ISA row kernels and the f32 steps both ISAs share, so that the
// scalar and AVX2 paths of dot_q8k perform the same f32 operations in the same order.
#include <cstdint>

#include "engine/quant/blocks.hpp"
#include "engine/quant/f16.hpp"

namespace pv::engine::quant::detail {

// Q4_K x Q8_K, one block: sumi = sum_j sc_j * sum(q * qx), summ = sum_j m_j * (bsum pair j).
inline float q4k_block_finish(float acc, float xd, std::uint16_t d, std::uint16_t dmin,
                              std::int32_t sumi, std::int32_t summ) {
  const float dall = xd * f16_to_f32(d);
  const float dm = xd * f16_to_f32(dmin);
  acc = acc + dall * static_cast<float>(sumi);
  acc = acc - dm * static_cast<float>(summ);
  return acc;
}

// Q6_K x Q8_K, one block: sumi = sum_j sc_j * sum((q - 32) * qx).
inline float q6k_block_finish(float acc, float xd, std::uint16_t d, std::int32_t sumi) {
  return acc + (xd * f16_to_f32(d)) * static_cast<float>(sumi);
}

// Q8_0 x Q8_K, one 32-value block.
inline float q8_0_block_finish(float acc, float xd, std::uint16_t d, std::int32_t sumi) {
  return acc + (f16_to_f32(d) * xd) * static_cast<float>(sumi);
}

float dot_f32_scalar(int type, const std::uint8_t* row, const float* x, std::int64_t n);
float dot_q8k_scalar(int type, const std::uint8_t* row, const BlockQ8K* x, std::int64_t n);
// Return false when the type has no AVX2 kernel (the caller then uses the scalar one).
bool dot_f32_avx2(int type, const std::uint8_t* row, const float* x, std::int64_t n, float* out);
bool dot_q8k_avx2(int type, const std::uint8_t* row, const BlockQ8K* x, std::int64_t n, float* out);

}  // namespace pv::engine::quant::detail
