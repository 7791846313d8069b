#pragma once
// One weight row to f32 for the exact mode's batch path: the row is expanded once into a
// per-thread buffer (one row, never a tensor) and then dotted with every token routed to it.
// The values are bit-identical to quant::dequantize_row (same IEEE operations: Q4_K
// (d*sc)*q - (dmin*m), Q6_K (d*sc)*(q-32), Q8_0 d*q, exact F16/BF16 widening), which
// test_dequant_row.cpp checks; the AVX2 version only vectorises them.
#include <cstdint>

#include "engine/quant/dot.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::cpu {

// n values (a multiple of the type's block size) of `row` into out. F32 rows are copied.
void dequantise_row(quant::Type t, const std::uint8_t* row, float* out, int n, quant::Isa isa);

// The dot of an expanded row w = dequantise_row(t, row) with x, summed in exactly the lane
// layout and order quant::dot_f32(t, row, x, n, isa) uses, so the two are bit-identical
// (test_dequant_row.cpp checks every type and ISA). This lets the engine expand a row once
// when several tokens use it and still give each token the bits the fused kernel would:
//   scalar ISA, F16, BF16: one f32 sum, left to right
//   AVX2 Q4_K, F32:        4 accumulators over 8-value groups cycling every 32 values
//   AVX2 Q6_K, Q8_0:       2 accumulators over 8-value groups cycling every 16 values
float dot_expanded(quant::Type t, const float* w, const float* x, int n, quant::Isa isa);

}  // namespace pv::engine::cpu
