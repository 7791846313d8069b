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

}  // namespace pv::engine::cpu
