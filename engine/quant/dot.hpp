#pragma once
// Dot product of one quantised row with activations, as the engines' matrix-vector products use
// it. Two activation forms:
//   dot_f32: f32 activations (ActivationMode::exact). Weights are dequantised exactly as in
//            dequant.hpp, then multiplied and summed in f32.
//   dot_q8k: Q8_K activations (ActivationMode::q8). Per block, integer sums of q_w * q_x, then
//            one fixed sequence of f32 operations per block (see dot_impl.hpp).
// Two implementations, chosen at run time: a scalar reference and AVX2 (+FMA).
//   dot_q8k: AVX2 == scalar bit for bit (the integer sums are exact in both, the f32 steps are
//            the same operations in the same order). Q8_K blocks must carry consistent bsums
//            (as quantize_q8k writes them): both paths take Q4_K's min term from bsums.
//   dot_f32: AVX2 sums in 32 lanes with FMA, the scalar path left to right, so they differ by
//            rounding only: |avx2 - scalar| <= dot_f32_bound(n, sum_i |w_i x_i|) (derivation there).
#include <cstdint>

#include "engine/quant/blocks.hpp"
#include "engine/quant/types.hpp"

namespace pv::engine::quant {

enum class Isa { scalar, avx2 };
const char* to_string(Isa isa);
bool isa_supported(Isa isa);  // avx2: the CPU has AVX2 and FMA (__builtin_cpu_supports)
Isa best_isa();               // avx2 where supported, else scalar

// n values of row (type t, n a multiple of its block size) times x. Every Type is accepted;
// the AVX2 path covers Q4_K, Q6_K, Q8_0 and F32 and uses the scalar code for the others.
// Throws std::invalid_argument for a bad n or an unsupported isa.
float dot_f32(Type t, const void* row, const float* x, std::int64_t n, Isa isa = best_isa());
float dot_q8k(Type t, const void* row, const BlockQ8K* x, std::int64_t n, Isa isa = best_isa());
// dot_f32 without the checks, for inner loops whose caller has checked the row's length and
// the ISA once (the CPU engine at load: an exact-mode decode layer makes ~16,000 short row dots,
// and per-call checks showed in its time). Same result as dot_f32 for valid arguments.
float dot_f32_unchecked(Type t, const void* row, const float* x, std::int64_t n, Isa isa);

// Bound on |dot_f32(avx2) - dot_f32(scalar)|. Both compute fl(sum p_i) of the same products
// p_i = w_i * x_i (w_i bit-identical). Any summation order, with or without FMA, has
// |fl(sum) - sum| <= gamma_n * sum|p_i|, gamma_n = n u / (1 - n u), u = 2^-24 (Higham,
// Accuracy and Stability, 2nd ed., (3.5)); two such results differ by at most twice that.
double dot_f32_bound(std::int64_t n, double sum_abs_products);

}  // namespace pv::engine::quant
