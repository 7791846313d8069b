#pragma once
// One weight row against the Q8_K activations of several tokens (q8 mode), bit-identical to
// calling quant::dot_q8k once per token: the integer sums are exact in any order and each
// block ends with the same f32 steps as engine/quant's kernels (q4k_block_finish in
// dot_impl.hpp). What is shared between the tokens is the unpacking of the row's blocks
// (nibbles, 6-bit scales and mins), paid once per row instead of once per token.
// test_dot_multi.cpp checks the equality on random rows.
#include <cstdint>

#include "engine/quant/blocks.hpp"
#include "engine/quant/dot.hpp"

namespace pv::engine::cpu {

// out[i] = quant::dot_q8k(t, row, xs[i], n, isa) for i < count, bit for bit, for activations
// made by quant::quantize_row_q8k (values in [-127, 127]). AVX2 kernels for Q4_K and Q6_K;
// other types and the scalar ISA call quant::dot_q8k per token.
void dot_q8k_multi(quant::Type t, const std::uint8_t* row, int n, const quant::BlockQ8K* const* xs, int count,
                   float* out, quant::Isa isa);

// out_a[i] and out_b[i] as dot_q8k_multi gives them for row_a and row_b (same type and length),
// bit for bit; a single token with two AVX2 Q4_K rows (decode's gate and up) has its own kernel.
void dot_q8k_pair(quant::Type t, const std::uint8_t* row_a, const std::uint8_t* row_b, int n,
                  const quant::BlockQ8K* const* xs, int count, float* out_a, float* out_b, quant::Isa isa);

}  // namespace pv::engine::cpu
