#pragma once
// Reference dequantisation: quantised blocks -> f32, bit-exact with ggml and the gguf package.
// Evaluation order matches theirs so results are identical, not merely close:
//   Q4_K: (d * sc) * q - (dmin * m)      Q6_K: (d * sc) * (q - 32)      Q8_0, Q8_K: d * q
// The library is compiled with -ffp-contract=off so no FMA changes a rounding.
#include <cstdint>

#include "engine/quant/blocks.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::quant {

// n values (a multiple of the type's block size, else std::invalid_argument) from src to dst.
// Works for every Type, including F32 (a copy), F16, BF16 and Q8_K.
void dequantize_row(Type t, const void* src, float* dst, std::int64_t n);

void dequantize_q4k(const BlockQ4K& b, float* dst);   // 256 values
void dequantize_q6k(const BlockQ6K& b, float* dst);   // 256 values
void dequantize_q8_0(const BlockQ8_0& b, float* dst); // 32 values
void dequantize_q8k(const BlockQ8K& b, float* dst);   // 256 values

// Throws std::invalid_argument unless n is a positive multiple of t's block size.
void check_row_length(Type t, std::int64_t n, const char* what);

}  // namespace pv::engine::quant
