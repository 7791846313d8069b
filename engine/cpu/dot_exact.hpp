#pragma once
// quant::dot_f32 for the exact mode's single-token rows, bit for bit: the AVX2 Q4_K and Q6_K
// kernels of engine/quant (same lane layout, same IEEE operations in the same order), reading
// the row's blocks in place instead of copying each block to the stack first (the copy's
// stores and the 32-byte loads that straddle them defeat store forwarding). Other types and
// the scalar ISA call quant::dot_f32. test_dot_multi.cpp checks the equality.
#include <cstdint>

#include "engine/quant/dot.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::cpu {

float dot_f32_row(quant::Type t, const std::uint8_t* row, const float* x, int n, quant::Isa isa);

// dot_f32_row for two rows of the same type and length against the same x (decode's gate and
// up rows), each result bit for bit as dot_f32_row gives it; AVX2 Q4_K loads x once.
void dot_f32_row_pair(quant::Type t, const std::uint8_t* row_a, const std::uint8_t* row_b, const float* x, int n,
                      float* out_a, float* out_b, quant::Isa isa);

}  // namespace pv::engine::cpu
