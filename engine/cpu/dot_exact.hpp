#pragma once
// The exact mode's decode dot for an expert's gate and up rows: both rows against the same x,
// each result bit for bit quant::dot_f32's (the AVX2 Q4_K kernel of engine/quant, same lane
// layout, same IEEE operations in the same order, x loaded once for both rows). Other types
// and the scalar ISA call quant::dot_f32 per row. test_dot_multi.cpp checks the equality.
#include <cstdint>

#include "engine/quant/dot.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::cpu {

void dot_f32_row_pair(quant::Type t, const std::uint8_t* row_a, const std::uint8_t* row_b, const float* x, int n,
                      float* out_a, float* out_b, quant::Isa isa);

}  // namespace pv::engine::cpu
