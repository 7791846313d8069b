#pragma once
// Dequantisation to double, written from the block format descriptions in
// ../shared/docs/moe-facts.md and independent of engine/quant's arithmetic: the oracle must not
// share a bug with the fast path. Scales are widened to double before any product, so every
// value is the exact real number the block encodes (products of an f16 and small integers fit
// in a double's 53-bit mantissa).
#include <cstdint>
#include <vector>

#include "engine/moe/model.hpp"

namespace pv::engine::reference {

double f16_to_double(std::uint16_t bits);
double bf16_to_double(std::uint16_t bits);

// Row `row` of expert `expert` of `t`, all `t.cols` values. Throws std::invalid_argument naming
// the tensor for a type the oracle does not know.
void dequantise_row(const ExpertTensor& t, int expert, int row, double* out);
std::vector<double> dequantise_row(const ExpertTensor& t, int expert, int row);

// Whether the oracle can read this type (F32, F16, BF16, Q8_0, Q4_K, Q6_K).
bool supports(quant::Type t);

}  // namespace pv::engine::reference
