#pragma once
// Internal to engine/quant: per-ISA row kernels. Their f32 steps per block are
// block_finish.hpp's, so the scalar and AVX2 paths of dot_q8k perform the same f32 operations
// in the same order.
#include <cstdint>

#include "engine/quant/block_finish.hpp"
#include "engine/quant/blocks.hpp"

namespace pv::engine::quant::detail {

float dot_f32_scalar(int type, const std::uint8_t* row, const float* x, std::int64_t n);
float dot_q8k_scalar(int type, const std::uint8_t* row, const BlockQ8K* x, std::int64_t n);
// Return false when the type has no AVX2 kernel (the caller then uses the scalar one).
bool dot_f32_avx2(int type, const std::uint8_t* row, const float* x, std::int64_t n, float* out);
bool dot_q8k_avx2(int type, const std::uint8_t* row, const BlockQ8K* x, std::int64_t n, float* out);

}  // namespace pv::engine::quant::detail
