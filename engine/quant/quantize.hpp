#pragma once
// Reference quantisation: f32 -> blocks. Q4_K and Q6_K search each sub-block's scale (and
// min) to minimise a weighted squared error, as llama.cpp's quantisers do, so synthetic weights
// have the statistics of real files; Q8_0 and Q8_K scale by the block's largest magnitude.
// Deterministic: same input, same bytes, on every machine (no FMA, ties to even).
#include <cstdint>

#include "engine/quant/blocks.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::quant {

// n values (a multiple of the block size) into row_bytes(t, n) bytes at dst. Every Type.
void quantize_row(Type t, const float* src, void* dst, std::int64_t n);

void quantize_q4k(const float* x, BlockQ4K& b);    // 256 values
void quantize_q6k(const float* x, BlockQ6K& b);    // 256 values
void quantize_q8_0(const float* x, BlockQ8_0& b);  // 32 values
// Activation format: d = max|x| / 127, q = round(x / d) in [-127, 127], bsums of 16 values.
void quantize_q8k(const float* x, BlockQ8K& b);    // 256 values
void quantize_row_q8k(const float* x, BlockQ8K* out, std::int64_t n);

}  // namespace pv::engine::quant
