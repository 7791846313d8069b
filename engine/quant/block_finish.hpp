#pragma once
// The f32 steps that finish one block of a dot_q8k row kernel from its exact integer sums. Every
// kernel that promises dot_q8k's bits calls these (scalar and AVX2 here, engine/cpu's
// multi-token kernels), compiled without FMA contraction (-ffp-contract=off in both libraries).
#include <cstdint>

#include "engine/quant/f16.hpp"

namespace pv::engine::quant {

// Q4_K x Q8_K, one block: sumi = sum_j sc_j * sum(q * qx), summ = sum_j m_j * (bsum pair j).
inline float q4k_block_finish(float acc, float xd, std::uint16_t d, std::uint16_t dmin, std::int32_t sumi,
                              std::int32_t summ) {
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

}  // namespace pv::engine::quant
